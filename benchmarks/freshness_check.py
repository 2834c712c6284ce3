"""How long the warm freshness check takes, and proof that it imports no TensorFlow.

    .venv/bin/python benchmarks/freshness_check.py [--cache-dir .cache/plugin/digit-model]

Builds the default model first if its artefacts are not in the cache yet (a minute or so).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROBE = """
import sys, time, json
started = time.perf_counter()
from pathlib import Path
from model_build import MnistRecipe, check_freshness
freshness = check_freshness(MnistRecipe(), Path(sys.argv[1]))
elapsed = time.perf_counter() - started
print(json.dumps({"fresh": freshness.fresh, "seconds": elapsed,
                  "tensorflow": "tensorflow" in sys.modules, "keras": "keras" in sys.modules,
                  "numpy": "numpy" in sys.modules}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".cache/plugin/digit-model")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    first = _probe(args.cache_dir)
    if not first["fresh"]:
        print("artefacts not fresh yet: building them once (python -m model_build build)…", flush=True)
        subprocess.run([sys.executable, "-m", "model_build", "build", "--cache-dir", str(args.cache_dir)], cwd=ROOT, check=True)

    in_process, whole_process = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        result = _probe(args.cache_dir)
        whole_process.append(time.perf_counter() - started)
        in_process.append(result["seconds"])
        assert result["fresh"], result
    print(f"warm freshness check over {args.runs} runs (median, min–max):")
    print(f"  import model_build + check_freshness: {statistics.median(in_process) * 1000:.0f} ms "
          f"({min(in_process) * 1000:.0f}–{max(in_process) * 1000:.0f})")
    print(f"  whole process incl. interpreter start: {statistics.median(whole_process) * 1000:.0f} ms "
          f"({min(whole_process) * 1000:.0f}–{max(whole_process) * 1000:.0f})")
    print(f"  modules loaded by the check: tensorflow={result['tensorflow']}, keras={result['keras']}, numpy={result['numpy']}")


def _probe(cache_dir: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, str(cache_dir)], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


if __name__ == "__main__":
    main()
