"""The exporter's contract: every supported layer and model structure, exported from Keras 3 and
loaded by the real @tensorflow/tfjs 4.22 over HTTP, computes what Keras computes.

All cases run in one Node process (`tests/node/tfjs_layers_parity.mjs`): TF.js starts once.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from model_build.tfjs import export
from model_build.tfjs.topology import ACTIVATIONS, SUPPORTED_LAYERS
from model_build.tfjs.variables import assign_tfjs_weights, tfjs_variables
from model_build.tfjs.writer import read_layers_model_weights

from .conftest import ROOT, run_node
from .tfjs_export_cases import CASES

PARITY_SCRIPT = ROOT / "tests" / "node" / "tfjs_layers_parity.mjs"
#: float32 weights: TF.js must compute what Keras computes, to rounding.
FLOAT32_BOUND = 1e-5
#: Quantized weights change the function itself; TF.js must still compute exactly what Keras
#: computes with the dequantized weights (FLOAT32_BOUND), and stays this close to the float32
#: model on these cases (measured: float16 ≤ 6.4e-4, uint8 ≤ 8.5e-3; the cases are seeded, so the
#: bounds' ~6–8× margin is for other TensorFlow / TF.js versions, not for chance).
QUANTIZED_CASES = ("conv2d", "functional_cnn", "text_classifier", "lstm", "functional_multi_io")
QUANTIZED_DRIFT = {"float16": 5e-3, "uint8": 5e-2}
#: Small shards, so that most cases load from several files, as a big model does.
SHARD_BYTES = 256


class Exported:
    """Every case exported, run by TF.js, and run by Keras with the weights TF.js was given."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.keras_outputs: dict[str, list[np.ndarray]] = {}
        self.float32_outputs: dict[str, list[np.ndarray]] = {}
        self.layer_classes: set[str] = set()
        cases = []
        for name, build in CASES.items():
            model, inputs = build()
            self.layer_classes |= layer_classes(model)
            reference = self.run_keras(model, inputs)
            for quantization in ("none", "float16", "uint8"):
                if quantization != "none" and name not in QUANTIZED_CASES:
                    continue
                key = name if quantization == "none" else f"{name}@{quantization}"
                folder = root / key
                export(model, folder, quantization=quantization, shard_bytes=SHARD_BYTES)
                cases.append({"name": key, "inputs": self.write_inputs(folder, inputs)})
                self.float32_outputs[key] = reference
                self.keras_outputs[key] = self.run_with_exported_weights(model, inputs, folder)
        (root / "cases.json").write_text(json.dumps({"root": str(root), "cases": cases}), encoding="utf-8")
        self.report = json.loads(run_node(PARITY_SCRIPT, str(root / "cases.json")))

    @staticmethod
    def run_keras(model: keras.Model, inputs: list[np.ndarray]) -> list[np.ndarray]:
        outputs = model(inputs if len(inputs) > 1 else inputs[0], training=False)
        return [np.asarray(output) for output in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]

    def run_with_exported_weights(self, model: keras.Model, inputs: list[np.ndarray], folder: Path) -> list[np.ndarray]:
        original = {name: np.asarray(variable.numpy()) for name, variable in tfjs_variables(model)}
        assign_tfjs_weights(model, read_layers_model_weights(folder))
        try:
            return self.run_keras(model, inputs)
        finally:
            assign_tfjs_weights(model, original)

    @staticmethod
    def write_inputs(folder: Path, inputs: list[np.ndarray]) -> list[dict]:
        described = []
        for index, values in enumerate(inputs):
            values.astype("<f4").tofile(folder / f"x{index}.f32")
            described.append({"file": f"x{index}.f32", "shape": list(values.shape)})
        return described

    def tfjs_outputs(self, key: str) -> list[np.ndarray]:
        result = self.report[key]
        assert result["ok"], f"TF.js could not run {key}: {result['error']} (it expects weights {result.get('expected')})"
        expected = self.keras_outputs[key]
        assert result["outputs"] == [list(output.shape) for output in expected]
        return [np.fromfile(self.root / key / f"out{i}.f32", "<f4").reshape(output.shape) for i, output in enumerate(expected)]


def layer_classes(model: keras.Model) -> set[str]:
    """The classes of every layer in `model`, inside nested models and Bidirectional wrappers too."""
    found = set()
    for layer in model.layers:
        found.add(type(layer).__name__)
        if isinstance(layer, keras.Model):
            found |= layer_classes(layer)
        if isinstance(layer, keras.layers.Bidirectional):
            found.add(type(layer.forward_layer).__name__)
    return found


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Exported:
    return Exported(tmp_path_factory.mktemp("tfjs-export"))


@pytest.mark.parametrize("case", sorted(CASES))
def test_float32_parity(exported: Exported, case: str) -> None:
    keras_outputs = exported.keras_outputs[case]
    for keras_output, tfjs_output in zip(keras_outputs, exported.tfjs_outputs(case), strict=True):
        assert np.abs(tfjs_output - keras_output).max() <= FLOAT32_BOUND
        if keras_output.ndim == 2 and keras_output.shape[1] > 1:
            assert (tfjs_output.argmax(1) == keras_output.argmax(1)).all()
    # The exported weights are the model's own, bit for bit.
    assert all(np.array_equal(a, b) for a, b in zip(keras_outputs, exported.float32_outputs[case], strict=True))


@pytest.mark.parametrize("quantization", sorted(QUANTIZED_DRIFT))
@pytest.mark.parametrize("case", QUANTIZED_CASES)
def test_quantized_parity(exported: Exported, case: str, quantization: str) -> None:
    key = f"{case}@{quantization}"
    for dequantized, float32, tfjs_output in zip(
        exported.keras_outputs[key], exported.float32_outputs[key], exported.tfjs_outputs(key), strict=True
    ):
        assert np.abs(tfjs_output - dequantized).max() <= FLOAT32_BOUND
        drift = np.abs(tfjs_output - float32).max()
        assert 0 < drift <= QUANTIZED_DRIFT[quantization], drift  # > 0: the weights really were quantized


def test_small_shards_are_several_files(exported: Exported) -> None:
    manifest = json.loads((exported.root / "functional_cnn" / "model.json").read_text(encoding="utf-8"))
    paths = manifest["weightsManifest"][0]["paths"]
    assert len(paths) > 1 and all((exported.root / "functional_cnn" / path).stat().st_size <= SHARD_BYTES for path in paths)


def test_every_activation_tfjs_knows_has_a_parity_case() -> None:
    assert {f"dense_{name}" for name in ACTIVATIONS} <= set(CASES)


def test_every_supported_layer_has_a_parity_case(exported: Exported) -> None:
    """A layer joins SUPPORTED_LAYERS only with a case here: nothing is written untested."""
    assert SUPPORTED_LAYERS - exported.layer_classes == set()
