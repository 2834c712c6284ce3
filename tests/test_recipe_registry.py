"""Recipes are found by name, by the CLI, the child process and the plugin alike."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

from model_build import RecipeError, check_freshness
from model_build.isolated import ensure_fresh_isolated
from model_build.mnist import BrowserDataRecipe, MnistRecipe
from model_build.recipes import DEFAULT_RECIPE, RECIPES, recipe_class

from .conftest import ROOT, TINY_RECIPE


def test_every_name_finds_the_class_that_carries_it() -> None:
    assert recipe_class("digits") is MnistRecipe and recipe_class("browser-data") is BrowserDataRecipe
    assert DEFAULT_RECIPE in RECIPES
    for name in RECIPES:
        assert recipe_class(name).name == name  # a child process is told this name


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(RecipeError) as caught:
        recipe_class("letters")
    assert str(caught.value) == "Unknown recipe 'letters'; known recipes: browser-data, digits."


def test_from_options_builds_the_recipe_and_validates_its_keys(tmp_path) -> None:
    recipe = recipe_class("digits").from_options(TINY_RECIPE, data_path=tmp_path / "m.npz", data_cache_dir=tmp_path)
    assert recipe.config.epochs == 1 and recipe.data_path == tmp_path / "m.npz" and recipe.data_cache_dir == tmp_path
    assert recipe_class("digits").from_options(recipe.config.to_dict()).config == recipe.config  # what a child gets
    with pytest.raises(RecipeError, match="train_image"):
        recipe_class("browser-data").from_options({"train_image": 5})


def test_the_registry_and_the_cli_import_no_recipe_and_no_numpy() -> None:
    probe = (
        "import json, sys\n"
        "import model_build.recipes, model_build.cli, model_build.isolated, model_build.pipeline\n"
        "print(json.dumps(sorted(m for m in ('numpy', 'tensorflow', 'keras') if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []


def test_the_cli_checks_a_recipe_named_on_the_command_line(tmp_path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "model_build", "check", "--recipe-name", "browser-data", "--cache-dir", str(tmp_path),
         "--set", "train_images=200"], cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 1 and completed.stdout.startswith("stale "), completed.stderr
    assert "no artefacts built yet" in completed.stdout


def test_a_child_builds_the_recipe_it_is_named(tmp_path) -> None:
    """The isolated build of a non-default recipe: the child finds it by name and builds the same inputs."""
    recipe = recipe_class("browser-data").from_options({"train_images": 40, "test_images": 10})
    artefacts = ensure_fresh_isolated(recipe, tmp_path, train="auto", logger=logging.getLogger("tests.registry"))
    assert artefacts.built and artefacts.fingerprint == check_freshness(recipe, tmp_path).fingerprint
    assert artefacts.metrics()["train"]["count"] == 40
    assert recipe.summarize(artefacts).startswith("40 train + 10 test digits, ")
