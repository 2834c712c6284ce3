"""Honest confidence: temperature scaling, calibration error, and when to say "not sure".

A classifier trained with cross-entropy is often overconfident on inputs unlike its training
data. Temperature scaling (Guo et al., 2017, "On Calibration of Modern Neural Networks") divides
the logits by one number T > 0 fitted on held-out data: it changes no answer (the order of the
classes is kept), only how sure each answer claims to be. Because T can be folded into the last
layer's weights, the exported model and the code that runs it stay exactly as they were.

Everything here works on any Keras 3 model whose last layer is a softmax `Dense`, and on plain
arrays of probabilities or logits with integer labels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

#: The range searched for T: far beyond what a trained network needs either way (T < 1 sharpens,
#: T > 1 softens), and bounded so that a degenerate set cannot push T to 0 or infinity.
TEMPERATURE_RANGE = (0.05, 20.0)
#: Default grid of thresholds τ on the top probability: 0.50, 0.51, …, 0.99.
THRESHOLD_GRID = tuple(round(k / 100, 2) for k in range(50, 100))
#: Default most wrong answers per confident answer tolerated on validation (1 in 200).
MAX_CONFIDENT_ERROR_RATE = 0.005


def _softmax_dense(model):
    """The model's last layer, checked to be a `Dense` with a softmax activation."""
    import keras

    if not model.layers:
        raise ValueError("the model has no layers; temperature scaling needs a last softmax Dense layer")
    layer = model.layers[-1]
    activation = layer.get_config().get("activation") if isinstance(layer, keras.layers.Dense) else None
    if activation != "softmax":
        kind = f"Dense with activation {activation!r}" if isinstance(layer, keras.layers.Dense) else type(layer).__name__
        raise ValueError(
            f"the model's last layer {layer.name!r} is a {kind}; temperature scaling needs a "
            "keras.layers.Dense with activation='softmax' there, whose weights produce the logits"
        )
    return layer


def logits_of(model, inputs: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """The pre-softmax outputs (N, classes), float64, of a model ending in a softmax `Dense`.

    The last layer's input comes from a sub-model sharing the model's layers (inference mode,
    so dropout is off); the logits are then `features @ kernel + bias` in float64, so that
    fitting T is not limited by float32 rounding.
    """
    import keras

    layer = _softmax_dense(model)
    try:
        # A one-element list is unwrapped: Keras warns about the structure otherwise.
        model_inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
        features_model = keras.Model(model_inputs, layer.input)
    except (AttributeError, ValueError) as error:
        raise ValueError(
            f"cannot reach the input of the last layer {layer.name!r} ({error}); build the model "
            "(give it a keras.Input) before asking for its logits"
        ) from error
    kernel = layer.kernel.numpy().astype(np.float64)
    bias = layer.bias.numpy().astype(np.float64) if layer.use_bias else 0.0
    chunks = [
        np.asarray(features_model(inputs[start : start + batch_size], training=False), dtype=np.float64) @ kernel + bias
        for start in range(0, len(inputs), batch_size)
    ]
    return np.concatenate(chunks) if chunks else np.zeros((0, kernel.shape[1]))


def _check_labelled(values: np.ndarray, labels: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(values, dtype=np.float64)
    labels = np.asarray(labels)
    if values.ndim != 2 or values.shape[0] == 0 or values.shape[1] < 2:
        raise ValueError(f"{what} must be a non-empty (examples, classes) array with at least 2 classes; got shape {values.shape}")
    if labels.shape != (values.shape[0],):
        raise ValueError(f"labels must be one integer per example, shape ({values.shape[0]},); got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= values.shape[1]:
        raise ValueError(f"labels must be integers from 0 to {values.shape[1] - 1}")
    if not np.isfinite(values).all():
        raise ValueError(f"{what} hold NaN or infinite values")
    return values, labels.astype(np.int64)


def _mean_nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    """Mean −log softmax(logits / T)[label], through log-sum-exp (no overflow at any T)."""
    scaled = logits / temperature
    peak = scaled.max(axis=1)
    log_norm = peak + np.log(np.exp(scaled - peak[:, None]).sum(axis=1))
    return float(np.mean(log_norm - scaled[np.arange(len(labels)), labels]))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The T in TEMPERATURE_RANGE minimising the mean negative log-likelihood of softmax(logits / T).

    That loss is convex in 1/T, so it has one minimum along log T: a coarse grid on log T finds
    its neighbourhood, and a golden-section search refines it to ~1e-10 (deterministic: no
    random start, no optimiser state).
    """
    logits, labels = _check_labelled(logits, labels, "logits")
    lo, hi = math.log(TEMPERATURE_RANGE[0]), math.log(TEMPERATURE_RANGE[1])

    def loss(log_t: float) -> float:
        return _mean_nll(logits, labels, math.exp(log_t))

    grid = np.linspace(lo, hi, 61)
    best = int(np.argmin([loss(x) for x in grid]))
    a, b = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    ratio = (math.sqrt(5) - 1) / 2
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    loss_c, loss_d = loss(c), loss(d)
    while b - a > 1e-10:
        if loss_c <= loss_d:
            b, d, loss_d = d, c, loss_c
            c = b - ratio * (b - a)
            loss_c = loss(c)
        else:
            a, c, loss_c = c, d, loss_d
            d = a + ratio * (b - a)
            loss_d = loss(d)
    return float(math.exp((a + b) / 2))


def fold_temperature(model, temperature: float) -> None:
    """Divide the last softmax `Dense` layer's kernel and bias by T, in place.

    softmax((x @ W + b) / T) = softmax(x @ (W / T) + b / T): afterwards `model(x)` returns the
    calibrated probabilities, with the same layers, shapes and names as before. The exported
    model therefore has the same topology and the page runs it unchanged; only its weights, and
    so its probabilities, differ. The top answer never changes (T > 0 keeps the order).
    """
    if not (isinstance(temperature, (int, float)) and math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"the temperature must be a finite number > 0; got {temperature!r}")
    layer = _softmax_dense(model)
    layer.kernel.assign(layer.kernel.numpy() / temperature)
    if layer.use_bias:
        layer.bias.assign(layer.bias.numpy() / temperature)


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """softmax(logits / T) along the last axis, float64, stable for any magnitude."""
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    scaled = scaled - scaled.max(axis=-1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=-1, keepdims=True)


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """Top-label expected calibration error, with `bins` equal-width bins over the top probability.

    Each answer (the class of highest probability) falls in the bin of its top probability p:
    bin k holds (k/bins, (k+1)/bins], right edge included, and the first bin also holds p = 0.
    ECE = Σ_k (n_k / N) · |accuracy_k − mean p_k| over non-empty bins: 0 when the claimed
    confidence matches the share of right answers at every level of confidence.
    """
    probabilities, labels = _check_labelled(probabilities, labels, "probabilities")
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be a positive integer; got {bins!r}")
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    which = np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    gap = np.abs(np.bincount(which, weights=correct, minlength=bins) - np.bincount(which, weights=confidence, minlength=bins))
    # Σ n_k/N · |Σcorrect/n_k − Σp/n_k| = Σ |Σcorrect − Σp| / N
    return float(gap[counts > 0].sum() / len(labels))


def choose_unsure_threshold(
    probabilities: np.ndarray,
    labels: np.ndarray,
    max_confident_error_rate: float = MAX_CONFIDENT_ERROR_RATE,
    grid: Sequence[float] = THRESHOLD_GRID,
) -> float:
    """The threshold τ below which an answer is shown as "not sure", chosen on validation data.

    The rule: the smallest τ of `grid` such that, among the answers whose top probability is
    ≥ τ (those shown confidently), at most `max_confident_error_rate` are wrong; if no τ of the
    grid meets it, the largest one. A τ that leaves no answer confident meets the rule (nothing
    confident is wrong). The smallest such τ keeps as many answers confident as the error budget
    allows. Returned as a plain float rounded to 2 decimals (the page compares p < τ).
    """
    probabilities, labels = _check_labelled(probabilities, labels, "probabilities")
    if not 0 <= max_confident_error_rate <= 1:
        raise ValueError(f"max_confident_error_rate must be between 0 and 1; got {max_confident_error_rate!r}")
    thresholds = sorted(float(t) for t in grid)
    if not thresholds or not all(0 <= t <= 1 for t in thresholds):
        raise ValueError(f"grid must hold at least one threshold between 0 and 1; got {list(grid)!r}")
    confidence = probabilities.max(axis=1)
    wrong = probabilities.argmax(axis=1) != labels
    for threshold in thresholds:
        shown = confidence >= threshold
        # Compared as counts, with a margin for products such as 0.29 · 100 = 28.999999999999996.
        if wrong[shown].sum() <= max_confident_error_rate * shown.sum() + 1e-9:
            return round(threshold, 2)
    return round(thresholds[-1], 2)


@dataclass(frozen=True)
class CalibrationReport:
    """What calibration did, for metrics.json: fitted and chosen on validation, judged on test."""

    temperature: float
    #: Top-label ECE (fraction, not %) before and after dividing the logits by `temperature`.
    validation_ece_before: float
    validation_ece_after: float
    test_ece_before: float
    test_ece_after: float
    #: τ: the page says "not sure" when the top probability is below it.
    unsure_below: float
    #: The rule's knob (see choose_unsure_threshold) and the ECE's bin count.
    max_confident_error_rate: float
    bins: int
    #: On test, with calibrated probabilities: the share of answers below τ, and the accuracy
    #: of the others (None when no answer reaches τ).
    test_unsure_share: float
    test_confident_accuracy: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        """Plain JSON values, figures rounded to 6 decimals."""
        return {key: round(value, 6) if isinstance(value, float) else value for key, value in asdict(self).items()}


def calibration_report(
    validation_logits: np.ndarray,
    validation_labels: np.ndarray,
    test_logits: np.ndarray,
    test_labels: np.ndarray,
    *,
    max_confident_error_rate: float = MAX_CONFIDENT_ERROR_RATE,
    bins: int = 15,
) -> CalibrationReport:
    """Fit T and choose τ on the validation logits, then measure both parts before and after.

    The model itself is left alone: fold `report.temperature` into it with fold_temperature.
    """
    test_logits, test_labels = _check_labelled(test_logits, test_labels, "test logits")
    temperature = fit_temperature(validation_logits, validation_labels)
    validation_after = softmax(validation_logits, temperature)
    test_after = softmax(test_logits, temperature)
    unsure_below = choose_unsure_threshold(validation_after, validation_labels, max_confident_error_rate)
    confident = test_after.max(axis=1) >= unsure_below
    correct = test_after.argmax(axis=1) == test_labels
    return CalibrationReport(
        temperature=temperature,
        validation_ece_before=expected_calibration_error(softmax(validation_logits), validation_labels, bins),
        validation_ece_after=expected_calibration_error(validation_after, validation_labels, bins),
        test_ece_before=expected_calibration_error(softmax(test_logits), test_labels, bins),
        test_ece_after=expected_calibration_error(test_after, test_labels, bins),
        unsure_below=unsure_below,
        max_confident_error_rate=float(max_confident_error_rate),
        bins=bins,
        test_unsure_share=float(1 - confident.mean()),
        test_confident_accuracy=float(correct[confident].mean()) if confident.any() else None,
    )
