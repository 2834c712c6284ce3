"""Our files, loaded by the real @tensorflow/tfjs 4.22 in Node, against Keras on MNIST digits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from model_build.mnist.build import load_shipped_weights
from model_build.mnist.evaluate import predict_probabilities
from model_build.tfjs.writer import read_layers_model_weights, write_keras_model

from .conftest import ROOT, run_node

PREDICT_SCRIPT = ROOT / "tests" / "node" / "tfjs_predict.mjs"
PARITY_IMAGES = 1000


def tfjs_probabilities(model_dir: Path, images: np.ndarray, serve_directory, tmp_path: Path) -> np.ndarray:
    inputs = tmp_path / "images.f32"
    outputs = tmp_path / "probabilities.f32"
    (images.astype(np.float32) / 255.0).astype("<f4").tofile(inputs)
    base = serve_directory(model_dir)
    report = json.loads(run_node(PREDICT_SCRIPT, f"{base}/model.json", str(inputs), str(len(images)), str(outputs)))
    assert report["inputs"] == [None, 28, 28, 1]
    return np.fromfile(outputs, "<f4").reshape(len(images), 10)


@pytest.fixture(scope="module")
def parity_digits(mnist):
    return mnist.test_images[:PARITY_IMAGES], mnist.test_labels[:PARITY_IMAGES]


def test_float32_matches_keras_exactly_enough(trained_model, parity_digits, serve_directory, tmp_path) -> None:
    images, _ = parity_digits
    write_keras_model(trained_model, tmp_path, quantization="none")
    keras_p = predict_probabilities(trained_model, images)
    tfjs_p = tfjs_probabilities(tmp_path, images, serve_directory, tmp_path)
    assert (tfjs_p.argmax(1) == keras_p.argmax(1)).all()
    assert np.abs(tfjs_p - keras_p).max() <= 1e-5


def test_several_shards_load_in_tfjs(trained_model, parity_digits, serve_directory, tmp_path) -> None:
    images, _ = parity_digits
    written = write_keras_model(trained_model, tmp_path, quantization="none", max_shard_bytes=100_000)
    shards = -(-4 * trained_model.count_params() // 100_000)  # float32 bytes (373,288 for compact), rounded up
    assert shards >= 2 and len(written.files) == 1 + shards  # model.json and every shard
    tfjs_p = tfjs_probabilities(tmp_path, images[:100], serve_directory, tmp_path)
    assert np.abs(tfjs_p - predict_probabilities(trained_model, images[:100])).max() <= 1e-5


@pytest.mark.parametrize("quantization", ["float16", "uint8"])
def test_quantized_models(trained_model, parity_digits, quantization, serve_directory, tmp_path) -> None:
    import keras

    images, labels = parity_digits
    float_accuracy = (predict_probabilities(trained_model, images).argmax(1) == labels).mean()
    write_keras_model(trained_model, tmp_path, quantization=quantization)
    tfjs_p = tfjs_probabilities(tmp_path, images, serve_directory, tmp_path)
    tfjs_accuracy = (tfjs_p.argmax(1) == labels).mean()
    assert abs(tfjs_accuracy - float_accuracy) <= 0.002, (quantization, tfjs_accuracy, float_accuracy)

    # And Python's reading of the quantized files is exactly what TF.js computes with them.
    shipped = keras.models.clone_model(trained_model)
    load_shipped_weights(shipped, read_layers_model_weights(tmp_path))
    shipped_p = predict_probabilities(shipped, images)
    assert (shipped_p.argmax(1) == tfjs_p.argmax(1)).all()
    assert np.abs(shipped_p - tfjs_p).max() <= 1e-5
