"""A small sample of MNIST test digits shipped next to the model, for pages to show.

Pages use it for worked examples (a block preset to test digit 1234) and to show the model's
real mistakes (the confusion explorer). It holds the first test digits plus every digit the
shipped model gets wrong (up to a cap), with the label and the shipped model's prediction.
Its names say "sample", not "test" (the digits come from MNIST's test split, but this is no test
code, and pytest collects `Test*` classes); its files keep their published names.

Writing needs NumPy; reading does not (the site build reads it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..png import greyscale_png, read_greyscale_png

if TYPE_CHECKING:
    import numpy as np

SAMPLE_PNG = "test-sample.png"
SAMPLE_JSON = "test-sample.json"
#: Test digits 0 … FIRST_DIGITS-1 are always in the sample: stable indices for presets.
FIRST_DIGITS = 100
#: At most this many misclassified digits (the shipped model makes ~90 mistakes on 10,000).
MAX_MISTAKES = 300
IMAGE_SIZE = 28


def sample_indices(labels: np.ndarray, predicted: np.ndarray, first: int = FIRST_DIGITS, max_mistakes: int = MAX_MISTAKES) -> list[int]:
    import numpy as np

    mistakes = np.flatnonzero(predicted != labels)[:max_mistakes]
    return sorted(set(range(min(first, len(labels)))) | {int(i) for i in mistakes})


def write_sample_digits(directory: Path, images: np.ndarray, labels: np.ndarray, probabilities: np.ndarray) -> int:
    """Write SAMPLE_PNG (row i = sampled digit i) and SAMPLE_JSON; returns the digit count."""
    predicted = probabilities.argmax(axis=1)
    indices = sample_indices(labels, predicted)
    rows = images[indices].reshape(len(indices), IMAGE_SIZE * IMAGE_SIZE)
    (directory / SAMPLE_PNG).write_bytes(greyscale_png(rows.tobytes(), IMAGE_SIZE * IMAGE_SIZE, len(indices)))
    mistakes = int((predicted != labels).sum())
    description = {
        "source": "MNIST test split",
        "image_size": IMAGE_SIZE,
        "png": SAMPLE_PNG,
        "first_digits": min(FIRST_DIGITS, len(labels)),
        "mistakes_total": mistakes,
        "mistakes_included": min(mistakes, MAX_MISTAKES),
        "indices": indices,
        "labels": [int(labels[i]) for i in indices],
        "predicted": [int(predicted[i]) for i in indices],
        "confidence": [round(float(probabilities[i].max()), 4) for i in indices],
    }
    (directory / SAMPLE_JSON).write_text(json.dumps(description, separators=(",", ":")) + "\n", encoding="utf-8")
    return len(indices)


@dataclass(frozen=True)
class SampleDigit:
    index: int
    label: int
    predicted: int
    confidence: float
    #: 28×28 grey values, row-major, 0 = background
    pixels: bytes


@dataclass(frozen=True)
class SampleDigits:
    """The sample as written by `write_sample_digits`, read without NumPy."""

    digits: dict[int, SampleDigit]
    first_digits: int
    mistakes_total: int
    mistakes_included: int

    @classmethod
    def load(cls, directory: Path) -> SampleDigits:
        description = json.loads((directory / SAMPLE_JSON).read_text(encoding="utf-8"))
        width, height, pixels = read_greyscale_png((directory / description["png"]).read_bytes())
        indices: Sequence[int] = description["indices"]
        if (width, height) != (IMAGE_SIZE * IMAGE_SIZE, len(indices)):
            raise ValueError(f"{directory / description['png']} is {width}×{height}, expected {IMAGE_SIZE**2}×{len(indices)}")
        digits = {
            index: SampleDigit(index, label, predicted, confidence, pixels[row * width : (row + 1) * width])
            for row, (index, label, predicted, confidence) in enumerate(
                zip(indices, description["labels"], description["predicted"], description["confidence"])
            )
        }
        return cls(digits, description["first_digits"], description["mistakes_total"], description["mistakes_included"])

    def describe_indices(self) -> str:
        """The indices a page may use, for error messages."""
        extra = sorted(i for i in self.digits if i >= self.first_digits)
        shown = ", ".join(str(i) for i in extra[:8]) + (", …" if len(extra) > 8 else "")
        first = f"0–{self.first_digits - 1}"
        return f"{first}, or one of the misclassified digits in the sample ({shown})" if extra else first
