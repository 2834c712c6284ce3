"""What the digit-model plugin costs a site build when the model is fresh.

    .venv/bin/python benchmarks/plugin_overhead.py [--rounds 5]

Builds the example site (mkdocs.yml, docs/, overrides/) as whole `mkdocs build` processes,
alternating the plugin enabled and disabled, and prints each time, the median of the pairwise
ratios, and whether the enabled build imported TensorFlow. Trains the default model first if
its artefacts are not fresh yet.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import logging, sys
logging.basicConfig(level=logging.INFO, format="%(message)s")
from mkdocs.commands.build import build
from mkdocs.config import load_config
build(load_config(sys.argv[1]))
print("TENSORFLOW_IMPORTED=" + str(any(m == "tensorflow" or m.startswith("tensorflow.") for m in sys.modules)))
"""


def site_config(directory: Path, enabled: bool) -> Path:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config["docs_dir"] = str(ROOT / "docs")
    config["theme"]["custom_dir"] = str(ROOT / "overrides")
    config["site_dir"] = str(directory / ("site-on" if enabled else "site-off"))
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "digit-model" in plugin:
            plugin["digit-model"].update(
                enabled=enabled,
                cache_dir=str(ROOT / ".cache/plugin/digit-model"),
                node_modules=str(ROOT / "node_modules"),
            )
    path = directory / f"mkdocs-{'on' if enabled else 'off'}.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def timed_build(config: Path) -> tuple[float, str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PROBE, str(config)], capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - started, done.stdout + done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        on, off = site_config(Path(work), True), site_config(Path(work), False)
        _, output = timed_build(on)  # warm-up; trains if the default model is stale
        on_times, off_times, ratios = [], [], []
        for round_number in range(args.rounds):
            pair = {}
            for name, config in (("on", on), ("off", off)) if round_number % 2 == 0 else (("off", off), ("on", on)):
                seconds, text = timed_build(config)
                pair[name] = seconds
                if name == "on":
                    output = text
            on_times.append(pair["on"])
            off_times.append(pair["off"])
            ratios.append(pair["on"] / pair["off"])
            print(f"round {round_number + 1}: plugin on {pair['on']:.2f} s, off {pair['off']:.2f} s, ratio {ratios[-1]:.3f}")
    print(f"median: on {statistics.median(on_times):.2f} s, off {statistics.median(off_times):.2f} s; "
          f"median ratio {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})")
    fresh = "model fresh" in output
    print(f"enabled build found the model fresh: {fresh}; {output.strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()
