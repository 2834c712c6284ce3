"""Small Keras 3 models, one per layer kind and model structure the TF.js exporter supports.

Each case builds a model with random weights (biases, norms and moving statistics included, so
that a weight loaded into the wrong place shows) and random inputs. The parity test exports
every case, runs all of them in one Node process with the real TF.js, and compares outputs.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

from model_build.tfjs.topology import ACTIVATIONS

layers = keras.layers
Case = tuple[keras.Model, list[np.ndarray]]
BATCH = 3


def randomize(model: keras.Model, seed: int) -> keras.Model:
    """Every weight drawn at random: variances positive, everything else centred, small enough
    that outputs stay of order one (the parity bound is absolute)."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        shape = tuple(variable.shape)
        if "variance" in variable.name:
            values = rng.uniform(0.5, 1.5, shape)
        else:
            fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
            values = rng.normal(0.0, 1.0 / np.sqrt(max(fan_in, 1)), shape)
        variable.assign(values.astype(np.float32))
    return model


def uniform(seed: int, *shape: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (BATCH, *shape)).astype(np.float32)


def sequential(name: str, input_shape: tuple[int, ...], *stack: layers.Layer, seed: int = 0) -> Case:
    model = keras.Sequential([keras.Input(input_shape, name=f"{name}_in"), *stack], name=name)
    return randomize(model, seed), [uniform(seed + 1, *input_shape)]


def case_dense_activations() -> dict[str, Callable[[], Case]]:
    """One Dense per activation TF.js knows, under Keras 3's name for it."""
    cases = {}
    for index, keras_name in enumerate(sorted(ACTIVATIONS)):
        cases[f"dense_{keras_name}"] = (
            lambda keras_name=keras_name, index=index: sequential(
                f"act_{index}", (6,), layers.Dense(5, activation=keras_name, name="d"), seed=index
            )
        )
    return cases


def functional_multi_io() -> Case:
    """Two inputs, two outputs, a layer shared between the inputs, a merge, a nested Sequential."""
    left, right = keras.Input((6,), name="left"), keras.Input((6,), name="right")
    shared = layers.Dense(6, activation="tanh", name="shared")
    inner = keras.Sequential([keras.Input((6,), name="inner_in"), layers.Dense(4, name="inner_dense")], name="inner")
    merged = layers.Add(name="add")([shared(left), shared(right)])
    inner_out = inner(merged)
    joined = layers.Concatenate(name="join")([inner_out, shared(left)])
    scores = layers.Dense(3, activation="softmax", name="scores")(joined)
    value = layers.Dense(1, name="value")(inner_out)
    model = keras.Model([left, right], [scores, value], name="multi_io")
    return randomize(model, 11), [uniform(12, 6), uniform(13, 6)]


def functional_nested_functional() -> Case:
    """A Functional model used as a layer of another, twice (shared), between plain layers."""
    block_in = keras.Input((5,), name="block_in")
    block = keras.Model(block_in, layers.Dense(5, activation="relu", name="block_dense")(block_in), name="block")
    x = keras.Input((5,), name="x")
    y = block(block(x))
    model = keras.Model(x, layers.Dense(2, name="head")(y), name="nested_functional")
    return randomize(model, 21), [uniform(22, 5)]


def functional_cnn() -> Case:
    """A small residual CNN: the kind of functional image model people put on a page."""
    image = keras.Input((12, 12, 2), name="image")
    x = layers.Conv2D(4, 3, padding="same", name="stem")(image)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(name="stem_relu")(x)
    shortcut = x
    x = layers.SeparableConv2D(4, 3, padding="same", activation="relu", name="sep")(x)
    x = layers.DepthwiseConv2D(3, padding="same", name="dw")(x)
    x = layers.Add(name="residual")([x, shortcut])
    x = layers.MaxPooling2D(2, name="pool")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    model = keras.Model(image, layers.Dense(3, activation="softmax", name="classes")(x), name="residual_cnn")
    return randomize(model, 31), [uniform(32, 12, 12, 2)]


def text_classifier() -> Case:
    """Embedding → bidirectional LSTM → GRU-free head: integer inputs, as a text model gets."""
    tokens = keras.Input((7,), dtype="int32", name="tokens")
    x = layers.Embedding(20, 4, name="embed")(tokens)
    x = layers.Bidirectional(layers.LSTM(3, return_sequences=True, name="lstm"), name="bi")(x)
    x = layers.GlobalMaxPooling1D(name="gmp")(x)
    model = keras.Model(tokens, layers.Dense(2, name="out")(x), name="text")
    randomize(model, 41)
    ids = np.random.default_rng(42).integers(0, 20, (BATCH, 7)).astype(np.float32)
    return model, [ids]


LAYER_CASES: dict[str, Callable[[], Case]] = {
    "conv1d": lambda: sequential("c1", (10, 3), layers.Conv1D(4, 3, strides=2, padding="same", activation="relu", name="c"),
                                 layers.MaxPooling1D(2, name="mp"), layers.AveragePooling1D(2, padding="same", name="ap"),
                                 layers.GlobalAveragePooling1D(name="gap")),
    "conv2d": lambda: sequential("c2", (9, 9, 2), layers.Conv2D(3, 3, dilation_rate=2, name="c"),
                                 layers.Conv2D(3, 2, strides=2, padding="same", activation="elu", name="c2"),
                                 layers.AveragePooling2D(2, padding="same", name="ap"), layers.Flatten(name="f")),
    "separable_conv2d": lambda: sequential("sc", (8, 8, 3), layers.SeparableConv2D(4, 3, depth_multiplier=2, name="s"),
                                           layers.GlobalMaxPooling2D(name="g")),
    "depthwise_conv2d": lambda: sequential("dw", (8, 8, 3), layers.DepthwiseConv2D(3, depth_multiplier=2, name="d"),
                                           layers.Flatten(name="f")),
    "conv2d_transpose": lambda: sequential("ct", (4, 4, 3), layers.Conv2DTranspose(2, 3, strides=2, padding="same", name="t"),
                                           layers.Flatten(name="f")),
    "batch_normalization": lambda: sequential("bn", (5, 4), layers.BatchNormalization(name="bn"), layers.Flatten(name="f")),
    "layer_normalization": lambda: sequential("ln", (5, 4), layers.LayerNormalization(name="ln"), layers.Flatten(name="f")),
    "embedding": lambda: embedding_case(),
    "lstm": lambda: sequential("ls", (6, 3), layers.LSTM(4, name="l")),
    "gru": lambda: sequential("gr", (6, 3), layers.GRU(4, reset_after=False, return_sequences=True, name="g"),
                              layers.Flatten(name="f")),
    "simple_rnn": lambda: sequential("sr", (6, 3), layers.SimpleRNN(4, name="r")),
    "bidirectional_concat": lambda: sequential("bc", (6, 3), layers.Bidirectional(layers.LSTM(3, name="l"), name="b")),
    "bidirectional_sum_gru": lambda: sequential(
        "bs", (6, 3), layers.Bidirectional(layers.GRU(3, reset_after=False, name="g"), merge_mode="sum", name="b")),
    "dropouts": lambda: sequential("dr", (6, 3), layers.Dropout(0.5, name="d"), layers.SpatialDropout1D(0.5, name="s"),
                                   layers.Flatten(name="f")),
    "shapes": lambda: sequential("sh", (4, 6), layers.Reshape((6, 4), name="r"), layers.Permute((2, 1), name="p"),
                                 layers.Flatten(name="f"), layers.RepeatVector(2, name="rv"), layers.Flatten(name="f2")),
    "image_shapes": lambda: sequential("is", (4, 4, 2), layers.UpSampling2D(2, name="u"),
                                       layers.ZeroPadding2D(((1, 0), (2, 1)), name="z"), layers.Cropping2D((1, 2), name="c"),
                                       layers.Flatten(name="f")),
    "merges": lambda: merges_case(),
    "activation_layers": lambda: sequential("al", (8,), layers.Dense(8, name="d"), layers.ReLU(max_value=0.5, name="r6"),
                                            layers.Dense(8, name="d2"), layers.LeakyReLU(negative_slope=0.1, name="lr"),
                                            layers.PReLU(name="pr"), layers.ELU(name="e"),
                                            layers.Activation("tanh", name="a"), layers.Softmax(name="sm")),
    "softmax_last_axis_3d": lambda: sequential("s3", (3, 4), layers.Softmax(axis=-1, name="sm"), layers.Flatten(name="f")),
    "rescaling": lambda: sequential("rs", (6,), layers.Rescaling(1 / 127.5, offset=-1.0, name="r"), layers.Dense(2, name="d")),
    "sequential_in_sequential": lambda: sequential(
        "outer", (6,), keras.Sequential([keras.Input((6,), name="inner_in"), layers.Dense(4, activation="relu", name="inner_d")],
                                        name="inner"), layers.Dense(2, name="head")),
    "sequential_built_by_call": lambda: sequential_built_by_call(),
    "functional_multi_io": functional_multi_io,
    "functional_nested_functional": functional_nested_functional,
    "functional_cnn": functional_cnn,
    "text_classifier": text_classifier,
}


def sequential_built_by_call() -> Case:
    """No keras.Input: Keras builds the model on its first batch (of 2) and records that size."""
    model = keras.Sequential([layers.Dense(4, activation="relu", name="d1"), layers.Dense(2, name="d2")], name="by_call")
    model(np.zeros((2, 6), np.float32))
    return randomize(model, 71), [uniform(72, 6)]  # a batch of BATCH = 3


def embedding_case() -> Case:
    model = keras.Sequential([keras.Input((5,), dtype="int32", name="ids"), layers.Embedding(12, 3, name="e"),
                              layers.Flatten(name="f")], name="emb")
    randomize(model, 51)
    return model, [np.random.default_rng(52).integers(0, 12, (BATCH, 5)).astype(np.float32)]


def merges_case() -> Case:
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    outputs = [
        layers.Add(name="add")([a, b]), layers.Multiply(name="mul")([a, b]), layers.Average(name="avg")([a, b]),
        layers.Maximum(name="max")([a, b]), layers.Minimum(name="min")([a, b]),
        layers.Concatenate(axis=-1, name="cat")([a, b]),
    ]
    model = keras.Model([a, b], outputs, name="merges")
    return model, [uniform(61, 4), uniform(62, 4)]


CASES: dict[str, Callable[[], Case]] = {**LAYER_CASES, **case_dense_activations()}
