"""Only one machine ever trains: another clone of the site that restores the plugin's cache folder
(what the README's CI cache step does) builds without training, to the same bytes."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import TINY_RECIPE

pytestmark = pytest.mark.slow

CACHE = Path(".cache/plugin/digit-model")  # the plugin's default, relative to mkdocs.yml
PAGE = """# Digits

The model reads {{ digit_model.shipped_accuracy }} of the test digits.

```digit-recognizer
```
"""


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True, capture_output=True)


def mkdocs_build(project: Path, **env: str) -> subprocess.CompletedProcess:
    # Two builds on different days still write the same sitemap: MkDocs dates it from SOURCE_DATE_EPOCH.
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": "1764028800", **env}
    return subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=project, env=environment, capture_output=True,
                          text=True, timeout=900)


def different_files(left: Path, right: Path) -> list[str]:
    comparison = filecmp.dircmp(left, right)
    found = [*comparison.left_only, *comparison.right_only, *comparison.funny_files]
    found += [name for name in comparison.common_files if not filecmp.cmp(left / name, right / name, shallow=False)]
    for name in comparison.common_dirs:
        found += [f"{name}/{inner}" for inner in different_files(left / name, right / name)]
    return found


def test_a_clone_with_the_restored_cache_builds_the_same_site_without_training(tmp_path) -> None:
    origin = tmp_path / "origin"
    (origin / "docs").mkdir(parents=True)
    (origin / "docs" / "index.md").write_text(PAGE, encoding="utf-8")
    config = {"site_name": "CI", "theme": {"name": "mkdocs", "highlightjs": False},
              "plugins": [{"digit-model": {"recipe": dict(TINY_RECIPE)}}]}
    (origin / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (origin / ".gitignore").write_text(".cache/\nsite/\n")
    git("init", "-q", cwd=origin)
    git("add", "-A", cwd=origin)
    git("commit", "-qm", "site", cwd=origin)

    first = mkdocs_build(origin)
    assert first.returncode == 0, first.stderr
    assert "Building digits model" in first.stderr

    clone = tmp_path / "elsewhere" / "clone"
    git("clone", "-q", str(origin), str(clone), cwd=tmp_path)
    assert not (clone / ".cache").exists()
    shutil.copytree(origin / CACHE, clone / CACHE)  # only the cache folder, as actions/cache restores it
    # `never`: a build that found the model stale would fail here instead of training quietly.
    second = mkdocs_build(clone, DIGIT_MODEL_TRAIN="never")
    assert second.returncode == 0, second.stderr
    assert "model fresh" in second.stderr and "Building digits model" not in second.stderr
    assert different_files(origin / "site", clone / "site") == []
    # The key a CI step restores by is the same in both places: no path goes into it.
    assert cache_key(origin) == cache_key(clone)


def cache_key(project: Path) -> str:
    """`python -m digit_model cache-key` as a CI step runs it: stdout is the key, one line; and no
    TensorFlow is imported on the way."""
    code = ("import runpy, sys; sys.argv = ['digit_model', 'cache-key']\n"
            "try: runpy.run_module('digit_model', run_name='__main__')\n"
            "except SystemExit as end: assert end.code == 0, end.code\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    completed = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    key = completed.stdout.strip()
    assert len(key) == 32 and "\n" not in key, completed.stdout
    return key


def test_the_cache_key_follows_what_the_model_depends_on(tmp_path) -> None:
    keys = []
    for recipe in (dict(TINY_RECIPE), dict(TINY_RECIPE), {**TINY_RECIPE, "epochs": 2}):
        project = tmp_path / str(len(keys))
        (project / "docs").mkdir(parents=True)
        (project / "mkdocs.yml").write_text(yaml.safe_dump({"site_name": "k", "plugins": [{"digit-model": {"recipe": recipe}}]}))
        keys.append(cache_key(project))
    assert keys[0] == keys[1] != keys[2]
    missing = subprocess.run([sys.executable, "-m", "digit_model", "cache-key", "-f", str(tmp_path / "none.yml")],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "none.yml" in missing.stderr and missing.stdout == ""
