"""Cold build vs a plain 5-epoch Keras fit, measured in one process run.

    .venv/bin/python benchmarks/cold_build.py [--rounds N]

Baseline: the blog's network fitted the plain way (Adam 1e-3, batch 128, 5 epochs, NumPy arrays
already in memory). Ours: the whole cold build — decode MNIST from the wheel (empty data cache),
train the default recipe, evaluate, write TF.js files, evaluate as shipped — into an empty
artefact cache. Rounds alternate the order so neither side always runs on a warmer process.
Prints both times, their ratio and both test accuracies.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model_build import MnistRecipe, ensure_fresh  # noqa: E402
from model_build.mnist.data import load_mnist  # noqa: E402


def plain_fit(data) -> dict:
    import keras

    from model_build.mnist.network import build_network

    keras.utils.set_random_seed(0)
    model = build_network()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = data.train_images[..., None].astype("float32") / 255.0
    epoch_ends: list[float] = []
    started = time.perf_counter()
    model.fit(x, data.train_labels, batch_size=128, epochs=5, verbose=0,
              callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=lambda *_: epoch_ends.append(time.perf_counter()))])
    seconds = time.perf_counter() - started
    accuracy = model.evaluate(data.test_images[..., None].astype("float32") / 255.0, data.test_labels, verbose=0)[1]
    return {"seconds": seconds, "accuracy": accuracy, "after_last_epoch": started + seconds - epoch_ends[-1]}


def cold_build() -> dict:
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        artefacts = ensure_fresh(MnistRecipe(data_cache_dir=Path(cache) / "data"), Path(cache), train="always")
        seconds = time.perf_counter() - started
        metrics = artefacts.metrics()
    return {"seconds": seconds, "metrics": metrics}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    import tensorflow as tf  # imported up front: neither side pays for it

    data = load_mnist()  # the baseline's arrays, decoded once, outside any timing
    print(f"TensorFlow {tf.__version__}, {len(data.train_images)} training images")
    ratios = []
    for round_number in range(args.rounds):
        order = ("plain", "ours") if round_number % 2 == 0 else ("ours", "plain")
        results = {name: plain_fit(data) if name == "plain" else cold_build() for name in order}
        plain, ours = results["plain"], results["ours"]
        m = ours["metrics"]
        ratio = ours["seconds"] / plain["seconds"]
        ratios.append(ratio)
        print(f"round {round_number + 1} (order: {' then '.join(order)})")
        print(f"  plain Keras fit, 5 epochs:  {plain['seconds']:6.1f} s  test accuracy {plain['accuracy']:.2%}"
              f"  (fit returned {plain['after_last_epoch']:.1f} s after its last epoch)")
        print(f"  our cold build:             {ours['seconds']:6.1f} s  test accuracy {m['test_accuracy']['float32']:.2%}"
              f" float32, {m['test_accuracy']['shipped']:.2%} {m['weights']['quantization']}")
        print(f"    phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in m["seconds"].items()))
        print(f"    weights: {m['weights']['float32_bytes']:,} bytes float32, {m['weights']['shipped_bytes']:,} bytes shipped")
        print(f"  ratio ours / plain: {ratio:.2f}")
    if len(ratios) > 1:
        print(f"median ratio over {len(ratios)} rounds: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
