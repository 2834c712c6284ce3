"""Recipes by name: how the CLI, the child process and the plugin find one.

As mkdocstrings finds a handler by its name, a front end names a recipe ("digits") and gets its
class here; the generic machinery (pipeline, isolated build, CLI) imports none of them. Each
name maps to the import path of its class, imported on first use: importing this module costs
nothing, and asking for a recipe imports only that recipe's light module (never NumPy or
TensorFlow: those wait for `build`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .errors import RecipeError

if TYPE_CHECKING:
    from .pipeline import Recipe

#: Recipe name → "module:class". A class's `name` is its key here (a child process is told it).
RECIPES: dict[str, str] = {
    "digits": "model_build.mnist.recipe:MnistRecipe",
    "browser-data": "model_build.mnist.browser_data:BrowserDataRecipe",
}
#: The recipe of the CLI's `build`, `check` and `fingerprint` when no --recipe-name is given.
DEFAULT_RECIPE = "digits"


def recipe_class(name: str) -> type[Recipe]:
    """The class registered as `name`; RecipeError lists the known names for any other."""
    try:
        module_name, _, class_name = RECIPES[name].partition(":")
    except KeyError:
        raise RecipeError(f"Unknown recipe {name!r}; known recipes: {', '.join(sorted(RECIPES))}.") from None
    return getattr(importlib.import_module(module_name), class_name)
