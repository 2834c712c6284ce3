"""The MNIST digits recipe. Importing this package is cheap: TensorFlow loads only to build."""

from .browser_data import BrowserDataConfig, BrowserDataRecipe
from .config import AugmentationConfig, MnistConfig
from .recipe import MnistRecipe

__all__ = ["AugmentationConfig", "BrowserDataConfig", "BrowserDataRecipe", "MnistConfig", "MnistRecipe", "load_mnist"]


def __getattr__(name: str):
    if name == "load_mnist":  # NumPy only when asked for
        from .data import load_mnist

        return load_mnist
    raise AttributeError(name)
