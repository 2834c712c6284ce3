"""Making the MNIST artefacts: load → train → evaluate → write TF.js → evaluate as shipped."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..tfjs.writer import read_layers_model_weights, write_keras_model
from .config import MnistConfig
from .data import load_mnist
from .data_sources import resolve_source
from .evaluate import evaluate, evaluation_from_predictions, predict_probabilities
from .recipe import METRICS_JSON, Stopwatch, runtime_versions, write_json
from .test_sample import write_test_sample
from .training import train


def build_artefacts(
    config: MnistConfig,
    directory: Path,
    logger: logging.Logger,
    *,
    data_path: Path | None = None,
    data_cache_dir: Path | None = None,
) -> None:
    """Write model.json, the weight shards, metrics.json and the test sample into `directory`."""
    watch = Stopwatch()
    data = load_mnist(data_path, data_cache_dir)
    test_images, test_labels = data.test_images, data.test_labels
    if config.test_subset is not None:
        test_images, test_labels = test_images[: config.test_subset], test_labels[: config.test_subset]
    watch.lap("data")

    result = train(config, data, logger)
    watch.lap("training")

    float_eval = evaluate(result.model, test_images, test_labels)
    watch.lap("evaluation")

    written = write_keras_model(
        result.model, directory, quantization=config.quantization, max_shard_bytes=config.shard_bytes
    )
    float_bytes = sum(int(np.prod(w.shape)) * 4 for w in result.model.weights)
    watch.lap("export")

    # Evaluate the weights exactly as TF.js will decode them from the files just written.
    load_shipped_weights(result.model, read_layers_model_weights(directory))
    shipped_probabilities = predict_probabilities(result.model, test_images)
    shipped_eval = evaluation_from_predictions(shipped_probabilities.argmax(axis=1), test_labels)
    sample_size = write_test_sample(directory, test_images, test_labels, shipped_probabilities)
    watch.lap("shipped_evaluation")

    write_json(
        directory / METRICS_JSON,
        {
            "model": "digits",
            "parameters": int(result.model.count_params()),
            "data": {
                "source": resolve_source(data_path).kind,
                "train_images": int(config.train_subset or len(data.train_images)),
                "test_images": int(len(test_images)),
            },
            "test_accuracy": {"float32": float_eval.accuracy, "shipped": shipped_eval.accuracy},
            "per_class_accuracy": {
                "float32": float_eval.per_class_accuracy,
                "shipped": shipped_eval.per_class_accuracy,
            },
            "confusion_matrix": shipped_eval.confusion,
            "most_confused": shipped_eval.most_confused(),
            "weights": {
                "quantization": config.quantization,
                "float32_bytes": float_bytes,
                "shipped_bytes": written.weight_bytes,
                "files": list(written.files),
            },
            "test_sample": {"digits": sample_size},
            "history": result.history,
            "seconds": {**watch.seconds, "training": round(result.seconds, 2)},
            "recipe": config.to_dict(),
            "versions": runtime_versions(),
        },
    )
    logger.info(
        "test accuracy %.2f%% (float32), %.2f%% as shipped (%s, %s bytes)",
        100 * float_eval.accuracy,
        100 * shipped_eval.accuracy,
        config.quantization,
        f"{written.weight_bytes:,}",
    )


def load_shipped_weights(model, weights: dict[str, np.ndarray]) -> None:
    """Put decoded TF.js weights (named `layer/variable`) back into the Keras model."""
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([weights[f"{layer.name}/{v.name}"] for v in layer.weights])
