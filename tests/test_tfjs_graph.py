"""One test per Keras 3 → tfjs-layers rule about model structure (`model_build.tfjs.graph`), on
real Keras 3 configs. That tfjs then computes the same outputs is `test_tfjs_export.py`'s job."""

from __future__ import annotations

import keras
import pytest

from model_build.errors import UnsupportedLayerError
from model_build.tfjs import graph

from .tfjs_export_cases import functional_multi_io

layers = keras.layers


@pytest.fixture(scope="module")
def multi_io() -> dict:
    model, _ = functional_multi_io()
    return graph.translate_model(model.get_config(), type(model).__name__)


def by_name(config: dict) -> dict:
    return {layer["name"]: layer for layer in config["config"]["layers"]}


def test_a_call_becomes_a_list_of_tensor_references(multi_io) -> None:
    scores = by_name(multi_io)["scores"]
    assert scores["inbound_nodes"] == [[["join", 0, 0, {}]]]
    assert by_name(multi_io)["left"]["inbound_nodes"] == []


def test_a_merge_layer_gets_one_reference_per_tensor_of_its_list(multi_io) -> None:
    assert by_name(multi_io)["add"]["inbound_nodes"] == [[["shared", 0, 0, {}], ["shared", 1, 0, {}]]]


def test_a_shared_layer_keeps_one_node_per_call(multi_io) -> None:
    # called on `left`, on `right`, then on `left` again (a third node, not a reuse of the first)
    assert by_name(multi_io)["shared"]["inbound_nodes"] == [[["left", 0, 0, {}]], [["right", 0, 0, {}]], [["left", 0, 0, {}]]]


def test_a_nested_model_is_translated_and_its_calls_shift_by_one(multi_io) -> None:
    inner = by_name(multi_io)["inner"]
    assert inner["class_name"] == "Sequential" and inner["config"]["layers"][0]["class_name"] == "InputLayer"
    assert by_name(multi_io)["join"]["inbound_nodes"] == [[["inner", 1, 0, {}], ["shared", 2, 0, {}]]]
    assert inner["inbound_nodes"] == [[["add", 0, 0, {}]]]  # `mask=None` dropped


def test_inputs_and_outputs_are_lists(multi_io) -> None:
    assert multi_io["config"]["input_layers"] == [["left", 0, 0], ["right", 0, 0]]
    assert multi_io["config"]["output_layers"] == [["scores", 0, 0], ["value", 0, 0]]
    single = keras.Model(x := keras.Input((2,), name="x"), layers.Dense(1, name="y")(x))
    config = graph.translate_model(single.get_config(), "Functional")["config"]
    assert config["input_layers"] == [["x", 0, 0]] and config["output_layers"] == [["y", 0, 0]]


def test_named_inputs_become_a_list_in_the_models_order() -> None:
    a, b = keras.Input((2,), name="a"), keras.Input((2,), name="b")
    model = keras.Model({"a": a, "b": b}, layers.Add(name="sum")([a, b]))
    assert graph.translate_model(model.get_config(), "Functional")["config"]["input_layers"] == [["a", 0, 0], ["b", 0, 0]]


def test_plain_keyword_arguments_are_kept_and_tensor_ones_refused() -> None:
    x = keras.Input((3,), name="x")
    kept = keras.Model(x, layers.Dropout(0.5, name="drop")(x, training=False))
    node = by_name(graph.translate_model(kept.get_config(), "Functional"))["drop"]["inbound_nodes"]
    assert node == [[["x", 0, 0, {"training": False}]]]
    call = {"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["x", 0, 0]}}],
            "kwargs": {"mask": {"class_name": "__keras_tensor__", "config": {"keras_history": ["m", 0, 0]}}}}
    with pytest.raises(UnsupportedLayerError, match="'att' is called with a tensor as its 'mask'"):
        graph.inbound_node(call, "att", set())
    with pytest.raises(UnsupportedLayerError, match="'scale' is called with a constant argument"):
        graph.inbound_node({"args": [2.0], "kwargs": {}}, "scale", set())
