"""The network, the augmentation and the training loop."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from model_build.mnist.config import AugmentationConfig, MnistConfig
from model_build.mnist.network import build_network
from model_build.tfjs.writer import keras_model_parts

from .conftest import ROOT, TINY_RECIPE


def test_blog_network_is_the_reference_posts() -> None:
    model = build_network("blog")
    assert model.count_params() == 105_866
    assert sum(w.numpy().nbytes for w in model.weights) == 423_464
    assert [type(l).__name__ for l in model.layers] == [
        "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dropout", "Dense", "Dropout", "Dense",
    ]


def test_canvas_network_is_the_same_shape_twice_as_wide_within_the_weight_budget() -> None:
    model = build_network("canvas")
    blog = build_network("blog")
    assert [type(l).__name__ for l in model.layers] == [type(l).__name__ for l in blog.layers]
    assert [l.name for l in model.layers] == [l.name for l in blog.layers]  # same weight names in model.json
    assert model.count_params() == 320_938
    assert model.count_params() <= 450_000  # issue 13: at most 450 KB as uint8 (one byte a weight)


def test_compact_network_adds_a_third_convolution_and_stays_under_100k_parameters() -> None:
    model = build_network("compact")
    assert [type(l).__name__ for l in model.layers] == [
        "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D",
        "Flatten", "Dropout", "Dense", "Dropout", "Dense",
    ]
    # The layers it shares with the others keep their names, so weight names in model.json do too.
    assert [l.name for l in model.layers] == [
        "conv1", "pool1", "conv2", "pool2", "conv3", "pool3",
        "flatten", "dropout1", "dense", "dropout2", "probabilities",
    ]
    assert model.count_params() == 93_322
    assert model.count_params() <= 100_000  # issue 16: the model's share of the page's 250 KB gzip


def test_every_network_a_recipe_can_name_exists_and_uses_only_layers_the_light_tfjs_build_holds() -> None:
    from typing import get_args

    from model_build.mnist import config, network

    # config.py keeps its own copy of the names so that validating a recipe never imports Keras.
    assert get_args(config.NetworkName) == get_args(network.NetworkName)
    light = json.loads((ROOT / "tools" / "light_runtime" / "runtime.json").read_text())["layers"]
    for name in get_args(config.NetworkName):
        assert {type(l).__name__ for l in build_network(name).layers} <= set(light), name


def test_unknown_network_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown network 'huge'; known: blog, canvas, compact, compact80"):
        build_network("huge")


def test_augmentation_keeps_shape_range_and_is_reproducible(mnist) -> None:
    import tensorflow as tf

    from model_build.mnist.augment import augment_batch

    pixels = tf.constant(mnist.train_images[:64, :, :, None] / 255.0, tf.float32)
    seed = tf.constant([1, 2], tf.int64)
    config = AugmentationConfig()
    first = augment_batch(pixels, seed, config).numpy()
    again = augment_batch(pixels, seed, config).numpy()
    other = augment_batch(pixels, tf.constant([1, 3], tf.int64), config).numpy()
    assert first.shape == (64, 28, 28, 1)
    assert 0.0 <= first.min() and first.max() <= 1.0 + 1e-6
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    assert not np.allclose(first, pixels.numpy())  # it does distort
    # A digit is moved, not destroyed: ink stays within a sane factor of the original.
    ink_ratio = first.sum(axis=(1, 2, 3)) / pixels.numpy().sum(axis=(1, 2, 3))
    assert 0.4 < ink_ratio.min() and ink_ratio.max() < 3.0


def test_training_is_deterministic_and_logs_each_epoch(mnist, caplog) -> None:
    from model_build.mnist.training import train

    config = MnistConfig.from_mapping({**TINY_RECIPE, "epochs": 2, "train_subset": 1000, "augmentation": True})
    logger = logging.getLogger("determinism")
    with caplog.at_level(logging.INFO, logger="determinism"):
        first = train(config, mnist, logger)
    second = train(config, mnist, logger)
    epoch_lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("epoch ")]
    assert len(epoch_lines) == 2 and epoch_lines[1].startswith("epoch 2/2: loss ")
    assert [h["epoch"] for h in first.history] == [1, 2]
    assert {"loss", "accuracy", "seconds"} <= set(first.history[0])

    def weight_bytes(model) -> bytes:
        return b"".join(values.tobytes() for _, values in keras_model_parts(model)[1])

    assert weight_bytes(first.model) == weight_bytes(second.model)
    different = train(MnistConfig.from_mapping({**TINY_RECIPE, "epochs": 2, "train_subset": 1000, "seed": 1}), mnist, logger)
    assert weight_bytes(different.model) != weight_bytes(first.model)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"epochs": 0}, "recipe.epochs must be a whole number from 1 to 1,000, got 0"),
        ({"quantization": "int4"}, "recipe.quantization must be one of 'none', 'float16', 'uint8', got 'int4'"),
        ({"learning_rate_schedule": "step"}, "recipe.learning_rate_schedule must be one of 'constant', 'cosine'"),
        ({"learning_rate": 5}, "recipe.learning_rate must be a number between 0 and 1"),
        ({"epoch": 3}, "Unknown recipe key(s) epoch; known keys: augmentation, batch_size"),
        ({"augmentation": {"rotation": 5}}, "Unknown recipe.augmentation key(s) rotation"),
        ({"augmentation": {"scale_range": [1.2, 0.8]}}, "scale_range must be [low, high]"),
    ],
)
def test_invalid_recipe_values_name_the_key(overrides, message) -> None:
    from model_build.errors import RecipeError

    with pytest.raises(RecipeError) as caught:
        MnistConfig.from_mapping(overrides)
    assert message in str(caught.value)


def test_recipe_round_trips_through_a_mapping() -> None:
    config = MnistConfig.from_mapping({"epochs": 3, "augmentation": {"max_shift_pixels": 1.5}})
    assert MnistConfig.from_mapping(config.to_dict()) == config
    assert MnistConfig.from_mapping({"augmentation": False}).augmentation.enabled is False
