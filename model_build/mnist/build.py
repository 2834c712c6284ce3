"""Making the MNIST artefacts: load → train → evaluate → write TF.js → evaluate as shipped,
on MNIST's test split and on the drawn-digit benchmark."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..tfjs.writer import read_layers_model_weights, write_keras_model
from .config import DrawnBenchmarkConfig, MnistConfig
from .data import MnistArrays, cache_folder, load_mnist
from .data_sources import resolve_source
from .drawn.benchmark import BENCHMARK_SEED, load_drawn_benchmark
from .drawn.scores import CONFIDENT, predict, score
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

    # The same shipped weights on digits drawn as strokes (issue 13), cached beside the MNIST decode.
    drawn = drawn_metrics(result.model, data, config.drawn_benchmark, cache_folder(data_cache_dir), watch)

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
            "drawn": drawn,
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
    test = drawn["test"]
    worst = min(test["per_style"].items(), key=lambda item: item[1]["accuracy"], default=None)
    logger.info(
        "drawn digits (test part, %s): %.2f%% as shipped, worst style %s; %d of %d errors at ≥ %.0f%% confidence",
        f"{test['count']:,}",
        100 * test["accuracy"],
        f"{worst[0]} {100 * worst[1]['accuracy']:.1f}%" if worst else "–",
        test["confident_errors"],
        test["count"] - sum(test["confusion"][d][d] for d in range(10)),
        100 * CONFIDENT,
    )


def drawn_metrics(
    model, data: MnistArrays, sizes: DrawnBenchmarkConfig, cache_dir: Path, watch: Stopwatch
) -> dict:
    """metrics.json's `drawn` section: the model (holding the shipped weights) scored on both parts
    of the drawn-digit benchmark; laps `drawn_data` (generate or read the cache) and `drawn_evaluation`."""
    # The whole test split, whatever test_subset says: redrawn digits are chosen from all of it.
    benchmark = load_drawn_benchmark(
        data.test_images, data.test_labels, BENCHMARK_SEED, cache_dir=cache_dir,
        habits_per_digit=sizes.habits_per_digit, redrawn_per_digit=sizes.redrawn_per_digit,
    )
    watch.lap("drawn_data")
    scores = {name: score(predict(model, part), part).to_dict() for name, part in benchmark.parts()}
    watch.lap("drawn_evaluation")
    return {
        "seed": benchmark.seed,
        "habits_per_digit": sizes.habits_per_digit,
        "redrawn_per_digit": sizes.redrawn_per_digit,
        "digits": {name: len(part) for name, part in benchmark.parts()},
        "confident_threshold": CONFIDENT,
        **scores,
    }


def load_shipped_weights(model, weights: dict[str, np.ndarray]) -> None:
    """Put decoded TF.js weights (named `layer/variable`) back into the Keras model."""
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([weights[f"{layer.name}/{v.name}"] for v in layer.weights])
