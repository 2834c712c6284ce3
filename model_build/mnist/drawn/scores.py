"""How a model does on drawn digits: overall, per style, which digits it confuses, how sure it was."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...calibration import expected_calibration_error
from ..evaluate import evaluation_from_predictions
from .benchmark import DrawnDigits

#: A wrong answer given with at least this probability counts as a confident error (issue 13's target).
CONFIDENT = 0.9


@dataclass(frozen=True)
class DrawnScores:
    accuracy: float
    count: int
    #: style → {"digit", "count", "accuracy"}, in benchmark order
    per_style: dict[str, dict[str, Any]]
    per_digit_accuracy: list[float]
    #: confusion[true][predicted] counts
    confusion: list[list[int]]
    most_confused: list[dict[str, int]]
    #: wrong answers whose top probability was ≥ CONFIDENT
    confident_errors: int
    #: expected calibration error (top label, 15 equal bins; a fraction, not %)
    calibration_error: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def predict(model, digits: DrawnDigits, batch_size: int = 500) -> np.ndarray:
    """Softmax outputs (N, 10) for the digits' preprocessed inputs (already floats in [0, 1])."""
    pixels = digits.pixels[..., np.newaxis]
    chunks = [np.asarray(model(pixels[start : start + batch_size], training=False))
              for start in range(0, len(pixels), batch_size)]
    return np.concatenate(chunks) if chunks else np.zeros((0, 10), np.float32)


def score(probabilities: np.ndarray, digits: DrawnDigits, top: int = 8) -> DrawnScores:
    """The figures for one part of the benchmark from the model's outputs on it."""
    predicted = probabilities.argmax(axis=1)
    labels = digits.labels.astype(np.int64)
    correct = predicted == labels
    evaluation = evaluation_from_predictions(predicted, labels)
    per_style = {}
    for name in digits.style_names():
        mask = digits.styles == name
        per_style[name] = {"digit": int(labels[mask][0]) if name[0].isdigit() else None,
                           "count": int(mask.sum()), "accuracy": float(correct[mask].mean())}
    return DrawnScores(
        accuracy=float(correct.mean()) if len(correct) else 0.0,
        count=int(len(correct)),
        per_style=per_style,
        per_digit_accuracy=evaluation.per_class_accuracy,
        confusion=evaluation.confusion,
        most_confused=evaluation.most_confused(top),
        confident_errors=int(((~correct) & (probabilities.max(axis=1) >= CONFIDENT)).sum()),
        calibration_error=expected_calibration_error(probabilities, labels) if len(labels) else 0.0,
    )


def format_scores(name: str, scores: DrawnScores) -> str:
    """A plain-text table: overall, per style, worst confusions."""
    errors = scores.count - round(scores.accuracy * scores.count)
    lines = [f"{name}: {scores.accuracy:.2%} of {scores.count:,} drawn digits "
             f"({errors} wrong, {scores.confident_errors} of them at ≥ {CONFIDENT:.0%} confidence)"]
    for style, figures in scores.per_style.items():
        wrong = figures["count"] - round(figures["accuracy"] * figures["count"])
        lines.append(f"  {style:<20} {figures['accuracy']:8.2%}  ({wrong:>3} wrong of {figures['count']})")
    pairs = ", ".join(f"{c['true']}→{c['predicted']} ×{c['count']}" for c in scores.most_confused)
    lines.append(f"  most confused: {pairs or 'none'}")
    return "\n".join(lines)
