"""Keras 3 model config → the Keras-2-style topology that tfjs-layers 4.x deserialises.

Every difference between the two dialects that matters to TF.js is one named rule below, applied
to each layer in order, with a test of its own. Anything that no rule can express is an error
naming the layer, never a file that fails later in a reader's browser.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import UnsupportedLayerError

#: Layers whose Keras config tfjs-layers reads correctly once the rules have run.
SUPPORTED_LAYERS = frozenset(
    {
        "InputLayer",
        "Conv2D",
        "DepthwiseConv2D",
        "MaxPooling2D",
        "AveragePooling2D",
        "GlobalAveragePooling2D",
        "GlobalMaxPooling2D",
        "Flatten",
        "Reshape",
        "Dropout",
        "Dense",
        "Activation",
        "ReLU",
        "Softmax",
        "BatchNormalization",
    }
)

#: Keys that Keras 3 writes and Keras 2 never had: tfjs does not know them.
KERAS3_ONLY_KEYS = frozenset(
    {"build_config", "compile_config", "quantization_config", "lora_rank", "lora_alpha", "optional", "ragged"}
)

#: Initializer arguments added in Keras 3 (tfjs initializers take seed, scale, mode, distribution…).
KERAS3_ONLY_INITIALIZER_KEYS = frozenset({"input_axes", "output_axes"})

Layer = dict[str, Any]


def unwrap_serialized_objects(value: Any) -> Any:
    """Rule: drop Keras 3's `module` / `registered_name` around every serialised object.

    Keras 3 writes ``{"module": "keras.initializers", "class_name": "Zeros", "config": {},
    "registered_name": null}``; tfjs expects ``{"class_name": "Zeros", "config": {}}``.
    """
    if isinstance(value, Mapping):
        return {
            key: unwrap_serialized_objects(item)
            for key, item in value.items()
            if not ("class_name" in value and key in ("module", "registered_name"))
        }
    if isinstance(value, (list, tuple)):
        return [unwrap_serialized_objects(item) for item in value]
    return value


def dtype_policy_to_name(layer: Layer) -> Layer:
    """Rule: a `DTypePolicy` object becomes the plain dtype string tfjs expects.

    Only float32 exists in TF.js's layers; a mixed-precision policy is refused.
    """
    config = layer["config"]
    dtype = config.get("dtype")
    if isinstance(dtype, Mapping):
        name = dtype.get("config", {}).get("name")
        if name != "float32":
            raise UnsupportedLayerError(
                f"Layer {config.get('name')!r} uses dtype policy {name!r}; TF.js layers run in float32 only. "
                "Build the model with the float32 policy."
            )
        config["dtype"] = "float32"
    return layer


def input_layer_batch_shape(layer: Layer) -> Layer:
    """Rule: an InputLayer's `batch_shape` becomes `batch_input_shape` (tfjs issue 8494).

    tfjs-layers 4.22 refuses the Keras 3 spelling: "An InputLayer should be passed either a
    `batchInputShape` or an `inputShape`".
    """
    if layer["class_name"] != "InputLayer":
        return layer
    config = layer["config"]
    if config.get("sparse") or config.get("ragged"):
        raise UnsupportedLayerError(f"Input {config.get('name')!r} is sparse or ragged; TF.js takes dense inputs only.")
    if "batch_shape" in config:
        config["batch_input_shape"] = list(config.pop("batch_shape"))
    config.setdefault("dtype", "float32")
    return layer


def drop_keras3_only_keys(layer: Layer) -> Layer:
    """Rule: remove keys that only Keras 3 writes (build/compile/quantization/LoRA settings…)."""
    for key in KERAS3_ONLY_KEYS:
        layer.pop(key, None)
        layer["config"].pop(key, None)
    for value in layer["config"].values():
        if isinstance(value, dict) and "class_name" in value and isinstance(value.get("config"), dict):
            for key in KERAS3_ONLY_INITIALIZER_KEYS:
                value["config"].pop(key, None)
    return layer


def refuse_grouped_convolution(layer: Layer) -> Layer:
    """Rule: `groups` (Keras ≥ 2.3) is dropped when 1 and refused otherwise: tfjs has no grouped conv."""
    config = layer["config"]
    if "groups" in config:
        if config["groups"] != 1:
            raise UnsupportedLayerError(
                f"Layer {config.get('name')!r} is a grouped convolution (groups={config['groups']}); "
                "tfjs-layers has no grouped convolution."
            )
        del config["groups"]
    return layer


def require_supported_layer(layer: Layer) -> Layer:
    """Rule: only layers in SUPPORTED_LAYERS pass; the error names the layer and its class."""
    if layer["class_name"] not in SUPPORTED_LAYERS:
        raise UnsupportedLayerError(
            f"Layer {layer['config'].get('name')!r} of class {layer['class_name']} cannot be written for TF.js "
            f"by this writer. Supported layers: {', '.join(sorted(SUPPORTED_LAYERS))}."
        )
    return layer


#: Applied to every layer, in this order (after `unwrap_serialized_objects`).
LAYER_RULES: tuple[Callable[[Layer], Layer], ...] = (
    require_supported_layer,
    dtype_policy_to_name,
    input_layer_batch_shape,
    drop_keras3_only_keys,
    refuse_grouped_convolution,
)


def translate_layer(keras_layer: Mapping[str, Any]) -> Layer:
    """One layer of a Keras 3 config in tfjs-layers' dialect."""
    layer = unwrap_serialized_objects(copy.deepcopy(dict(keras_layer)))
    for rule in LAYER_RULES:
        layer = rule(layer)
    return {"class_name": layer["class_name"], "config": layer["config"]}


def translate_sequential(model_config: Mapping[str, Any], class_name: str) -> dict[str, Any]:
    """A Keras 3 Sequential's `get_config()` → tfjs `model_config`.

    The model-level `dtype` policy and `build_input_shape` are Keras 3 only and are dropped;
    the layer list starts with its InputLayer, as Keras 2.4+ wrote it.
    """
    if class_name != "Sequential":
        raise UnsupportedLayerError(
            f"Model class {class_name} is not supported by this writer: build the model as keras.Sequential."
        )
    layers = [translate_layer(layer) for layer in model_config["layers"]]
    if not layers or layers[0]["class_name"] != "InputLayer":
        raise UnsupportedLayerError(
            "The Sequential model has no InputLayer: start it with keras.Input(shape) so TF.js knows its input shape."
        )
    return {"class_name": "Sequential", "config": {"name": model_config.get("name", "sequential"), "layers": layers}}
