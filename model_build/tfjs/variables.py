"""The names tfjs-layers gives a model's weights, for the Keras 3 variables that fill them.

TF.js matches the weights manifest to its variables by name (`LayersModel.loadWeights`), and
its names are not Keras 3's: Keras 3's `Variable.path` starts with the model's name when the
model built the layer (`my_model/conv1/kernel`), which TF.js rejects ("Provided weight data has no
target variable"). So names are built from the layer structure instead (`layer_weights`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import UnsupportedLayerError


def tfjs_weights(model: Any) -> list[tuple[str, np.ndarray]]:
    """[(TF.js weight name, values)] for every weight of every layer of `model`, in layer order."""
    return [(name, np.asarray(variable.numpy())) for name, variable in tfjs_variables(model)]


def assign_tfjs_weights(model: Any, weights: Mapping[str, np.ndarray]) -> None:
    """Put weights named as TF.js names them (a written model, decoded) back into `model`."""
    for name, variable in tfjs_variables(model):
        variable.assign(weights[name])


def tfjs_variables(model: Any) -> list[tuple[str, Any]]:
    """[(TF.js weight name, Keras variable)] for every weight of every layer of `model`; refuses
    two weights that TF.js would give the same name."""
    named: list[tuple[str, Any]] = []
    for layer in model.layers:
        named.extend(layer_weights(layer, prefix=""))
    seen: set[str] = set()
    for name, _ in named:
        if name in seen:
            raise UnsupportedLayerError(
                f"Two weights would both be called {name!r} in TF.js, which names a nested model's weights as if "
                "its layers were the outer model's. Give the layers distinct names (name=...) and export again."
            )
        seen.add(name)
    return named


#: (layer class, Keras 3 variable name) → tfjs-layers' name for the same weight.
RENAMED_VARIABLES = {("DepthwiseConv2D", "kernel"): "depthwise_kernel"}


def layer_weights(layer: Any, prefix: str) -> list[tuple[str, Any]]:
    """The weights of one layer, named as tfjs names them:

    - a plain layer: `<layer>/<variable>` (a recurrent layer's cell adds no name in tfjs);
    - a Bidirectional: `<layer>/forward_<wrapped>/<variable>` and `…/backward_<wrapped>/…`, the
      names tfjs gives the two directions it builds;
    - a model used as a layer: its own layers' weights, named as if they were the outer model's
      (tfjs builds a nested model's layers outside any name scope of its own).
    """
    import keras

    if isinstance(layer, keras.Model):
        return [item for inner in layer.layers for item in layer_weights(inner, prefix)]
    if isinstance(layer, keras.layers.Bidirectional):
        return [
            item
            for direction in (layer.forward_layer, layer.backward_layer)
            for item in layer_weights(direction, f"{prefix}{layer.name}/")
        ]
    class_name = type(layer).__name__
    return [
        (f"{prefix}{layer.name}/{RENAMED_VARIABLES.get((class_name, variable.name), variable.name)}",
         variable)
        for variable in layer.weights
    ]
