"""The teach sample: features of MNIST training digits to replay and of held-out test digits to
measure on, shipped with the model for in-browser fine-tuning (teach-features.bin +
teach-sample.json)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from model_build import ensure_fresh
from model_build.mnist.teach_sample import (
    TEACH_FEATURES, TEACH_JSON, balanced_indices, choose_teach_sample, encode_uint8, output_layer_inputs,
    write_teach_sample,
)

from .conftest import TINY_RECIPE, tiny_recipe

#: The recipe's defaults, which the tiny recipe's subsets (6,000 training, 2,000 test digits) allow.
REPLAY_PER_DIGIT, CHECK_PER_DIGIT, HOLDOUT_PER_DIGIT = 30, 50, 100


def read_entry(directory):
    """(description, replay, check, holdout features) of a teach sample, decoded as the page does."""
    description = json.loads((directory / TEACH_JSON).read_text(encoding="utf-8"))
    encoding = description["features"]
    codes = np.fromfile(directory / encoding["file"], dtype=np.uint8).reshape(-1, encoding["dimension"])
    features = encoding["offset"] + codes.astype(np.float32) * encoding["scale"]
    replay, check = description["replay"]["count"], description["check"]["count"]
    return description, features[:replay], features[replay:replay + check], features[replay + check:]


def test_the_entry_holds_the_teach_sample_as_described(tiny_artefacts) -> None:
    from model_build.mnist.build import shipped_model

    description, replay, check, holdout = read_entry(tiny_artefacts.directory)
    assert set(description) == {"features", "replay", "check", "holdout"}
    model = shipped_model(tiny_artefacts.directory)
    assert description["features"]["file"] == TEACH_FEATURES and description["features"]["dtype"] == "uint8"
    assert description["features"]["layer"] == model.layers[-1].name
    assert description["features"]["dimension"] == model.layers[-1].input.shape[-1]
    assert description["replay"]["source"] == "MNIST training split"
    assert description["check"]["source"] == description["holdout"]["source"] == "MNIST test split"
    for part, rows, per_digit in (("replay", replay, REPLAY_PER_DIGIT), ("check", check, CHECK_PER_DIGIT),
                                  ("holdout", holdout, HOLDOUT_PER_DIGIT)):
        labels = description[part]["labels"]
        assert description[part]["count"] == len(labels) == len(rows) == 10 * per_digit
        assert np.bincount(labels, minlength=10).tolist() == [per_digit] * 10  # class-balanced
    figures = tiny_artefacts.metrics()["teach_sample"]
    assert figures == {
        "replay_digits": 10 * REPLAY_PER_DIGIT, "check_digits": 10 * CHECK_PER_DIGIT, "holdout_digits": 10 * HOLDOUT_PER_DIGIT,
        "bytes": (tiny_artefacts.directory / TEACH_FEATURES).stat().st_size,
        "holdout_shipped_accuracy": description["holdout"]["shipped_accuracy"],
    }


def test_rows_are_the_shipped_models_features_of_the_chosen_training_and_test_digits(tiny_artefacts, mnist) -> None:
    """Replay rows are the features of the seeded choice among the training digits the model
    trained on, holdout rows those of the test digits it was evaluated on, to within the uint8
    step; and the accuracies in the JSON are those of the entry's own weights."""
    from model_build.mnist.build import shipped_model
    from model_build.mnist.evaluate import predict_probabilities

    description, replay, check, holdout = read_entry(tiny_artefacts.directory)
    kept_train, kept_test = TINY_RECIPE["train_subset"], TINY_RECIPE["test_subset"]
    chosen = choose_teach_sample(mnist.train_labels[:kept_train], mnist.test_labels[:kept_test],
                                 REPLAY_PER_DIGIT, CHECK_PER_DIGIT, HOLDOUT_PER_DIGIT, tiny_artefacts.metrics()["recipe"]["seed"])
    assert not set(chosen.holdout.tolist()) & set(chosen.check.tolist())  # no choice is made on the holdout
    assert mnist.train_labels[chosen.replay].tolist() == description["replay"]["labels"]
    assert mnist.test_labels[chosen.check].tolist() == description["check"]["labels"]
    assert mnist.test_labels[chosen.holdout].tolist() == description["holdout"]["labels"]
    model = shipped_model(tiny_artefacts.directory)
    step = description["features"]["scale"]
    assert np.abs(replay - output_layer_inputs(model, mnist.train_images[chosen.replay])).max() <= step / 2 + 1e-6
    assert np.abs(check - output_layer_inputs(model, mnist.test_images[chosen.check])).max() <= step / 2 + 1e-6
    assert np.abs(holdout - output_layer_inputs(model, mnist.test_images[chosen.holdout])).max() <= step / 2 + 1e-6
    labels = np.array(description["holdout"]["labels"])
    pixels_right = predict_probabilities(model, mnist.test_images[chosen.holdout]).argmax(axis=1) == labels
    assert float(pixels_right.mean()) == description["holdout"]["shipped_accuracy"]
    kernel, bias = model.layers[-1].get_weights()
    features_right = (holdout @ kernel + bias).argmax(axis=1) == labels
    assert float(features_right.mean()) == pytest.approx(description["holdout"]["feature_accuracy"], abs=1e-9)
    # The uint8 codes cost the holdout figure at most a digit or two.
    assert abs(description["holdout"]["feature_accuracy"] - description["holdout"]["shipped_accuracy"]) <= 0.002


def test_the_choice_is_seeded_balanced_and_capped(mnist) -> None:
    labels = mnist.train_labels[:6000]
    first = balanced_indices(labels, 30, seed=1, stream=0)
    assert np.array_equal(first, balanced_indices(labels, 30, seed=1, stream=0))  # deterministic
    assert not np.array_equal(first, balanced_indices(labels, 30, seed=2, stream=0))  # seeded
    assert not np.array_equal(first, balanced_indices(labels, 30, seed=1, stream=1))  # streams differ
    assert np.all(np.diff(first) > 0) and np.bincount(labels[first]).tolist() == [30] * 10
    # A digit the labels hold fewer times than asked is taken as often as they hold it.
    scarce = np.array([5] * 3 + [d for d in range(10) if d != 5] * 8)
    taken = np.bincount(scarce[balanced_indices(scarce, 6, seed=1, stream=0)], minlength=10)
    assert taken.tolist() == [6, 6, 6, 6, 6, 3, 6, 6, 6, 6]


def test_the_encoding_is_affine_uint8() -> None:
    values = np.array([[0.0, 1.5], [3.0, 0.75]], dtype=np.float32)
    codes, offset, scale = encode_uint8(values)
    assert codes.dtype == np.uint8 and codes.min() == 0 and codes.max() == 255
    assert np.abs(offset + codes * scale - values).max() <= scale / 2 + 1e-7


def test_write_teach_sample_writes_rows_in_order_with_their_labels(tmp_path) -> None:
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    images = (np.arange(5 * 784).reshape(5, 28, 28) % 256).astype(np.uint8)
    labels = np.array([3, 1, 4, 1, 5])
    probabilities = np.eye(10, dtype=np.float32)[[4, 1, 9]]  # holdout (4, 1, 5): two of three right
    figures = write_teach_sample(tmp_path, model, (images[:1], labels[:1]), (images[1:2], labels[1:2]),
                                 (images[2:], labels[2:]), probabilities)
    description, replay, check, holdout = read_entry(tmp_path)
    expected = output_layer_inputs(model, images)
    assert np.abs(np.concatenate([replay, check, holdout]) - expected).max() <= description["features"]["scale"] / 2 + 1e-6
    assert description["replay"]["labels"] == [3] and description["check"]["labels"] == [1]
    assert description["holdout"]["labels"] == [4, 1, 5]
    assert description["holdout"]["shipped_accuracy"] == pytest.approx(2 / 3)
    assert figures == {"replay_digits": 1, "check_digits": 1, "holdout_digits": 3, "bytes": 5 * 4,
                       "holdout_shipped_accuracy": description["holdout"]["shipped_accuracy"]}


def test_a_recipe_sets_the_sizes_and_a_small_test_subset_caps_them(data_cache_dir, mnist, tmp_path) -> None:
    recipe = tiny_recipe(data_cache_dir, test_subset=60,
                         teach_sample={"replay_per_digit": 3, "check_per_digit": 2, "holdout_per_digit": 100})
    entry = ensure_fresh(recipe, tmp_path)
    description, _, check, holdout = read_entry(entry.directory)
    assert len(check) == 0  # the holdout took every one of the 60 test digits first
    assert np.bincount(description["replay"]["labels"], minlength=10).tolist() == [3] * 10
    # Fewer than 100 of each digit among the first 60 test digits: every one of them is taken.
    assert description["holdout"]["labels"] == mnist.test_labels[:60].tolist() and len(holdout) == 60
    assert entry.metrics()["teach_sample"]["holdout_digits"] == 60
