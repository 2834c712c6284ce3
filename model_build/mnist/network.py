"""The networks a recipe can train: the blog's original one, and a wider one for canvas drawings."""

from __future__ import annotations

from typing import Literal

import keras

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10

NetworkName = Literal["blog", "canvas"]


def build_network(name: NetworkName = "canvas", dropout: float = 0.3) -> keras.Sequential:
    """The network called `name`, its layers named so that the exported topology and weight names
    are the same in every build, whatever else ran in the process.

    - "blog", the reference post's network: Conv(16) → pool → Conv(32) → pool → flatten →
      dropout → Dense(64) → dropout → Dense(10); 105,866 parameters (106 KB as uint8).
    - "canvas": the same shape, twice as wide: Conv(32) → pool → Conv(64) → pool → flatten →
      dropout → Dense(96) → dropout → Dense(10); 320,938 parameters (321 KB as uint8). Chosen on
      the drawn-digit benchmark's validation part (benchmarks/recipe_search.py): the blog's
      network cannot hold MNIST's scans and the canvas's drawings at once.
    """
    widths = {"blog": (16, 32, 64), "canvas": (32, 64, 96)}
    if name not in widths:
        raise ValueError(f"unknown network {name!r}; known: {', '.join(widths)}")
    conv1, conv2, dense = widths[name]
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE, name="pixels"),
            layers.Conv2D(conv1, 3, padding="same", activation="relu", name="conv1"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(conv2, 3, padding="same", activation="relu", name="conv2"),
            layers.MaxPooling2D(2, name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dropout(dropout, name="dropout1"),
            layers.Dense(dense, activation="relu", name="dense"),
            layers.Dropout(dropout, name="dropout2"),
            layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"),
        ],
        name="digits",
    )
