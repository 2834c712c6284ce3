"""How long `model_build.tfjs.export` takes, for the blog's network and a ~1 M-parameter functional model.

    .venv/bin/python benchmarks/tfjs_export.py [--repeats 5]

Prints, per model and quantization, the median wall time of `export()` (model in memory → files
on disk: topology rules, weight encoding, shards, SHA-256s), the parameter count and the bytes
written. The process's TensorFlow import is not counted; the command line adds ~4 s of it.
Then each float32 export is loaded by the real TF.js in Node (over HTTP, as a browser does) and
run on random inputs: the largest difference from Keras is printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PARITY_SCRIPT = ROOT / "tests" / "node" / "tfjs_layers_parity.mjs"


def functional_million() -> "object":
    """A two-input functional model of ~1 M parameters: a residual CNN branch with batch
    normalization and separable convolutions, a bidirectional-LSTM text branch, merged heads."""
    import keras

    layers = keras.layers
    image = keras.Input((32, 32, 3), name="image")
    x = layers.Conv2D(32, 3, padding="same", name="stem")(image)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(name="stem_relu")(x)
    for index, width in enumerate((64, 128, 256)):
        shortcut = layers.Conv2D(width, 1, strides=2, name=f"short{index}")(x)
        x = layers.SeparableConv2D(width, 3, padding="same", activation="relu", name=f"sep{index}a")(x)
        x = layers.SeparableConv2D(width, 3, strides=2, padding="same", name=f"sep{index}b")(x)
        x = layers.BatchNormalization(name=f"bn{index}")(x)
        x = layers.Add(name=f"res{index}")([x, shortcut])
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    tokens = keras.Input((40,), dtype="int32", name="tokens")
    t = layers.Embedding(10_000, 64, name="embed")(tokens)
    t = layers.Bidirectional(layers.LSTM(64, name="lstm"), name="bi")(t)
    joined = layers.Concatenate(name="join")([x, t])
    hidden = layers.Dense(256, activation="gelu", name="hidden")(joined)
    classes = layers.Dense(10, activation="softmax", name="classes")(hidden)
    score = layers.Dense(1, name="score")(hidden)
    return keras.Model([image, tokens], [classes, score], name="million")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    arguments = parser.parse_args()

    from model_build.mnist.network import build_network
    from model_build.tfjs import export

    models = {"blog network (Sequential)": build_network("blog"), "functional, 2 inputs / 2 outputs": functional_million()}
    print(f"{'model':34} {'params':>10} {'quantize':>8} {'bytes written':>14} {'export, median':>15}  (of {arguments.repeats})")
    for label, model in models.items():
        for quantization in ("none", "float16", "uint8"):
            times = []
            for _ in range(arguments.repeats):
                with tempfile.TemporaryDirectory() as folder:
                    started = time.perf_counter()
                    written = export(model, Path(folder) / "out", quantization=quantization)
                    times.append(time.perf_counter() - started)
                    size = sum((written.directory / name).stat().st_size for name in written.files)
            print(f"{label:34} {model.count_params():>10,} {quantization:>8} {size:>14,} "
                  f"{statistics.median(times) * 1000:>12.0f} ms  (range {min(times) * 1000:.0f}–{max(times) * 1000:.0f})")
    for label, model in models.items():
        print(f"{label}: TF.js 4.22 (Node, CPU) vs Keras, max |Δ| = {tfjs_difference(model):.2e}")


def tfjs_difference(model) -> float:
    """Export `model` as float32, run it in TF.js on random inputs, compare with Keras."""
    import numpy as np

    from model_build.tfjs import export

    rng = np.random.default_rng(0)
    inputs = []
    for tensor in model.inputs:
        shape = (4, *tensor.shape[1:])
        if "int" in str(tensor.dtype):
            inputs.append(rng.integers(0, 100, shape).astype(np.float32))
        else:
            inputs.append(rng.uniform(0, 1, shape).astype(np.float32))
    expected = model(inputs if len(inputs) > 1 else inputs[0], training=False)
    expected = [np.asarray(output) for output in (expected if isinstance(expected, (list, tuple)) else [expected])]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        export(model, root / "model")
        described = []
        for index, values in enumerate(inputs):
            values.astype("<f4").tofile(root / "model" / f"x{index}.f32")
            described.append({"file": f"x{index}.f32", "shape": list(values.shape)})
        (root / "cases.json").write_text(json.dumps({"root": str(root), "cases": [{"name": "model", "inputs": described}]}))
        report = json.loads(subprocess.run(["node", str(PARITY_SCRIPT), str(root / "cases.json")], cwd=ROOT,
                                           capture_output=True, text=True, check=True).stdout)["model"]
        if not report["ok"]:
            raise SystemExit(f"TF.js could not load the export: {report['error']}")
        return max(float(np.abs(np.fromfile(root / "model" / f"out{index}.f32", "<f4").reshape(output.shape) - output).max())
                   for index, output in enumerate(expected))


if __name__ == "__main__":
    main()
