"""One test per Keras 3 → tfjs-layers translation rule, on real Keras 3 configs."""

from __future__ import annotations

import json

import keras
import pytest

from model_build.errors import UnsupportedLayerError
from model_build.mnist.network import build_network
from model_build.tfjs import graph, topology
from model_build.tfjs.writer import keras_model_parts


def _layer_config(layer: keras.layers.Layer) -> dict:
    return keras.saving.serialize_keras_object(layer)


def test_serialized_objects_lose_module_and_registered_name() -> None:
    conv = keras.layers.Conv2D(4, 3, name="c")
    raw = _layer_config(conv)
    assert "module" in raw and "module" in raw["config"]["kernel_initializer"]  # what Keras 3 writes
    unwrapped = topology.unwrap_serialized_objects(raw)
    text = json.dumps(unwrapped)
    assert '"module"' not in text and '"registered_name"' not in text
    assert unwrapped["config"]["kernel_initializer"] == {"class_name": "GlorotUniform", "config": {"seed": None, "input_axes": None, "output_axes": None}}


def test_dtype_policy_becomes_a_string() -> None:
    layer = topology.unwrap_serialized_objects(_layer_config(keras.layers.Dense(3, name="d")))
    assert isinstance(layer["config"]["dtype"], dict)
    assert topology.dtype_policy_to_name(layer)["config"]["dtype"] == "float32"


def test_mixed_precision_policy_is_refused() -> None:
    layer = topology.unwrap_serialized_objects(_layer_config(keras.layers.Dense(3, name="half", dtype="mixed_float16")))
    with pytest.raises(UnsupportedLayerError, match="'half'.*mixed_float16"):
        topology.dtype_policy_to_name(layer)


def test_input_layer_batch_shape_becomes_batch_input_shape() -> None:
    model = keras.Sequential([keras.Input((28, 28, 1), name="x"), keras.layers.Flatten(name="f")])
    raw_input = model.get_config()["layers"][0]
    assert raw_input["config"]["batch_shape"] == (None, 28, 28, 1)  # Keras 3, refused by tfjs 4.22
    config = topology.translate_layer(raw_input)["config"]
    assert config["batch_input_shape"] == [None, 28, 28, 1]
    assert "batch_shape" not in config and config["dtype"] == "float32"


def test_a_batch_size_keras_recorded_is_left_free() -> None:
    model = keras.Sequential([keras.layers.Dense(3, name="d")], name="called")
    model(keras.ops.zeros((2, 5)))  # built by a call: Keras records batch_shape [2, 5]
    raw_input = model.get_config()["layers"][0]
    assert list(raw_input["config"]["batch_shape"]) == [2, 5]
    assert topology.translate_layer(raw_input)["config"]["batch_input_shape"] == [None, 5]


def test_keras3_only_keys_are_dropped() -> None:
    model = build_network()
    dense = next(l for l in model.get_config()["layers"] if l["class_name"] == "Dense")
    assert "quantization_config" in dense["config"] and "build_config" in dense
    translated = topology.translate_layer(dense)
    assert set(translated) == {"class_name", "config"}
    assert "quantization_config" not in translated["config"]
    assert "input_axes" not in translated["config"]["kernel_initializer"]["config"]


def test_groups_one_is_dropped_and_other_groups_refused() -> None:
    plain = topology.translate_layer(_layer_config(keras.layers.Conv2D(4, 3, name="c")))
    assert "groups" not in plain["config"]
    with pytest.raises(UnsupportedLayerError, match="'grouped'.*groups=2"):
        topology.translate_layer(_layer_config(keras.layers.Conv2D(4, 3, groups=2, name="grouped")))


def test_unsupported_layer_is_named() -> None:
    with pytest.raises(UnsupportedLayerError, match="'noise' of class GaussianNoise"):
        topology.translate_layer(_layer_config(keras.layers.GaussianNoise(0.1, name="noise")))


def test_sequential_needs_an_input_layer_and_a_model_class() -> None:
    with pytest.raises(UnsupportedLayerError, match="keras.Input"):
        graph.translate_model({"name": "m", "layers": [_layer_config(keras.layers.Dense(2, name="d"))]}, "Sequential")
    with pytest.raises(UnsupportedLayerError, match="MyModel cannot be written.*functional keras.Model"):
        graph.translate_model({"name": "m", "layers": []}, "MyModel")


def test_weight_names_have_no_model_prefix_and_no_optimizer_state() -> None:
    model = build_network("canvas")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.optimizer.build(model.trainable_variables)  # optimizer variables now exist
    assert model.weights[0].path == "digits/conv1/kernel"  # what Keras 3 would call it
    model_config, weights = keras_model_parts(model)
    names = [name for name, _ in weights]
    assert names == [
        "conv1/kernel", "conv1/bias", "conv2/kernel", "conv2/bias",
        "dense/kernel", "dense/bias", "probabilities/kernel", "probabilities/bias",
    ]
    assert sum(values.size for _, values in weights) == 320_938
    text = json.dumps(model_config)
    for leak in ('"module"', "registered_name", "DTypePolicy", "batch_shape\"", "build_config", "optimizer"):
        assert leak not in text
