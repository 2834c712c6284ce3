"""When TF.js is missing, wrong or damaged, the build fails with a command that, run as written in
a new folder, fixes it: each test runs that command for real (npm, the registry, npm's cache),
then builds again."""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from digit_model.runtime import PACKAGES, TFJS_FILE, TFJS_VERSION, WASM_FILES

from .conftest import TINY_RECIPE


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One artefact cache for the module: the tiny model trains once, at the first build that passes."""
    if shutil.which("npm") is None:
        pytest.fail("npm is required: install Node.js and npm (`make test` expects them).")
    return tmp_path_factory.mktemp("hints-cache")


def write_site(directory: Path, cache_dir: Path, node_modules: Path | None = None) -> Path:
    """A tiny site that takes TF.js from `node_modules` (the override of the bundled copy)."""
    options = {"recipe": dict(TINY_RECIPE), "cache_dir": str(cache_dir), "tutorial_train_images": 100, "tutorial_test_images": 100}
    if node_modules is not None:
        options["node_modules"] = str(node_modules)
    config = {"site_name": "hints", "theme": {"name": "material", "font": False}, "plugins": [{"digit-model": options}]}
    (directory / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (directory / "docs").mkdir()
    (directory / "docs" / "index.md").write_text("# Hints\n", encoding="utf-8")
    return directory / "mkdocs.yml"


class _Messages(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def build_error(config_file: Path) -> str:
    """Build a site that must fail; return the error MkDocs printed."""
    handler, logger = _Messages(), logging.getLogger("mkdocs")
    logger.addHandler(handler)
    try:
        with pytest.raises(Abort):
            build(load_config(str(config_file)))
    finally:
        logger.removeHandler(handler)
    return "\n".join(handler.lines)


def follow_hint(message: str, folder: Path) -> float:
    """Run the message's command as a user would paste it into a shell in `folder`; its seconds."""
    match = re.search(r"Run `([^`]+)`", message)
    assert match, message
    started = time.perf_counter()
    completed = subprocess.run(match.group(1), shell=True, cwd=folder, capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - started
    assert completed.returncode == 0, f"{match.group(1)}\n{completed.stdout}\n{completed.stderr}"
    print(f"{match.group(1)}: {seconds:.1f} s")
    return seconds


def assert_builds_with_tfjs(config_file: Path, node_modules: Path) -> None:
    config = load_config(str(config_file))
    build(config)
    site = Path(config.site_dir)
    for package, path in (TFJS_FILE, *WASM_FILES):
        served = site / "assets" / "digit-model" / "tfjs" / Path(path).name
        assert served.read_bytes() == (node_modules / package / path).read_bytes(), served


def fake_package(node_modules: Path, package: str, version: str) -> None:
    """A package folder holding only its package.json (as a broken or hand-made install leaves it)."""
    (node_modules / package).mkdir(parents=True)
    (node_modules / package / "package.json").write_text(json.dumps({"name": package, "version": version}))


def test_missing_tfjs_hint_installs_it_next_to_mkdocs_yml(tmp_path, cache_dir) -> None:
    config_file = write_site(tmp_path, cache_dir, Path("node_modules"))  # relative: next to mkdocs.yml
    message = build_error(config_file)
    assert f"TF.js is not installed in {tmp_path / 'node_modules'}" in message
    assert (
        f"Run `npm install --prefix {tmp_path} --save-exact @tensorflow/tfjs@{TFJS_VERSION} "
        f"@tensorflow/tfjs-backend-wasm@{TFJS_VERSION}`" in message
    )
    assert "set `node_modules:`" in message and "set `tfjs: cdn`" in message
    follow_hint(message, tmp_path)
    assert_builds_with_tfjs(config_file, tmp_path / "node_modules")


def test_tfjs_without_the_wasm_backend_gets_the_same_fix(tmp_path, cache_dir) -> None:
    # What `npm install @tensorflow/tfjs@4.22.0` alone leaves (the old hint): no WASM backend.
    node_modules = tmp_path / "node_modules"
    fake_package(node_modules, "@tensorflow/tfjs", TFJS_VERSION)
    message = build_error(write_site(tmp_path, cache_dir, node_modules))
    assert "(@tensorflow/tfjs-backend-wasm missing)" in message and f"npm install --prefix {tmp_path} " in message


def test_wrong_version_hint_installs_the_pinned_one(tmp_path, cache_dir) -> None:
    node_modules = tmp_path / "node_modules"
    for package in PACKAGES:
        fake_package(node_modules, package, "4.21.0")
    config_file = write_site(tmp_path, cache_dir, node_modules)
    message = build_error(config_file)
    assert (
        f"in {node_modules}, @tensorflow/tfjs is version 4.21.0 and @tensorflow/tfjs-backend-wasm is version 4.21.0, "
        f"but the plugin needs {TFJS_VERSION}" in message
    )
    # The same command as for a missing TF.js; run here too, as npm must replace what is there.
    assert f"Run `npm install --prefix {tmp_path} --save-exact @tensorflow/tfjs@{TFJS_VERSION} " in message
    follow_hint(message, tmp_path)
    assert_builds_with_tfjs(config_file, node_modules)


def test_damaged_install_hint_reinstalls_it(tmp_path, cache_dir) -> None:
    # The right versions with files missing: `npm install` alone would leave them as they are.
    node_modules = tmp_path / "web" / "node_modules"
    for package in PACKAGES:
        fake_package(node_modules, package, TFJS_VERSION)
    config_file = write_site(tmp_path, cache_dir, node_modules)
    message = build_error(config_file)
    assert f"@tensorflow/tfjs/{TFJS_FILE[1]}" in message and "(a damaged install)" in message
    assert f"Run `npm uninstall --prefix {tmp_path / 'web'} @tensorflow/tfjs @tensorflow/tfjs-backend-wasm && npm install" in message
    follow_hint(message, tmp_path)
    assert_builds_with_tfjs(config_file, node_modules)


def test_a_folder_not_named_node_modules_is_pointed_to_the_one_npm_creates(tmp_path, cache_dir) -> None:
    vendor = tmp_path / "my vendor"  # a space: the path is quoted for the shell
    message = build_error(write_site(tmp_path, cache_dir, vendor))
    assert f"Run `npm install --prefix '{vendor}' --save-exact" in message
    assert f"and set `node_modules: {vendor / 'node_modules'}`" in message
