"""The light TF.js build against the full library on the shipped model and all 10,000 MNIST test digits.

    .venv/bin/python benchmarks/light_runtime_parity.py [--digits 10000] [--saliency 100]

Uses the default recipe's model from the build cache (run `make build` first) and the Node
harness of tests/test_light_runtime.py; prints argmax disagreements, the largest probability
difference, the largest saliency-map difference, and the light build's accuracy. CPU backend in
Node: minutes for the full set (the canvas network is ~4 M multiply-adds a digit, in plain JS).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "plugins"))

from digit_model.site_models import SiteModels  # noqa: E402
from model_build.mnist.data import load_mnist  # noqa: E402

TFJS = ROOT / "plugins" / "digit_model" / "tfjs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=10_000)
    parser.add_argument("--saliency", type=int, default=100)
    args = parser.parse_args()
    import logging

    from mkdocs.config import load_config

    config = load_config(str(ROOT / "mkdocs.yml"))
    models = SiteModels.from_settings(config.plugins["digit-model"].config, ROOT / "mkdocs.yml")
    # train "never": the cached model of the default recipe, or an error saying to build it.
    directory = Path(models.fresh_model("never", logging.getLogger("benchmark")).directory)
    mnist = load_mnist(cache_dir=ROOT / ".cache/plugin/digit-model/data")
    with tempfile.TemporaryDirectory() as work:
        images = Path(work) / "images.u8"
        images.write_bytes(np.ascontiguousarray(mnist.test_images[: args.digits]).tobytes())
        started = time.perf_counter()
        completed = subprocess.run(
            ["node", str(ROOT / "tests/node/light_runtime_parity.mjs"), str(TFJS / "tf-light.min.js"),
             str(TFJS / "tf.es2017.min.js"), str(directory), str(images), str(args.digits), str(args.saliency)],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )
        seconds = time.perf_counter() - started
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    accuracy = float(np.mean(np.array(result["lightArgmax"]) == mnist.test_labels[: args.digits]))
    print(f"model {directory.name[:12]}, {result['digits']:,} MNIST test digits, both builds on the CPU backend in Node "
          f"({seconds:.0f} s):")
    print(f"  argmax disagreements: {result['argmaxDisagreements']}")
    print(f"  largest |Δp|: {result['maxProbabilityDifference']:.3g}")
    print(f"  saliency maps: {result['saliencyMaps']}, largest |Δ|: {result['maxSaliencyDifference']:.3g}")
    print(f"  light build's accuracy: {accuracy:.2%}")


if __name__ == "__main__":
    main()
