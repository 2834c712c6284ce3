"""The blog's network: small enough for a phone, accurate enough to enjoy."""

from __future__ import annotations

import keras

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


def build_network(dropout: float = 0.3) -> keras.Sequential:
    """Conv(16) → pool → Conv(32) → pool → flatten → dropout → Dense(64) → dropout → Dense(10).

    105,866 parameters (423 KB as float32). Layers carry explicit names so that the exported
    topology and weight names are the same in every build, whatever else ran in the process.
    """
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE, name="pixels"),
            layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2"),
            layers.MaxPooling2D(2, name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dropout(dropout, name="dropout1"),
            layers.Dense(64, activation="relu", name="dense"),
            layers.Dropout(dropout, name="dropout2"),
            layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"),
        ],
        name="digits",
    )
