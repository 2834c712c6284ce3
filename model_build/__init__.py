"""Build a small MNIST CNN for the browser: offline data → Keras 3 → TF.js Layers files.

Works on its own (``python -m model_build``) and under the MkDocs plugin. Importing the package
is cheap: TensorFlow is imported only when a model actually has to be trained.

    from model_build import ensure_fresh, recipe_class
    recipe = recipe_class("digits").from_options({"epochs": 1})
    artefacts = ensure_fresh(recipe)  # in the recipe's default cache, .cache/plugin/digit-model
    print(recipe.summarize(artefacts))
"""

from .errors import (
    CannotBuildError,
    DataIntegrityError,
    DataNotFoundError,
    ModelBuildError,
    RecipeError,
    StaleArtefactsError,
    UnsupportedLayerError,
)
from .mnist import AugmentationConfig, MnistConfig, MnistRecipe
from .pipeline import Artefacts, Freshness, Recipe, check_freshness, ensure_fresh
from .recipes import recipe_class

__all__ = [
    "Artefacts",
    "AugmentationConfig",
    "CannotBuildError",
    "DataIntegrityError",
    "DataNotFoundError",
    "Freshness",
    "MnistConfig",
    "MnistRecipe",
    "ModelBuildError",
    "Recipe",
    "RecipeError",
    "StaleArtefactsError",
    "UnsupportedLayerError",
    "check_freshness",
    "ensure_fresh",
    "load_mnist",
    "recipe_class",
]


def load_mnist(*args, **kwargs):
    """See `model_build.mnist.data.load_mnist` (imported on first use: it needs NumPy)."""
    from .mnist.data import load_mnist as _load_mnist

    return _load_mnist(*args, **kwargs)
