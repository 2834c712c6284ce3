"""The drawn-digit benchmark (issue 13): generation time, and how built models do on it.

    .venv/bin/python benchmarks/drawn_digits.py [--model ARTEFACT_DIR …] [--tiny] [--seed N]

Generates the full benchmark without any cache (prints the seconds it took), then for each
`--model` (a built artefact directory, as `python -m model_build build` prints it) loads the
shipped weights exactly as TF.js decodes them and prints accuracy overall, per style and the
most confused pairs on the validation and the test part. `--tiny` also trains and scores the
tests' tiny recipe (seconds), as a floor.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model_build.mnist.data import load_mnist  # noqa: E402
from model_build.mnist.drawn.benchmark import BENCHMARK_SEED, drawn_digit_benchmark  # noqa: E402
from model_build.mnist.build import shipped_model  # noqa: E402
from model_build.mnist.drawn.scores import format_scores, predict, score  # noqa: E402


def tiny_model(mnist):
    from model_build import MnistConfig
    from model_build.mnist.training import train
    from tests.conftest import TINY_RECIPE

    return train(MnistConfig.from_mapping(TINY_RECIPE), mnist, logging.getLogger("tiny")).model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, action="append", default=[], help="a built artefact directory")
    parser.add_argument("--tiny", action="store_true", help="also train and score the tests' tiny recipe")
    parser.add_argument("--seed", type=int, default=BENCHMARK_SEED)
    parser.add_argument("--data-cache", type=Path, help="decoded-MNIST cache (default: ~/.cache/model_build)")
    args = parser.parse_args()

    mnist = load_mnist(cache_dir=args.data_cache)
    started = time.perf_counter()
    benchmark = drawn_digit_benchmark(mnist.test_images, mnist.test_labels, args.seed)
    elapsed = time.perf_counter() - started
    sizes = ", ".join(f"{name} {len(part):,}" for name, part in benchmark.parts())
    print(f"generated the drawn-digit benchmark (seed {args.seed}: {sizes}) in {elapsed:.1f} s, no cache")

    models = [(str(directory), lambda d=directory: shipped_model(d)) for directory in args.model]
    if args.tiny:
        models.append(("tiny test recipe", lambda: tiny_model(mnist)))
    for name, make in models:
        model = make()
        print(f"\n== {name}")
        for part_name, part in benchmark.parts():
            print(format_scores(part_name, score(predict(model, part), part)))


if __name__ == "__main__":
    main()
