"""Keras 3 model structure → the model config tfjs-layers 4.x rebuilds: Sequential, Functional, nested.

`topology.translate_layer` rewrites one layer's own config; this module rewrites how layers are
connected. Each difference is one named rule with its own test:

- a Keras 3 call (`inbound_nodes` entry) is ``{"args": [...KerasTensor...], "kwargs": {...}}``;
  tfjs reads a list of ``[layer name, node index, tensor index, kwargs]``, one per input tensor;
- `input_layers` / `output_layers` may be a single ``[name, node, tensor]`` or a dict in Keras 3;
  tfjs reads a list of them;
- a model used as a layer (a Sequential inside a Functional, say) is translated recursively.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import UnsupportedLayerError
from .topology import translate_layer

#: Keras 3's class names for models, and what tfjs-layers registers for each.
MODEL_CLASSES = {"Sequential": "Sequential", "Functional": "Functional", "Model": "Functional"}
KERAS_TENSOR = "__keras_tensor__"


def translate_model(model_config: Mapping[str, Any], class_name: str) -> dict[str, Any]:
    """A Keras 3 model's `get_config()` (and its class name) → tfjs `model_config`."""
    if class_name not in MODEL_CLASSES:
        raise UnsupportedLayerError(
            f"Model class {class_name} cannot be written for TF.js: build it as keras.Sequential or as a "
            "functional keras.Model(inputs, outputs). A subclassed model has no config TF.js can rebuild."
        )
    if MODEL_CLASSES[class_name] == "Sequential":
        return {"class_name": "Sequential", "config": sequential_config(model_config)}
    return {"class_name": "Functional", "config": functional_config(model_config)}


def translate_any_layer(keras_layer: Mapping[str, Any]) -> dict[str, Any]:
    """Rule: a layer that is itself a model is translated as a model, any other as a layer."""
    class_name = keras_layer["class_name"]
    if class_name in MODEL_CLASSES:
        return translate_model(keras_layer["config"], class_name)
    return translate_layer(keras_layer)


def sequential_config(model_config: Mapping[str, Any]) -> dict[str, Any]:
    """Rule: a Sequential keeps its layer list, starting with its InputLayer (as Keras 2.4+ wrote it);
    Keras 3's model-level `dtype` and `build_input_shape` are dropped."""
    layers = [translate_any_layer(layer) for layer in model_config["layers"]]
    if not layers or layers[0]["class_name"] != "InputLayer":
        raise UnsupportedLayerError(
            f"The Sequential model {model_config.get('name')!r} has no InputLayer: start it with "
            "keras.Input(shape) so TF.js knows its input shape."
        )
    return {"name": model_config.get("name", "sequential"), "layers": layers}


def functional_config(model_config: Mapping[str, Any]) -> dict[str, Any]:
    """Rule: a Functional's layers keep their names and calls; inputs and outputs become lists."""
    shifted = {
        keras_layer.get("name") or keras_layer["config"]["name"]
        for keras_layer in model_config["layers"]
        if keras_layer["class_name"] in MODEL_CLASSES
    }
    layers = []
    for keras_layer in model_config["layers"]:
        layer = translate_any_layer(keras_layer)
        name = keras_layer.get("name") or keras_layer["config"]["name"]
        layer["name"] = name
        layer["inbound_nodes"] = [inbound_node(call, name, shifted) for call in keras_layer.get("inbound_nodes", [])]
        layers.append(layer)
    return {
        "name": model_config.get("name", "model"),
        "layers": layers,
        "input_layers": endpoint_list(model_config["input_layers"], "input", shifted),
        "output_layers": endpoint_list(model_config["output_layers"], "output", shifted),
    }


def node_index(layer_name: str, keras_index: int, nested_models: set[str]) -> int:
    """Rule: a call of a model used as a layer is one node further in tfjs than in Keras 3.

    A tfjs model (like a Keras 2 one) holds a node of its own at index 0, linking its inputs to
    its outputs; its calls in the outer model follow it. Keras 3 counts only the calls, so its
    first call (index 0) is tfjs's index 1 (index 0 would be the inner graph: "Graph disconnected").
    """
    return keras_index + 1 if layer_name in nested_models else keras_index


def inbound_node(call: Mapping[str, Any], layer_name: str, nested_models: set[str]) -> list[list[Any]]:
    """Rule: one Keras 3 call → tfjs's ``[[layer, node, tensor, kwargs], …]``, one entry per input tensor.

    Tensors are taken from the positional arguments in order, flattening a list argument (how
    `Add`, `Concatenate` and the other merge layers receive theirs). Keyword arguments that are
    unset (`mask=None`) are dropped; plain values (`training=False`) are kept as tfjs's kwargs;
    a tensor passed by keyword, or a positional argument that is not a tensor, has no tfjs form.
    """
    kwargs = {}
    for key, value in call.get("kwargs", {}).items():
        if value is None:
            continue
        if contains_tensor(value):
            raise UnsupportedLayerError(
                f"Layer {layer_name!r} is called with a tensor as its {key!r} argument; TF.js's model format "
                "passes tensors only as inputs. Pass it as an input (a list) or leave it out."
            )
        kwargs[key] = value
    tensors = []
    for argument in flatten(call.get("args", [])):
        if not is_keras_tensor(argument):
            raise UnsupportedLayerError(
                f"Layer {layer_name!r} is called with a constant argument ({argument!r}); TF.js's model format "
                "passes only tensors to a layer. Make the value part of the layer's config, or an input."
            )
        name, keras_index, tensor_index = argument["config"]["keras_history"]
        tensors.append([name, node_index(name, keras_index, nested_models), tensor_index, kwargs])
    return tensors


def endpoint_list(endpoints: Any, role: str, nested_models: set[str]) -> list[list[Any]]:
    """Rule: Keras 3 writes one endpoint as a bare ``[name, node, tensor]`` and named ones as a dict;
    tfjs reads a list of endpoints (a dict's in its order, which is the model's)."""
    if isinstance(endpoints, Mapping):
        endpoints = list(endpoints.values())
    if is_endpoint(endpoints):
        endpoints = [endpoints]
    if all(is_endpoint(endpoint) for endpoint in endpoints):
        return [[name, node_index(name, index, nested_models), tensor] for name, index, tensor in endpoints]
    raise UnsupportedLayerError(
        f"The model's {role}s are nested ({endpoints!r}); TF.js takes a flat list of {role}s. "
        f"Pass keras.Model a flat list of {role} tensors."
    )


def is_endpoint(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) == 3
        and isinstance(value[0], str)
        and all(isinstance(index, int) for index in value[1:])
    )


def is_keras_tensor(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("class_name") == KERAS_TENSOR


def contains_tensor(value: Any) -> bool:
    return any(is_keras_tensor(item) for item in flatten([value]))


def flatten(value: Any) -> list[Any]:
    """Every leaf of nested lists / tuples, in order (a dict counts as a leaf)."""
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in flatten(item)]
    return [value]
