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

#: Layers whose Keras config tfjs-layers 4.22 reads correctly once the rules have run; each has a
#: parity test (tests/test_tfjs_export.py) in the real TF.js.
SUPPORTED_LAYERS = frozenset(
    {
        "InputLayer",
        # convolution and pooling
        "Conv1D", "Conv2D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose",
        "MaxPooling1D", "AveragePooling1D", "MaxPooling2D", "AveragePooling2D",
        "GlobalAveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling2D",
        # core, normalization, embedding
        "Dense", "Activation", "Dropout", "SpatialDropout1D", "BatchNormalization", "LayerNormalization",
        "Embedding", "Rescaling",
        # recurrent
        "LSTM", "GRU", "SimpleRNN", "Bidirectional",
        # shape
        "Flatten", "Reshape", "Permute", "RepeatVector", "UpSampling2D", "ZeroPadding2D", "Cropping2D",
        # merging
        "Add", "Concatenate", "Multiply", "Average", "Maximum", "Minimum",
        # activation layers
        "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax",
    }
)

#: What to use instead of a layer TF.js cannot run (the error message says it).
UNSUPPORTED_ADVICE = {
    "Lambda": "TF.js cannot run Python code: replace the Lambda with built-in layers (Rescaling, Activation, "
    "Reshape, the merge layers…)",
    "Subtract": "tfjs-layers has no Subtract: write a - b as Add()([a, Rescaling(-1.0)(b)])",
    "Normalization": "tfjs-layers has no Normalization layer: normalise the inputs before the model, or fold "
    "the statistics into a Rescaling (one mean and variance) or a BatchNormalization",
    "SpatialDropout2D": "tfjs-layers has SpatialDropout1D only: use Dropout (both do nothing at inference)",
}

#: Keras 3 activation name → the tfjs-layers activation computing the same function (checked
#: numerically against Keras by the parity tests). Missing on purpose: `hard_sigmoid` (tfjs computes
#: 0.2·x + 0.5 clipped, Keras 3 computes x/6 + 0.5 clipped) and the activations tfjs lacks.
ACTIVATIONS = {
    "linear": "linear",
    "relu": "relu",
    "relu6": "relu6",
    "elu": "elu",
    "selu": "selu",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "softplus": "softplus",
    "softsign": "softsign",
    "softmax": "softmax",
    "log_softmax": "logSoftmax",
    "gelu": "gelu",
    "silu": "swish",
    "mish": "mish",
}

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
    `batchInputShape` or an `inputShape`". The batch dimension is left free: a Sequential that Keras
    built by calling it on a batch records that batch's size (`[2, 5]`), and tfjs would then refuse
    every other batch size. (Stateful recurrent layers, which need a fixed batch, are refused.)
    """
    if layer["class_name"] != "InputLayer":
        return layer
    config = layer["config"]
    if config.get("sparse") or config.get("ragged"):
        raise UnsupportedLayerError(f"Input {config.get('name')!r} is sparse or ragged; TF.js takes dense inputs only.")
    if "batch_shape" in config:
        config["batch_input_shape"] = [None, *list(config.pop("batch_shape"))[1:]]
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
    """Rule: only layers in SUPPORTED_LAYERS pass; the error names the layer, its class and what to do."""
    class_name = layer["class_name"]
    if class_name not in SUPPORTED_LAYERS:
        advice = UNSUPPORTED_ADVICE.get(class_name) or (
            "replace it with layers TF.js has, or keep it out of the exported model"
        )
        raise UnsupportedLayerError(
            f"Layer {layer['config'].get('name')!r} of class {class_name} cannot run in TF.js: {advice}. "
            f"Supported layers: {', '.join(sorted(SUPPORTED_LAYERS))}."
        )
    return layer


def activation_names(layer: Layer) -> Layer:
    """Rule: activations take tfjs's name for the same function (`silu` → `swish`, `log_softmax` →
    `logSoftmax`); one tfjs lacks, or computes differently (`hard_sigmoid`), is refused."""
    config = layer["config"]
    for key in [key for key in config if key == "activation" or key.endswith("_activation")]:
        value = config[key]
        name = value if isinstance(value, str) else None
        if name not in ACTIVATIONS:
            shown = name if name is not None else "a custom function"
            raise UnsupportedLayerError(
                f"Layer {config.get('name')!r} uses activation {shown!r} ({key}), which TF.js does not compute the "
                f"same way. Use one of: {', '.join(sorted(ACTIVATIONS))}; or an activation layer "
                "(LeakyReLU, PReLU, ELU, ReLU) after a linear layer."
            )
        config[key] = ACTIVATIONS[name]
    return layer


def activation_layer_options(layer: Layer) -> Layer:
    """Rule: Keras 3's LeakyReLU `negative_slope` is tfjs's `alpha`; ReLU's `negative_slope` and
    `threshold` have no tfjs form (only `max_value`) and are refused unless 0; tfjs's ELU layer
    takes alpha = 1 only."""
    config = layer["config"]
    if layer["class_name"] == "LeakyReLU" and "negative_slope" in config:
        config["alpha"] = config.pop("negative_slope")
    if layer["class_name"] == "ELU" and config.get("alpha", 1.0) != 1.0:
        raise UnsupportedLayerError(
            f"ELU layer {config.get('name')!r} sets alpha={config['alpha']}; tfjs-layers' ELU layer supports alpha=1 "
            "only. Use ELU() or activation='elu'."
        )
    if layer["class_name"] == "ReLU":
        for key in ("negative_slope", "threshold"):
            if config.pop(key, 0.0) not in (0, 0.0, None):
                raise UnsupportedLayerError(
                    f"ReLU layer {config.get('name')!r} sets {key}; tfjs's ReLU has only max_value. "
                    "Use LeakyReLU for a negative slope."
                )
    return layer


def softmax_on_last_axis(layer: Layer) -> Layer:
    """Rule: a Softmax layer must normalise the last axis, the only one tfjs-layers computes
    (another fails only at predict time, in the reader's browser). The rank comes from the
    layer's `build_config`; without one only ``axis=-1`` is known to be the last."""
    if layer["class_name"] != "Softmax":
        return layer
    config = layer["config"]
    axis = config.get("axis", -1)
    axes = axis if isinstance(axis, list) else [axis]
    shape = (layer.get("build_config") or {}).get("input_shape")
    rank = len(shape) if isinstance(shape, list) and not isinstance(shape[0], list) else None
    if axes != [-1] and not (rank is not None and len(axes) == 1 and axes[0] == rank - 1):
        raise UnsupportedLayerError(
            f"Softmax layer {config.get('name')!r} normalises axis {axis!r}; TF.js computes softmax over the last "
            "axis only. Move that axis last (Permute) before the Softmax."
        )
    config["axis"] = -1
    return layer


def global_pooling_without_keepdims(layer: Layer) -> Layer:
    """Rule: Keras 3's `keepdims` on global pooling is dropped when false; tfjs cannot keep them."""
    if not layer["class_name"].startswith("Global"):
        return layer
    config = layer["config"]
    if config.pop("keepdims", False):
        raise UnsupportedLayerError(
            f"Layer {config.get('name')!r} keeps the pooled dimensions (keepdims=True); tfjs's global pooling "
            "cannot. Pool without keepdims and add a Reshape."
        )
    return layer


def upsampling_nearest(layer: Layer) -> Layer:
    """Rule: UpSampling2D must be `nearest`: tfjs's bilinear resize samples pixel corners where
    Keras 3 samples pixel centres, so the two disagree (measured: by 0.67 on a 4×4 input)."""
    config = layer["config"]
    if layer["class_name"] == "UpSampling2D" and config.get("interpolation", "nearest") != "nearest":
        raise UnsupportedLayerError(
            f"UpSampling2D layer {config.get('name')!r} uses {config['interpolation']!r} interpolation; TF.js computes "
            "only 'nearest' the way Keras does. Use interpolation='nearest' (and a Conv2D after it to smooth)."
        )
    return layer


def stateless_recurrence(layer: Layer) -> Layer:
    """Rule: a stateful recurrent layer (state kept between calls, fixed batch) is refused: the
    exported model's batch size is free, and a page calling it expects each call to stand alone."""
    config = layer["config"]
    if config.get("stateful"):
        raise UnsupportedLayerError(
            f"Layer {config.get('name')!r} is stateful; export the model with stateful=False "
            "(the weights are the same: rebuild the model with stateful=False and copy them over with set_weights)."
        )
    return layer


def gru_reset_before(layer: Layer) -> Layer:
    """Rule: tfjs's GRU is the original formulation (reset gate before the matrix product); Keras 3's
    default `reset_after=True` is refused with the setting that works."""
    config = layer["config"]
    if layer["class_name"] == "GRU" and config.pop("reset_after", False):
        raise UnsupportedLayerError(
            f"GRU layer {config.get('name')!r} uses reset_after=True (Keras 3's default), which tfjs-layers does "
            "not implement. Build it as GRU(..., reset_after=False) and train it again."
        )
    return layer


def bidirectional_wrapped_layer(layer: Layer) -> Layer:
    """Rule: a Bidirectional keeps only the layer it wraps, under that layer's own name.

    tfjs builds both directions from `layer` (prefixing `forward_` / `backward_` itself) and ignores
    `backward_layer`; Keras 3 writes `layer` already renamed `forward_<name>`, which tfjs would make
    `forward_forward_<name>`. A backward layer that is not the mirror of the forward one (a
    different class or setting) has no tfjs form and is refused.
    """
    if layer["class_name"] != "Bidirectional":
        return layer
    config = layer["config"]
    forward = translate_layer(config["layer"])
    backward = config.pop("backward_layer", None)
    wrapped_name = forward["config"]["name"].removeprefix("forward_")
    if backward is not None:
        backward = translate_layer(backward)
        mirrored = dict(backward["config"], name=forward["config"]["name"], go_backwards=forward["config"].get("go_backwards", False))
        if backward["class_name"] != forward["class_name"] or mirrored != forward["config"] or backward["config"]["name"] != f"backward_{wrapped_name}":
            raise UnsupportedLayerError(
                f"Bidirectional layer {config.get('name')!r} has its own backward layer; tfjs builds the backward "
                "direction as a mirror of the forward one. Wrap a single layer: Bidirectional(layer)."
            )
    forward["config"]["name"] = wrapped_name
    config["layer"] = forward
    return layer


#: Applied to every layer, in this order (after `unwrap_serialized_objects`).
LAYER_RULES: tuple[Callable[[Layer], Layer], ...] = (
    require_supported_layer,
    dtype_policy_to_name,
    input_layer_batch_shape,
    softmax_on_last_axis,
    drop_keras3_only_keys,
    refuse_grouped_convolution,
    activation_names,
    activation_layer_options,
    global_pooling_without_keepdims,
    upsampling_nearest,
    stateless_recurrence,
    gru_reset_before,
    bidirectional_wrapped_layer,
)


def translate_layer(keras_layer: Mapping[str, Any]) -> Layer:
    """One layer of a Keras 3 config in tfjs-layers' dialect."""
    layer = unwrap_serialized_objects(copy.deepcopy(dict(keras_layer)))
    for rule in LAYER_RULES:
        layer = rule(layer)
    return {"class_name": layer["class_name"], "config": layer["config"]}
