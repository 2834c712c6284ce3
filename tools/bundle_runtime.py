"""Put the pinned TF.js files and the light TF.js build into the plugin package, so that an
installed wheel needs no npm.

Run by the wheel build (setup.py's build_py) and by `make setup`; by hand:
`python tools/bundle_runtime.py [--node-modules DIR]`. Standard library only: a wheel build runs
it in an isolated environment that holds nothing but setuptools.

Where the files come from, in order: the folder already holds them (nothing to do); the
project's `node_modules` holds the pinned packages (`npm ci` ran); otherwise `npm ci` of the
project's lock file in a temporary folder, deleted afterwards. Every file is checked against the
Subresource Integrity recorded in `plugins/digit_model/tfjs_files.json` (the registry's bytes).
The light build (tools/light_runtime/) is made from the same packages with Node and the pinned
esbuild; `light-build.json` records a hash of its inputs and the SRI of its output, so a changed
input rebuilds it and the plugin can check the installed file. The folder is replaced in one
rename, so an interrupted run leaves the old folder or none.

The same run minifies the plugin's own `.js` and `.css` (tools/minify_assets.mjs, the same
esbuild) into `plugins/digit_model/assets-min/`, file by file, and records in `minified.json`
the SHA-256 of the source each copy was made from: the plugin serves a copy only while its
source is unchanged, so an edited asset in a checkout is served as written until the next run.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "plugins" / "digit_model"
SPEC = PACKAGE / "tfjs_files.json"
#: Git-ignored: third-party code never enters the repository, only the wheel.
TARGET = PACKAGE / "tfjs"
LIGHT_SOURCES = ROOT / "tools" / "light_runtime"
#: What the light build is made from: a change to any of them makes a new build.
LIGHT_INPUTS = (LIGHT_SOURCES / "entry.js", LIGHT_SOURCES / "build.mjs", LIGHT_SOURCES / "runtime.json", ROOT / "package-lock.json")
LIGHT_FILE = "tf-light.min.js"
#: The light build's stamp, read by the plugin (digit_model/runtime.py) too.
LIGHT_STAMP = "light-build.json"
ASSETS = PACKAGE / "assets"
#: Git-ignored: minified copies of ASSETS' .js and .css, served by the plugin in their place.
MINIFIED = PACKAGE / "assets-min"
#: The copies' stamp, read by the plugin too (digit_model/minified_assets.py).
MINIFIED_STAMP = "minified.json"
MINIFY_SCRIPT = ROOT / "tools" / "minify_assets.mjs"
MINIFIED_SUFFIXES = (".js", ".css")


class BundleError(Exception):
    """The runtime cannot be bundled; the message says what to do."""


def integrity(path: Path) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


def spec_files(spec_path: Path = SPEC) -> list[dict]:
    return json.loads(spec_path.read_text(encoding="utf-8"))["files"]


def problems(folder: Path, files: list[dict], *, in_packages: bool) -> list[str]:
    """What is missing or different in `folder` (flat, or a node_modules tree if `in_packages`)."""
    found = []
    for entry in files:
        path = folder / entry["package"] / entry["path"] if in_packages else folder / Path(entry["path"]).name
        if not path.is_file():
            found.append(f"{path} is missing")
        elif integrity(path) != entry["integrity"]:
            found.append(f"{path} is not the pinned file (its SHA-384 differs)")
    return found


def light_inputs_hash() -> str:
    digest = hashlib.sha256()
    for path in LIGHT_INPUTS:
        digest.update(f"{path.name}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    return digest.hexdigest()


def light_build_is_current(folder: Path) -> bool:
    """The light build in `folder` is made from today's inputs and holds the files its stamp describes."""
    try:
        stamp = json.loads((folder / LIGHT_STAMP).read_text(encoding="utf-8"))
        return stamp["inputs"] == light_inputs_hash() and all(
            integrity(folder / entry["file"]) == entry["integrity"] for entry in (stamp, *stamp["parts"]))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def asset_sources(assets: Path = ASSETS) -> dict[str, str]:
    """Each asset to minify (path relative to `assets`, with /) → the SHA-256 of its bytes."""
    return {
        path.relative_to(assets).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(assets.rglob("*")) if path.is_file() and path.suffix in MINIFIED_SUFFIXES
    }


def minify_tool_hash() -> str:
    """What else decides the minified bytes: the script and the locked esbuild."""
    return hashlib.sha256(MINIFY_SCRIPT.read_bytes() + (ROOT / "package-lock.json").read_bytes()).hexdigest()


def minified_is_current(folder: Path, assets: Path = ASSETS) -> bool:
    """`folder` holds a minified copy of every asset as it is now, made by today's tool."""
    try:
        stamp = json.loads((folder / MINIFIED_STAMP).read_text(encoding="utf-8"))
        return (stamp["tool"] == minify_tool_hash()
                and {name: entry["source_sha256"] for name, entry in stamp["files"].items()} == asset_sources(assets)
                and all((folder / name).is_file() for name in stamp["files"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def bundle(node_modules: Path | None = None, target: Path = TARGET, spec_path: Path = SPEC,
           minified: Path = MINIFIED) -> str:
    """Make `target` hold the pinned files and a current light build, and `minified` current
    minified copies of the plugin's assets; say where they came from."""
    files = spec_files(spec_path)
    runtime_current = not problems(target, files, in_packages=False) and light_build_is_current(target)
    assets_current = minified_is_current(minified)
    if runtime_current and assets_current:
        return f"{target} already holds the pinned TF.js files and a current light build; {minified.name}/ is current"

    def make(modules: Path) -> None:
        if not runtime_current:
            _replace(target, files, modules)
        if not assets_current:
            minify_assets(modules, minified)

    node_modules = node_modules or ROOT / "node_modules"
    if not problems(node_modules, files, in_packages=True) and (node_modules / "esbuild").is_dir():
        make(node_modules)
        return f"copied and built from {node_modules}"
    with tempfile.TemporaryDirectory(prefix="digit-model-npm-") as scratch:
        _npm_ci(Path(scratch))
        installed = Path(scratch) / "node_modules"
        wrong = problems(installed, files, in_packages=True)
        if wrong:
            raise BundleError(
                "npm ci installed files that differ from plugins/digit_model/tfjs_files.json: " + "; ".join(wrong)
                + ". package-lock.json and tfjs_files.json must pin the same TF.js version."
            )
        make(installed)
    return "installed with `npm ci` from package-lock.json (in a temporary folder)"


def _npm_ci(folder: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise BundleError(
            "building the package needs npm, to fetch the pinned TF.js from the npm registry: install Node.js "
            "(which brings npm), or run `npm ci` in the project folder first, or install a prebuilt wheel."
        )
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(ROOT / name, folder / name)
    completed = subprocess.run(
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=folder, capture_output=True, text=True
    )
    if completed.returncode != 0:
        raise BundleError(f"`npm ci` failed ({completed.returncode}): {completed.stderr.strip()[-2000:]}")


def build_light(node_modules: Path, folder: Path) -> None:
    """Build the light runtime into `folder` from the packages in `node_modules`, and stamp it."""
    node = shutil.which("node")
    if node is None:
        raise BundleError(
            "building the package needs Node.js, to build the light TF.js runtime with esbuild: install Node.js "
            "(which brings npm) and run `npm ci` in the project folder, or install a prebuilt wheel."
        )
    completed = subprocess.run(
        [node, str(LIGHT_SOURCES / "build.mjs"), str(folder / LIGHT_FILE)],
        cwd=node_modules.parent, capture_output=True, text=True,
    )
    if completed.returncode != 0:
        raise BundleError(f"building the light TF.js runtime failed: {(completed.stderr or completed.stdout).strip()[-2000:]}")
    summary = json.loads(completed.stdout.strip().splitlines()[-1])
    spec = json.loads((LIGHT_SOURCES / "runtime.json").read_text(encoding="utf-8"))

    def described(name: str) -> dict:
        return {"file": name, "bytes": (folder / name).stat().st_size, "integrity": integrity(folder / name)}

    stamp = {
        "description": "The light TF.js build (tools/light_runtime/), made by tools/bundle_runtime.py: `file` holds "
                       "the first backend (the page starts on it), each of `parts` a later one (loaded when needed).",
        **described(LIGHT_FILE),
        "parts": [{"backend": part["backend"], **described(Path(part["file"]).name)} for part in summary["parts"]],
        "inputs": light_inputs_hash(),
        "esbuild": summary["esbuild"],
        "backends": spec["backends"],
        "layers": spec["layers"],
    }
    (folder / LIGHT_STAMP).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")


def minify_assets(node_modules: Path, folder: Path, assets: Path = ASSETS) -> None:
    """Minify every .js and .css of `assets` into `folder` (replaced whole), and stamp it."""
    node = shutil.which("node")
    if node is None:
        raise BundleError(
            "building the package needs Node.js, to minify the plugin's JavaScript with esbuild: install Node.js "
            "(which brings npm) and run `npm ci` in the project folder, or install a prebuilt wheel."
        )

    def fill(staging: Path) -> None:
        sources = asset_sources(assets)
        completed = subprocess.run(
            [node, str(MINIFY_SCRIPT), str(assets), str(staging)], cwd=node_modules.parent, capture_output=True, text=True,
        )
        if completed.returncode != 0:
            raise BundleError(f"minifying the plugin's assets failed: {(completed.stderr or completed.stdout).strip()[-2000:]}")
        summary = json.loads(completed.stdout.strip().splitlines()[-1])
        stamp = {
            "description": "Minified copies of plugins/digit_model/assets/ (tools/minify_assets.mjs), made by "
                           "tools/bundle_runtime.py; the plugin serves one only while its source has this SHA-256.",
            "esbuild": summary["esbuild"],
            "tool": minify_tool_hash(),
            "files": {name: {"source_sha256": sources[name], "bytes": summary["files"][name]["after"]}
                      for name in sources},
        }
        (staging / MINIFIED_STAMP).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")

    _swap_in(folder, fill)


def _replace(target: Path, files: list[dict], node_modules: Path) -> None:
    def fill(staging: Path) -> None:
        for entry in files:
            shutil.copyfile(node_modules / entry["package"] / entry["path"], staging / Path(entry["path"]).name)
        build_light(node_modules, staging)

    _swap_in(target, fill)


def _swap_in(target: Path, fill) -> None:
    """Fill a staging folder beside `target`, then put it in `target`'s place in one rename."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the installed package must be readable by all
    try:
        fill(staging)
        for path in staging.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        old = target.with_name(f".{target.name}-old-{os.getpid()}")
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-modules", type=Path, help="a node_modules folder holding the pinned packages")
    args = parser.parse_args(argv)
    try:
        print(f"TF.js runtime in {TARGET.relative_to(ROOT)}: {bundle(args.node_modules)}")
    except BundleError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
