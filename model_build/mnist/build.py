"""Making the MNIST artefacts: load (and redraw training digits) → train → evaluate → write TF.js
→ calibrate on the drawn validation part → evaluate as shipped, on MNIST's test split and on the
drawn-digit benchmark."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from ..calibration import calibration_report, fold_temperature, logits_of
from ..tfjs.writer import read_layers_model_weights, write_keras_model
from .config import MnistConfig
from .data import MnistArrays, cache_folder, load_mnist
from .data_sources import resolve_source
from .drawn.benchmark import BENCHMARK_SEED, load_drawn_benchmark
from .drawn.scores import CONFIDENT, predict, score
from .evaluate import evaluate, evaluation_from_predictions, predict_probabilities
from .metrics_schema import METRICS_JSON
from .redrawn_set import RedrawnSet, load_redrawn_training_set
from .run_record import Stopwatch, runtime_versions, write_json
from .sample_digits import write_sample_digits
from .teach_sample import choose_teach_sample, write_teach_sample
from .training import train


def build_artefacts(
    config: MnistConfig,
    directory: Path,
    logger: logging.Logger,
    *,
    data_path: Path | None = None,
    data_cache_dir: Path | None = None,
) -> None:
    """Write model.json, the weight shards, metrics.json, the sample digits and the teach sample
    into `directory`."""
    watch = Stopwatch()
    data = load_mnist(data_path, data_cache_dir)
    test_images, test_labels = data.test_images, data.test_labels
    if config.test_subset is not None:
        test_images, test_labels = test_images[: config.test_subset], test_labels[: config.test_subset]
    derived_cache = cache_folder(data_cache_dir)
    watch.lap("data")

    redrawn = redrawn_training_digits(config, data, derived_cache)
    watch.lap("redrawn_training")

    result = train(config, data, logger, redrawn)
    watch.lap("training")

    float_eval = evaluate(result.model, test_images, test_labels)
    watch.lap("evaluation")

    # The whole test split, whatever test_subset says: redrawn digits are chosen from all of it.
    sizes = config.drawn_benchmark
    benchmark = load_drawn_benchmark(
        data.test_images, data.test_labels, BENCHMARK_SEED, cache_dir=derived_cache,
        habits_per_digit=sizes.habits_per_digit, redrawn_per_digit=sizes.redrawn_per_digit,
    )
    watch.lap("drawn_data")

    def export():
        return write_keras_model(result.model, directory, quantization=config.quantization,
                                 max_shard_bytes=config.shard_bytes)

    # Calibrate the weights as shipped: export, read back what TF.js will decode, fit the
    # temperature on the drawn validation part, fold it into the last layer and export again.
    # The affine uint8 (and float16) codes of kernel / T are those of the kernel, scaled, so the
    # second export changes the decoded weights by rounding only.
    export()
    load_shipped_weights(result.model, read_layers_model_weights(directory))
    calibration = calibration_report(
        logits_of(result.model, benchmark.validation.pixels[..., np.newaxis]), benchmark.validation.labels,
        logits_of(result.model, benchmark.test.pixels[..., np.newaxis]), benchmark.test.labels,
    )
    fold_temperature(result.model, calibration.temperature)
    written = export()
    float_bytes = sum(int(np.prod(w.shape)) * 4 for w in result.model.weights)
    watch.lap("export")

    # Evaluate the weights exactly as TF.js will decode them from the files just written.
    load_shipped_weights(result.model, read_layers_model_weights(directory))
    shipped_probabilities = predict_probabilities(result.model, test_images)
    shipped_eval = evaluation_from_predictions(shipped_probabilities.argmax(axis=1), test_labels)
    sample_size = write_sample_digits(directory, test_images, test_labels, shipped_probabilities)
    teach = teach_sample(config, data, test_images, test_labels, result.model, directory)
    watch.lap("shipped_evaluation")

    # The same shipped weights on digits drawn as strokes (issue 13).
    drawn = {
        "seed": benchmark.seed,
        "habits_per_digit": sizes.habits_per_digit,
        "redrawn_per_digit": sizes.redrawn_per_digit,
        "digits": {name: len(part) for name, part in benchmark.parts()},
        "confident_threshold": CONFIDENT,
        **{name: score(predict(result.model, part), part).to_dict() for name, part in benchmark.parts()},
    }
    watch.lap("drawn_evaluation")

    write_json(
        directory / METRICS_JSON,
        {
            "model": "digits",
            "network": config.network,
            "parameters": int(result.model.count_params()),
            "data": {
                "source": resolve_source(data_path).kind,
                "train_images": int(config.train_subset or len(data.train_images)),
                "redrawn_train_images": len(redrawn) if redrawn is not None else 0,
                "habit_edited_train_images": int(redrawn.edited.sum()) if redrawn is not None else 0,
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
            "teach_sample": teach,
            "drawn": drawn,
            "calibration": calibration.to_dict(),
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
        "drawn digits (test part, %s): %.2f%% as shipped, worst style %s; %d of %d errors at ≥ %.0f%% confidence; "
        "calibration error %.1f%% (temperature %.2f); not sure below %.0f%%",
        f"{test['count']:,}",
        100 * test["accuracy"],
        f"{worst[0]} {100 * worst[1]['accuracy']:.1f}%" if worst else "–",
        test["confident_errors"],
        test["count"] - sum(test["confusion"][d][d] for d in range(10)),
        100 * CONFIDENT,
        100 * test["calibration_error"],
        calibration.temperature,
        100 * calibration.unsure_below,
    )
    logger.info(
        "teach sample: %d training digits to replay, %d to check, %d held-out test digits (%.2f%% as shipped); %s bytes",
        teach["replay_digits"], teach["check_digits"], teach["holdout_digits"], 100 * teach["holdout_shipped_accuracy"],
        f"{teach['bytes']:,}",
    )


def redrawn_training_digits(config: MnistConfig, data: MnistArrays, cache_dir: Path) -> RedrawnSet | None:
    """The recipe's training digits redrawn through the canvas (cached), or None if it asks for none."""
    wanted = config.redrawn_training
    if not wanted.images:
        return None
    kept = config.train_subset or len(data.train_images)
    return load_redrawn_training_set(
        data.train_images[:kept], data.train_labels[:kept], min(wanted.images, kept), config.seed,
        wanted.habit_edit_rate, cache_dir,
    )


def teach_sample(config: MnistConfig, data: MnistArrays, test_images: np.ndarray, test_labels: np.ndarray,
                 model, directory: Path) -> dict:
    """Write the teach sample: replay digits from the training digits trained on, holdout digits
    from the test digits evaluated on, scored by `model` (holding the shipped weights)."""
    kept = config.train_subset or len(data.train_images)
    train_images, train_labels = data.train_images[:kept], data.train_labels[:kept]
    sizes = config.teach_sample
    chosen = choose_teach_sample(train_labels, test_labels, sizes.replay_per_digit, sizes.check_per_digit,
                                 sizes.holdout_per_digit, config.seed)
    holdout_images = test_images[chosen.holdout]
    return write_teach_sample(
        directory, model, (train_images[chosen.replay], train_labels[chosen.replay]),
        (test_images[chosen.check], test_labels[chosen.check]),
        (holdout_images, test_labels[chosen.holdout]), predict_probabilities(model, holdout_images),
    )


def load_shipped_weights(model, weights: dict[str, np.ndarray]) -> None:
    """Put decoded TF.js weights (named `layer/variable`) back into the Keras model."""
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([weights[f"{layer.name}/{v.name}"] for v in layer.weights])


def shipped_model(directory: Path):
    """The Keras network of a built artefact directory, holding the weights as TF.js decodes them."""
    from .network import build_network

    metrics = json.loads((Path(directory) / METRICS_JSON).read_text(encoding="utf-8"))
    model = build_network(metrics.get("network", "blog"))  # entries from before the choice were all "blog"
    load_shipped_weights(model, read_layers_model_weights(Path(directory)))
    return model
