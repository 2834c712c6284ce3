"""`export()` and `python -m model_build.tfjs export`: what TF.js cannot run is refused before a
file is written, with what to do; the output folder is replaced all at once or not at all."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import keras
import pytest

from model_build.errors import UnsupportedLayerError
from model_build.tfjs import ExportError, export
from model_build.tfjs import exporter as export_module
from model_build.tfjs.topology import ACTIVATIONS

from .conftest import ROOT

layers = keras.layers


def small_model(name: str = "small") -> keras.Model:
    return keras.Sequential([keras.Input((4,), name="x"), layers.Dense(3, name="d")], name=name)


def functional(output_of) -> keras.Model:
    inputs = keras.Input((4, 6), name="x")
    return keras.Model(inputs, output_of(inputs))


class Subclassed(keras.Model):
    def __init__(self) -> None:
        super().__init__()
        self.dense = layers.Dense(2)

    def call(self, inputs):
        return self.dense(inputs)


def nested_name_clash() -> keras.Model:
    inner = keras.Sequential([keras.Input((4,)), layers.Dense(4, name="d")], name="inner")
    x = keras.Input((4,))
    return keras.Model(x, layers.Dense(2, name="d")(inner(x)))


def custom_backward_layer() -> keras.Model:
    return keras.Sequential([
        keras.Input((5, 3)),
        layers.Bidirectional(layers.LSTM(3, name="f"), backward_layer=layers.GRU(3, go_backwards=True, reset_after=False,
                                                                                 name="g"), name="bi"),
    ])


#: model builder → words the refusal must contain (the layer, and what to do).
REFUSED = {
    "lambda": (lambda: functional(layers.Lambda(lambda t: t * 2, name="doubler")), "'doubler' of class Lambda.*built-in layers"),
    "subtract": (lambda: keras.Model([a := keras.Input((3,)), b := keras.Input((3,))], layers.Subtract(name="minus")([a, b])),
                 "'minus' of class Subtract.*Add"),
    "softmax_axis_1": (lambda: functional(layers.Softmax(axis=1, name="over_time")), "'over_time' normalises axis 1.*Permute"),
    "hard_sigmoid": (lambda: functional(layers.Dense(2, activation="hard_sigmoid", name="gate")),
                     "'gate' uses activation 'hard_sigmoid'"),
    "gru_reset_after": (lambda: functional(layers.GRU(2, name="memory")), "'memory' uses reset_after=True.*reset_after=False"),
    "relu_negative_slope": (lambda: functional(layers.ReLU(negative_slope=0.1, name="leaky")), "'leaky' sets negative_slope.*LeakyReLU"),
    "elu_alpha": (lambda: functional(layers.ELU(alpha=0.5, name="soft")), "'soft' sets alpha=0.5"),
    "bilinear": (lambda: keras.Sequential([keras.Input((4, 4, 1)), layers.UpSampling2D(interpolation="bilinear", name="up")]),
                 "'up' uses 'bilinear'.*nearest"),
    "keepdims": (lambda: functional(layers.GlobalAveragePooling1D(keepdims=True, name="pool")), "'pool' keeps.*Reshape"),
    "name_clash": (nested_name_clash, "'d/kernel'.*distinct names"),
    "backward_layer": (custom_backward_layer, "'bi' has its own backward layer"),
    "subclassed": (lambda: Subclassed(), "Subclassed cannot be written.*functional"),
    "stateful": (lambda: keras.Sequential([keras.Input((5, 2), batch_size=3), layers.LSTM(2, stateful=True, name="mem")]),
                 "'mem' is stateful.*stateful=False"),
    "mixed_precision": (lambda: functional(layers.Dense(2, dtype="mixed_float16", name="half")), "'half'.*float32"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_before_anything_is_written(case: str, tmp_path: Path) -> None:
    build, words = REFUSED[case]
    model = build()
    if isinstance(model, Subclassed):
        model(keras.ops.zeros((1, 3)))
    with pytest.raises(UnsupportedLayerError, match=words):
        export(model, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_every_keras_activation_is_exported_or_refused(tmp_path: Path) -> None:
    """Keras 3's whole list: an activation is either one tfjs computes the same way (and has a parity
    case) or refused by name; none is written under a name tfjs would not know."""
    from keras.src.activations import ALL_OBJECTS_DICT

    refused = []
    for name in sorted(ALL_OBJECTS_DICT):
        model = keras.Sequential([keras.Input((3,)), layers.Dense(2, activation=name, name="d")])
        written_as = model.get_config()["layers"][1]["config"]["activation"]
        if written_as in ACTIVATIONS:
            export(model, tmp_path / name)
            saved = json.loads((tmp_path / name / "model.json").read_text(encoding="utf-8"))
            assert saved["modelTopology"]["model_config"]["config"]["layers"][1]["config"]["activation"] == ACTIVATIONS[written_as]
        else:
            with pytest.raises(UnsupportedLayerError, match=f"activation '{written_as}'"):
                export(model, tmp_path / name)
            refused.append(written_as)
    assert "silu" not in refused and "hard_sigmoid" in refused and "leaky_relu" in refused


def test_an_earlier_export_is_replaced_and_other_files_are_kept_safe(tmp_path: Path) -> None:
    out = tmp_path / "model"
    export(small_model(), out, shard_bytes=16)
    assert len(list(out.glob("group1-shard*.bin"))) == 4  # 60 bytes of float32 weights in shards of 16
    export(small_model(), out)
    assert sorted(path.name for path in out.iterdir()) == ["group1-shard1of1.bin", "model.json"]
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ExportError, match=r"notes\.txt.*nothing was written.*empty or new folder"):
        export(small_model(), out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model"]


def test_a_failure_while_writing_leaves_the_earlier_export(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "model"
    export(small_model(), out)
    before = {path.name: path.read_bytes() for path in out.iterdir()}

    def fail_halfway(model_config, weights, directory, **options):
        (directory / "model.json").write_text("{half", encoding="utf-8")
        raise KeyboardInterrupt

    monkeypatch.setattr(export_module, "write_layers_model", fail_halfway)
    with pytest.raises(KeyboardInterrupt):
        export(small_model("changed"), out, quantization="uint8")
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model"]  # no partial folder left behind


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="quantization must be one of none, float16, uint8"):
        export(small_model(), tmp_path / "a", quantization="int4")
    with pytest.raises(ExportError, match="does not exist.*model.save"):
        export(tmp_path / "missing.keras", tmp_path / "b")
    (tmp_path / "weights.npz").write_bytes(b"not a model")
    with pytest.raises(ExportError, match="not a Keras model file"):
        export(tmp_path / "weights.npz", tmp_path / "c")
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(ExportError, match="is a file; give a folder"):
        export(small_model(), tmp_path / "file")


def run_cli(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "model_build.tfjs", *arguments], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_command_line_exports_a_saved_model_and_names_a_refused_layer(tmp_path: Path) -> None:
    small_model().save(tmp_path / "small.keras")
    done = run_cli("export", str(tmp_path / "small.keras"), str(tmp_path / "out"), "--quantize", "float16",
                   "--shard-bytes", "10")
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and "30 bytes of weights, float16" in done.stdout
    manifest = json.loads((tmp_path / "out" / "model.json").read_text(encoding="utf-8"))["weightsManifest"][0]
    assert len(manifest["paths"]) == 3 and {w["quantization"]["dtype"] for w in manifest["weights"]} == {"float16"}

    # A Lambda: Keras itself refuses to load it, but the layer is named first, with what to do.
    functional(layers.Lambda(lambda t: t * 2, name="doubler")).save(tmp_path / "lambda.keras")
    refused = run_cli("export", str(tmp_path / "lambda.keras"), str(tmp_path / "out2"))
    assert refused.returncode == 1
    assert "'doubler' of class Lambda" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "out2").exists()

    wrong = run_cli("export", str(tmp_path / "small.keras"), str(tmp_path / "out3"), "--shard-bytes", "0")
    assert wrong.returncode == 2 and "must be at least 1" in wrong.stderr
