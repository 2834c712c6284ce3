"""Temperature scaling, calibration error and the "not sure" threshold (model_build/calibration.py)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from model_build.calibration import (
    CalibrationReport, calibration_report, choose_unsure_threshold, expected_calibration_error, fit_temperature,
    fold_temperature, logits_of, softmax,
)

CLASSES = 10


def calibrated_sample(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Logits z and labels drawn from softmax(z): a perfectly calibrated model (T = 1)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 3.0, size=(count, CLASSES))
    probabilities = softmax(logits)
    cumulative = probabilities.cumsum(axis=1)
    labels = (rng.random(count)[:, None] > cumulative).sum(axis=1)
    return logits, np.minimum(labels, CLASSES - 1)


@pytest.fixture(scope="module")
def tiny_model():
    """A real Keras model ending in a softmax Dense, on 6 random features (no training needed)."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dropout(0.5),
         keras.layers.Dense(4, activation="softmax", name="out")]
    )
    inputs = np.random.default_rng(1).normal(size=(50, 6)).astype(np.float32)
    return model, inputs


def test_logits_of_are_what_the_softmax_layer_turns_into_the_outputs(tiny_model) -> None:
    model, inputs = tiny_model
    logits = logits_of(model, inputs, batch_size=7)  # several batches, one of them short
    assert logits.shape == (50, 4) and logits.dtype == np.float64
    np.testing.assert_allclose(softmax(logits), np.asarray(model(inputs, training=False)), atol=1e-6)


def test_fold_temperature_makes_the_model_return_the_scaled_softmax(tiny_model) -> None:
    import keras

    model, inputs = tiny_model
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    logits = logits_of(copy, inputs)
    fold_temperature(copy, 2.5)
    np.testing.assert_allclose(np.asarray(copy(inputs, training=False)), softmax(logits, 2.5), atol=1e-5)
    # Same answers, lower confidence, same layers: the exported topology does not change.
    assert (np.asarray(copy(inputs)).argmax(1) == softmax(logits).argmax(1)).all()
    assert [layer.name for layer in copy.layers] == [layer.name for layer in model.layers]


def test_only_a_softmax_dense_last_layer_is_accepted() -> None:
    import keras

    linear = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="scores")])
    with pytest.raises(ValueError, match=r"last layer 'scores' is a Dense with activation 'linear'.*activation='softmax'"):
        logits_of(linear, np.zeros((1, 3), np.float32))
    separate = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.Softmax(name="soft")])
    with pytest.raises(ValueError, match=r"last layer 'soft' is a Softmax"):
        fold_temperature(separate, 2.0)
    unbuilt = keras.Sequential([keras.layers.Dense(2, activation="softmax", name="probabilities")])
    with pytest.raises(ValueError, match=r"cannot reach the input of the last layer 'probabilities'.*keras.Input"):
        logits_of(unbuilt, np.zeros((1, 3), np.float32))


@pytest.mark.parametrize("temperature", [0.0, -1.0, math.inf, math.nan])
def test_fold_temperature_refuses_a_temperature_that_is_not_positive(tiny_model, temperature) -> None:
    with pytest.raises(ValueError, match="finite number > 0"):
        fold_temperature(tiny_model[0], temperature)


@pytest.mark.parametrize("true_temperature", [0.5, 1.8, 4.0])
def test_fit_temperature_recovers_the_scale_of_overconfident_logits(true_temperature) -> None:
    logits, labels = calibrated_sample(20_000, seed=7)
    # A model that reports z·T where the truth is softmax(z) is fixed by dividing by T.
    fitted = fit_temperature(logits * true_temperature, labels)
    # The maximum-likelihood estimate of β = 1/T has standard error 1/sqrt(Σ Var_softmax(z)),
    # the inverse square root of the loss's curvature at β = 1 (here ~0.01); as T = 1/β,
    # se(T) = T² · se(β). Four standard errors: the seed is fixed, the margin is not luck.
    probabilities = softmax(logits)
    variance = (probabilities * logits**2).sum(1) - (probabilities * logits).sum(1) ** 2
    standard_error = true_temperature / math.sqrt(variance.sum())
    assert abs(fitted - true_temperature) <= 4 * standard_error
    assert fit_temperature(logits * true_temperature, labels) == fitted  # deterministic


def test_fit_temperature_is_stable_with_huge_logits_and_stays_in_range() -> None:
    logits = np.array([[1000.0, 0.0], [0.0, 1000.0], [1000.0, 0.0]])
    assert math.isfinite(fit_temperature(logits, np.array([0, 1, 1])))
    # Always right: the sharper the better, so the search stops at the lower end of the range.
    assert fit_temperature(np.array([[2.0, 0.0], [0.0, 2.0]]), np.array([0, 1])) == pytest.approx(0.05, rel=1e-6)


def test_ece_is_small_when_calibrated_and_large_when_overconfident() -> None:
    logits, labels = calibrated_sample(20_000, seed=3)
    # With ~1,300 answers a bin, sampling noise alone gives an ECE of about 0.01.
    assert expected_calibration_error(softmax(logits), labels) < 0.02
    assert expected_calibration_error(softmax(logits * 3), labels) > 0.15


def test_ece_of_a_hand_made_set_and_its_bin_edges() -> None:
    # Bins of 0.5: [0, 0.5] and (0.5, 1]. 0.5 sits in the first bin (right edges included).
    probabilities = np.array([[0.5, 0.5], [0.9, 0.1], [0.1, 0.9], [0.8, 0.2]])
    labels = np.array([1, 0, 0, 0])  # the 0.5 answer (class 0) is wrong; 2 of 3 above are right
    # first bin: n=1, accuracy 0, confidence 0.5; second: n=3, accuracy 2/3, confidence 0.8667
    expected = 1 / 4 * 0.5 + 3 / 4 * abs(2 / 3 - (0.9 + 0.9 + 0.8) / 3)
    assert expected_calibration_error(probabilities, labels, bins=2) == pytest.approx(expected)


def test_choose_unsure_threshold_on_a_hand_made_set() -> None:
    # Top probabilities and whether the answer is right: wrong answers at 0.55, 0.70 and 0.72.
    tops = [0.52, 0.55, 0.60, 0.70, 0.72, 0.80, 0.90, 0.95, 0.97, 0.99]
    right = [True, False, True, False, False, True, True, True, True, True]
    probabilities = np.array([[p, 1 - p] for p in tops])
    labels = np.array([0 if ok else 1 for ok in right])
    # τ = 0.73 is the first with no wrong answer at or above it (0.72 itself is wrong).
    assert choose_unsure_threshold(probabilities, labels, max_confident_error_rate=0.0) == 0.73
    # One wrong answer in 5 allowed: at 0.71, 1 of 6 shown is wrong (0.72); at 0.70, 2 of 7.
    assert choose_unsure_threshold(probabilities, labels, max_confident_error_rate=0.2) == 0.71
    # Everything allowed: the smallest grid value.
    assert choose_unsure_threshold(probabilities, labels, max_confident_error_rate=1.0) == 0.5
    # A grid no value of which meets the rule: its largest value.
    assert choose_unsure_threshold(probabilities, labels, max_confident_error_rate=0.0, grid=[0.6, 0.5, 0.65]) == 0.65
    threshold = choose_unsure_threshold(probabilities, labels)
    assert type(threshold) is float and threshold == 0.73


def test_errors_name_what_is_wrong() -> None:
    probabilities = np.full((3, 2), 0.5)
    with pytest.raises(ValueError, match=r"labels must be one integer per example, shape \(3,\)"):
        expected_calibration_error(probabilities, np.array([0, 1]))
    with pytest.raises(ValueError, match="labels must be integers from 0 to 1"):
        choose_unsure_threshold(probabilities, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"non-empty \(examples, classes\) array"):
        fit_temperature(np.zeros((0, 3)), np.zeros(0, np.int64))
    with pytest.raises(ValueError, match="NaN or infinite"):
        fit_temperature(np.array([[np.nan, 0.0]]), np.array([0]))
    with pytest.raises(ValueError, match="bins must be a positive integer"):
        expected_calibration_error(probabilities, np.array([0, 1, 0]), bins=0)
    with pytest.raises(ValueError, match="max_confident_error_rate must be between 0 and 1"):
        choose_unsure_threshold(probabilities, np.array([0, 1, 0]), max_confident_error_rate=5)


def test_calibration_report_fits_on_validation_and_judges_on_test() -> None:
    validation_logits, validation_labels = calibrated_sample(5_000, seed=11)
    test_logits, test_labels = calibrated_sample(5_000, seed=12)
    report = calibration_report(validation_logits * 2, validation_labels, test_logits * 2, test_labels)
    assert isinstance(report, CalibrationReport)
    assert report.temperature == pytest.approx(2.0, rel=0.05)
    assert report.test_ece_after < 0.03 < report.test_ece_before
    assert report.validation_ece_after < report.validation_ece_before
    assert report.unsure_below == choose_unsure_threshold(softmax(validation_logits * 2, report.temperature), validation_labels)
    calibrated = softmax(test_logits * 2, report.temperature)
    shown = calibrated.max(1) >= report.unsure_below
    assert report.test_unsure_share == pytest.approx(1 - shown.mean())
    assert report.test_confident_accuracy == pytest.approx((calibrated.argmax(1) == test_labels)[shown].mean())
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert {"temperature", "unsure_below", "test_ece_after"} <= set(data)
    assert all(type(value) in (float, int) for value in data.values())
