"""The plugin's own JS and CSS, minified by the package build (tools/bundle_runtime.py with the
pinned esbuild) and served in place of the sources only while each copy matches its source."""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from pathlib import Path

import pytest

from digit_model.minified_assets import served_assets
from digit_model.site_files import ASSETS

from .conftest import ROOT, run_node

sys.path.insert(0, str(ROOT / "tools"))
import bundle_runtime  # noqa: E402


@pytest.fixture(scope="module")
def minified(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh minified copy of today's assets, made the way the package build makes it."""
    folder = tmp_path_factory.mktemp("minify") / "assets-min"
    bundle_runtime.minify_assets(ROOT / "node_modules", folder)
    return folder


def test_every_js_and_css_file_gets_a_smaller_copy_and_a_stamp(minified: Path) -> None:
    sources = bundle_runtime.asset_sources()
    assert {"js/main.js", "js/recognizer.js", "digit-model.css"} <= set(sources)
    stamp = json.loads((minified / "minified.json").read_text(encoding="utf-8"))
    assert {name: entry["source_sha256"] for name, entry in stamp["files"].items()} == sources
    for name in sources:
        source, copy = (ASSETS / name).read_bytes(), (minified / name).read_bytes()
        assert len(copy) == stamp["files"][name]["bytes"]
        assert len(gzip.compress(copy)) < len(gzip.compress(source)), name
    assert bundle_runtime.minified_is_current(minified)


def test_modules_keep_their_imports_and_exports(minified: Path) -> None:
    names = [name for name in bundle_runtime.asset_sources() if name.endswith(".js")]
    files = [str(ASSETS / name) for name in names] + [str(minified / name) for name in names]
    interfaces = json.loads(run_node(ROOT / "tests" / "node" / "module_interface.mjs", *files))
    for name in names:
        source, copy = interfaces[str(ASSETS / name)], interfaces[str(minified / name)]
        assert copy == source, name
    assert ["./teach.js", "dynamic-import"] in interfaces[str(minified / "js/recognizer.js")]["imports"]


def test_the_site_serves_each_copy_only_while_its_source_is_unchanged(minified: Path, tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    shutil.copytree(ASSETS, assets)
    served = served_assets(assets, minified)
    assert all(path == minified / name for name, path in served.items())
    # An edit in a checkout (what `mkdocs serve` shows while someone works on the code):
    edited = assets / "js" / "dom.js"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n// edited\n", encoding="utf-8")
    served = served_assets(assets, minified)
    assert served["js/dom.js"] == edited
    assert served["js/main.js"] == minified / "js/main.js"
    assert not bundle_runtime.minified_is_current(minified, assets)


def test_without_copies_every_asset_is_served_as_written(tmp_path: Path) -> None:
    assert served_assets(ASSETS, tmp_path / "none") == {
        path.relative_to(ASSETS).as_posix(): path for path in ASSETS.rglob("*") if path.is_file()
    }
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "minified.json").write_text("{not json", encoding="utf-8")
    assert all(path.is_relative_to(ASSETS) for path in served_assets(ASSETS, tmp_path / "broken").values())
