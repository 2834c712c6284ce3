"""Recipe override files: a bad file is one sentence naming it, and YAML tags never run code."""

from __future__ import annotations

import subprocess
import sys

import pytest

from model_build import RecipeError
from model_build.recipe_file import read_mapping_file

from .conftest import ROOT, build_fails, write_site


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("r.yml", b"epochs: [1\n", "is not valid YAML at line 2, column 1"),
        ("r.json", b"{epochs: 1}", "is not valid JSON at line 1, column 2"),
        ("r.yml", b"epochs: 3 \xff\n", "is not UTF-8 text (byte 0xff at offset 10)"),
        ("r.yml", b"- epochs: 3\n", "must hold a mapping of recipe keys (such as `epochs: 3`), not list"),
        ("r.json", b"[1, 2]", "must hold a mapping of recipe keys (such as `epochs: 3`), not list"),
        ("r.yml", b"epochs: !!python/object/apply:os.system ['touch {marker}']\n", "uses a YAML tag that recipe files do not allow"),
    ],
    ids=["yaml-syntax", "json-syntax", "not-utf8", "yaml-list", "json-list", "python-tag"],
)
def test_a_bad_recipe_file_is_one_clear_error(tmp_path, name, content, expected) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / name
    path.write_bytes(content.replace(b"{marker}", str(marker).encode()))
    with pytest.raises(RecipeError) as caught:
        read_mapping_file(path)
    assert expected in str(caught.value) and str(path) in str(caught.value)
    assert not marker.exists()  # the tag's code never ran


def test_an_empty_file_is_no_overrides(tmp_path) -> None:
    for name in ("r.yml", "r.json"):
        (tmp_path / name).write_text("")
        assert read_mapping_file(tmp_path / name) == {}


def test_an_unreadable_recipe_file_is_named(tmp_path) -> None:
    with pytest.raises(RecipeError) as caught:
        read_mapping_file(tmp_path)  # a directory
    assert f"cannot read the recipe file {tmp_path}" in str(caught.value)


def test_the_cli_reports_a_bad_recipe_file_without_a_traceback(tmp_path) -> None:
    (tmp_path / "r.yml").write_text("- 1\n")
    completed = subprocess.run([sys.executable, "-m", "model_build", "check", "--cache-dir", str(tmp_path / "c"),
                                "--recipe", str(tmp_path / "r.yml")], cwd=ROOT, capture_output=True, text=True)
    assert completed.returncode == 2
    assert "must hold a mapping of recipe keys" in completed.stderr and "Traceback" not in completed.stderr


def test_the_plugin_reports_a_bad_recipe_file_without_a_traceback(tmp_path) -> None:
    (tmp_path / "r.yml").write_text("epochs: !!python/name:os.system\n")
    text = build_fails(write_site(tmp_path, {"recipe_file": "r.yml"}))
    assert "digit-model: the recipe file" in text and "YAML tag" in text
