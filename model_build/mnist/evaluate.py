"""Test-set figures: accuracy, per-digit accuracy, confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Evaluation:
    accuracy: float
    per_class_accuracy: list[float]
    #: confusion[true][predicted] counts
    confusion: list[list[int]]

    def most_confused(self, top: int = 5) -> list[dict[str, int]]:
        """The largest off-diagonal cells: which true digit was most often read as which."""
        cells = [
            {"true": t, "predicted": p, "count": count}
            for t, row in enumerate(self.confusion)
            for p, count in enumerate(row)
            if t != p and count > 0
        ]
        return sorted(cells, key=lambda c: (-c["count"], c["true"], c["predicted"]))[:top]


def predict_probabilities(model, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Softmax outputs for uint8 images (N, 28, 28), scaled exactly as in training.

    Direct calls rather than `model.predict`: predict compiles a multi-step function per
    `steps_per_execution` and retraces it for every new input length.
    """
    pixels = images.astype(np.float32)[..., np.newaxis] / 255.0
    chunks = [np.asarray(model(pixels[start : start + batch_size], training=False))
              for start in range(0, len(pixels), batch_size)]
    return np.concatenate(chunks) if chunks else np.zeros((0, 10), np.float32)


def evaluate(model, images: np.ndarray, labels: np.ndarray) -> Evaluation:
    predicted = predict_probabilities(model, images).argmax(axis=1)
    return evaluation_from_predictions(predicted, labels)


def evaluation_from_predictions(predicted: np.ndarray, labels: np.ndarray) -> Evaluation:
    labels = labels.astype(np.int64)
    confusion = np.bincount(labels * 10 + predicted, minlength=100).reshape(10, 10)
    totals = confusion.sum(axis=1)
    per_class = np.divide(np.diag(confusion), totals, out=np.zeros(10), where=totals > 0)
    return Evaluation(
        accuracy=float((predicted == labels).mean()),
        per_class_accuracy=[round(float(a), 6) for a in per_class],
        confusion=confusion.tolist(),
    )
