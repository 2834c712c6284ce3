"""Build a small MNIST CNN for the browser: offline data → Keras 3 → TF.js Layers files.

Works on its own (``python -m model_build``) and under the MkDocs plugin. Importing the package
is cheap: TensorFlow is imported only when a model actually has to be trained.

    from model_build import MnistConfig, MnistRecipe, ensure_fresh
    artefacts = ensure_fresh(MnistRecipe(MnistConfig(epochs=1)), cache_dir=".cache/plugin/digit-model")
"""

from .errors import (
    DataIntegrityError,
    DataNotFoundError,
    ModelBuildError,
    RecipeError,
    StaleArtefactsError,
    UnsupportedLayerError,
)
from .mnist import AugmentationConfig, MnistConfig, MnistRecipe
from .pipeline import DEFAULT_CACHE_DIR, Artefacts, Freshness, check_freshness, ensure_fresh, summarize

__all__ = [
    "DEFAULT_CACHE_DIR",
    "Artefacts",
    "AugmentationConfig",
    "DataIntegrityError",
    "DataNotFoundError",
    "Freshness",
    "MnistConfig",
    "MnistRecipe",
    "ModelBuildError",
    "RecipeError",
    "StaleArtefactsError",
    "UnsupportedLayerError",
    "check_freshness",
    "ensure_fresh",
    "load_mnist",
    "summarize",
]


def load_mnist(*args, **kwargs):
    """See `model_build.mnist.data.load_mnist` (imported on first use: it needs NumPy)."""
    from .mnist.data import load_mnist as _load_mnist

    return _load_mnist(*args, **kwargs)
