"""The light TF.js build (tools/light_runtime/) behaves exactly like the full library.

Both builds are loaded in Node the way a page loads them (a classic script defining `tf`), run
the CPU backend on the tests' model (the blog network, uint8 weights) and the first 1,000 MNIST
test digits, and the page's own saliency.js computes maps with each. The shipped model on all
10,000 test digits is checked by benchmarks/light_runtime_parity.py (it takes minutes on a CPU).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from .conftest import ROOT, run_node

TFJS = ROOT / "plugins" / "digit_model" / "tfjs"
DIGITS = 1000
SALIENCY_MAPS = 50


@pytest.fixture(scope="module")
def parity(tiny_artefacts, mnist, tmp_path_factory) -> dict:
    images = tmp_path_factory.mktemp("light-runtime") / "images.u8"
    images.write_bytes(np.ascontiguousarray(mnist.test_images[:DIGITS], dtype=np.uint8).tobytes())
    output = run_node(
        ROOT / "tests" / "node" / "light_runtime_parity.mjs", str(TFJS / "tf-light.min.js"), str(TFJS / "tf.es2017.min.js"),
        str(tiny_artefacts.directory), str(images), str(DIGITS), str(SALIENCY_MAPS),
    )
    return json.loads(output.strip().splitlines()[-1])


def test_the_light_build_gives_the_full_librarys_answers(parity, mnist) -> None:
    assert parity["digits"] == DIGITS
    assert parity["argmaxDisagreements"] == 0
    assert parity["maxProbabilityDifference"] <= 1e-5
    # Not two builds that agree on nonsense: the answers are the model's (a tiny one, ~95 %).
    accuracy = float(np.mean(np.array(parity["lightArgmax"]) == mnist.test_labels[:DIGITS]))
    assert accuracy > 0.9, accuracy


def test_saliency_maps_match(parity) -> None:
    assert parity["saliencyMaps"] == SALIENCY_MAPS
    assert parity["nonzeroSaliency"] == SALIENCY_MAPS  # a map of zeros would match trivially
    assert parity["maxSaliencyDifference"] <= 1e-4


def test_one_pass_prediction_and_saliency_equal_the_two_apart(parity) -> None:
    """The page predicts and draws the gradient map from one forward pass (saliency.js's
    predictWithSaliency): the same answer, probabilities and map as predict() then saliencyMap()."""
    for run in parity["fused"]:
        assert run["topDisagreements"] == 0, run
        assert run["maxProbabilityDifference"] <= 1e-5, run
        assert run["maxSaliencyDifference"] <= 1e-4, run


def test_both_builds_are_the_pinned_version(parity) -> None:
    version = json.loads((ROOT / "plugins" / "digit_model" / "tfjs_files.json").read_text())["version"]
    assert parity["versions"] == [version, version]


def test_the_light_build_is_a_fraction_of_what_it_replaces() -> None:
    """The light build (its file and the WASM part) against the full library plus its WASM script."""
    stamp = json.loads((TFJS / "light-build.json").read_text())
    light = (TFJS / stamp["file"]).stat().st_size
    assert light == stamp["bytes"]
    parts = [(TFJS / part["file"]).stat().st_size for part in stamp["parts"]]
    assert parts == [part["bytes"] for part in stamp["parts"]]
    full = (TFJS / "tf.es2017.min.js").stat().st_size + (TFJS / "tf-backend-wasm.es2017.min.js").stat().st_size
    assert light + sum(parts) < 0.4 * full, (light, parts, full)


def test_the_page_loads_the_wasm_backend_only_with_its_part() -> None:
    """The file every recognizer page loads holds no WASM backend: its Emscripten glue (which names
    the binaries it fetches) and kernels are in the part a page loads when the reader draws."""
    stamp = json.loads((TFJS / "light-build.json").read_text())
    (part,) = stamp["parts"]
    assert part["backend"] == "wasm"
    binary = b"tfjs-backend-wasm-simd.wasm"
    assert binary not in (TFJS / stamp["file"]).read_bytes()
    assert binary in (TFJS / part["file"]).read_bytes()


def _model_json(path, classes: list[str]):
    layers = [{"class_name": name, "config": {"name": f"layer{i}"}} for i, name in enumerate(classes)]
    path.write_text(json.dumps({"modelTopology": {"model_config": {"class_name": "Sequential", "config": {"layers": layers}}}}))
    return path


def test_a_model_the_light_build_cannot_read_gets_the_full_library(tmp_path) -> None:
    from digit_model.runtime import TfjsRuntime, runtime_for_model

    runtime = TfjsRuntime("assets/tfjs/tf.es2017.min.js", None, (), light_src="assets/tfjs/tf-light.min.js",
                          light_backends=("cpu", "wasm"), light_wasm_src="assets/tfjs/tf-light-wasm.min.js", light_bytes=1,
                          light_layers=("InputLayer", "Conv2D", "Dense"))
    same, reason = runtime_for_model(runtime, _model_json(tmp_path / "a.json", ["InputLayer", "Conv2D", "Dense"]))
    assert same == runtime and reason is None
    full, reason = runtime_for_model(runtime, _model_json(tmp_path / "b.json", ["InputLayer", "BatchNormalization", "LSTM"]))
    assert full.light_src is None and full.light_backends == () and full.light_wasm_src is None
    assert full.script_src == runtime.script_src
    assert "BatchNormalization, LSTM" in reason and "tfjs_build: full" in reason


def test_the_site_models_layers_are_all_in_the_light_build(tiny_artefacts) -> None:
    """The recipes' networks (blog and canvas share their layer classes) need nothing more."""
    stamp = json.loads((TFJS / "light-build.json").read_text())
    topology = json.loads((tiny_artefacts.directory / "model.json").read_text())["modelTopology"]["model_config"]
    assert {layer["class_name"] for layer in topology["config"]["layers"]} <= set(stamp["layers"])


@pytest.mark.parametrize("damaged", ["tf-light.min.js", "tf-light-wasm.min.js"])
def test_a_damaged_light_build_fails_the_build_with_advice_that_works(tmp_path, damaged) -> None:
    """A light build (or its WASM part) that differs from its stamp: the message names the folder,
    the repair command and `tfjs_build: full`; with that setting the same folder serves the full library."""
    import shutil

    from mkdocs.exceptions import PluginError

    from digit_model.runtime import resolve_runtime

    bundled = tmp_path / "tfjs"
    shutil.copytree(TFJS, bundled)
    (bundled / damaged).write_bytes(b"// not the build\n")
    with pytest.raises(PluginError) as failure:
        resolve_runtime("local", None, "assets/digit-model/", bundled=bundled)
    message = str(failure.value)
    assert str(bundled) in message and "bundle_runtime.py" in message and "`tfjs_build: full`" in message
    full = resolve_runtime("local", None, "assets/digit-model/", bundled=bundled, build="full")
    assert full.light_src is None and full.script_src.endswith("tf.es2017.min.js")
