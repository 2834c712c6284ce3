"""The shape of metrics.json: every key the site build reads, declared once, checked without NumPy.

metrics.json is the single source of every figure a page shows. Its readers are
`plugins/digit_model/figures.py` (`Figures.from_metrics`), `model_build/charts.py` (the training
curve and the confusion matrix), `MnistRecipe.summarize` and the plugin's blocks (the confusion
explorer). A cache entry whose metrics lack one of these keys, or hold it in another shape, is
unusable and rebuilt, and a build that writes such metrics is refused, rather than failing deep
inside a site build. The build writes more keys than these; only these are promised.

The check is plain Python on a file of a few kilobytes: it runs on every freshness check.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

METRICS_JSON = "metrics.json"


@dataclass(frozen=True)
class Number:
    """A JSON number (never a boolean), optionally an integer, optionally within bounds."""

    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False

    def problem(self, value: Any, where: str) -> str | None:
        kinds = (int,) if self.integer else (int, float)
        within = isinstance(value, kinds) and not isinstance(value, bool) and (
            (self.minimum is None or value >= self.minimum) and (self.maximum is None or value <= self.maximum)
        )
        return None if within else f"{where} must be {self.describe()}, not {_kind(value)}"

    def describe(self) -> str:
        noun = "an integer" if self.integer else "a number"
        if self.minimum is not None and self.maximum is not None:
            return f"{noun} from {self.minimum:g} to {self.maximum:g}"
        if self.minimum is not None:
            return f"{noun} ≥ {self.minimum:g}"
        return noun


@dataclass(frozen=True)
class Text:
    """A JSON string."""

    def problem(self, value: Any, where: str) -> str | None:
        return None if isinstance(value, str) else f"{where} must be a string, not {_kind(value)}"


@dataclass(frozen=True)
class ListOf:
    """A JSON list whose items all have one shape, optionally of a fixed length."""

    item: Shape
    length: int | None = None

    def problem(self, value: Any, where: str) -> str | None:
        if not isinstance(value, list):
            return f"{where} must be a list, not {_kind(value)}"
        if self.length is not None and len(value) != self.length:
            return f"{where} must have {self.length} items, not {len(value)}"
        for index, item in enumerate(value):
            if found := shape_problem(item, self.item, f"{where}[{index}]"):
                return found
        return None


@dataclass(frozen=True)
class MappingOf:
    """A JSON object with any keys, whose values all have one shape."""

    value: Shape

    def problem(self, value: Any, where: str) -> str | None:
        if not isinstance(value, dict):
            return f"{where} must be an object, not {_kind(value)}"
        for key, item in value.items():
            if found := shape_problem(item, self.value, f"{where}.{key}"):
                return found
        return None


@dataclass(frozen=True)
class OrNull:
    """null, or a value of the given shape."""

    shape: Shape

    def problem(self, value: Any, where: str) -> str | None:
        return None if value is None else shape_problem(value, self.shape, where)


#: A shape: one of the classes above, or a mapping of required key → shape (a JSON object that
#: must hold those keys and may hold more).
Shape = Union[Number, Text, ListOf, MappingOf, OrNull, Mapping[str, "Shape"]]

COUNT = Number(minimum=0, integer=True)
DIGIT = Number(minimum=0, maximum=9, integer=True)
FRACTION = Number(minimum=0, maximum=1)
NUMBER = Number()
DIGITS = 10

#: Every key of metrics.json that the site build reads (and the teach sample's summary), and the
#: shape it must have.
METRICS: Mapping[str, Shape] = {
    "network": Text(),
    "parameters": COUNT,
    "data": {"train_images": COUNT, "redrawn_train_images": COUNT, "habit_edited_train_images": COUNT,
             "test_images": COUNT},
    "test_accuracy": {"float32": FRACTION, "shipped": FRACTION},
    "per_class_accuracy": {"shipped": ListOf(FRACTION, length=DIGITS)},
    #: confusion_matrix[true][predicted]: test digits of each true class read as each class.
    "confusion_matrix": ListOf(ListOf(COUNT, length=DIGITS), length=DIGITS),
    "most_confused": ListOf({"true": DIGIT, "predicted": DIGIT, "count": COUNT}),
    "weights": {"quantization": Text(), "float32_bytes": COUNT, "shipped_bytes": COUNT},
    "history": ListOf({"epoch": Number(minimum=1, integer=True), "loss": NUMBER, "accuracy": NUMBER}),
    "seconds": {"training": Number(minimum=0)},
    #: The shipped weights on the drawn-digit benchmark's test part (the reported one; the build
    #: writes the validation part, the seed and the sizes too).
    "drawn": {
        "test": {
            "accuracy": FRACTION,
            "count": COUNT,
            #: style name → its digits in the part and the share read correctly
            "per_style": MappingOf({"count": COUNT, "accuracy": FRACTION}),
            "most_confused": ListOf({"true": DIGIT, "predicted": DIGIT, "count": COUNT}),
            #: wrong answers given with a top probability ≥ 0.9
            "confident_errors": COUNT,
            #: expected calibration error of the shipped (calibrated) probabilities
            "calibration_error": FRACTION,
        },
    },
    #: Temperature scaling fitted on the drawn validation part, and the page's "not sure" threshold.
    "calibration": {
        "temperature": Number(minimum=0),
        "unsure_below": FRACTION,
        "max_confident_error_rate": FRACTION,
        "test_unsure_share": FRACTION,
        #: the accuracy of the answers shown without doubt; null when none reached the threshold
        "test_confident_accuracy": OrNull(FRACTION),
        "test_ece_before": FRACTION,
        "test_ece_after": FRACTION,
    },
    #: The teach sample (teach-features.bin and teach-sample.json) shipped for in-browser fine-tuning: the site
    #: shows none of it, but an entry without it lacks the files a reader's teaching fetches.
    "teach_sample": {"replay_digits": COUNT, "check_digits": COUNT, "holdout_digits": COUNT, "bytes": COUNT,
                     "holdout_shipped_accuracy": FRACTION},
    #: Library name → version; the figures read `tensorflow-cpu` and `keras` when present.
    "versions": MappingOf(Text()),
}


def shape_problem(value: Any, shape: Shape, where: str = "") -> str | None:
    """The first way `value` (parsed JSON) differs from `shape`, as a sentence, or None."""
    if isinstance(shape, Mapping):
        if not isinstance(value, dict):
            return f"{where or 'the file'} must be an object, not {_kind(value)}"
        for key, inner in shape.items():
            path = f"{where}.{key}" if where else key
            if key not in value:
                return f"{path} is missing"
            if found := shape_problem(value[key], inner, path):
                return found
        return None
    return shape.problem(value, where)


def metrics_problem(path: Path) -> str | None:
    """Why the metrics.json at `path` is not one the site build can read, or None."""
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as error:  # ValueError covers JSON and UTF-8
        return f"{path.name} is unreadable: {error}"
    found = shape_problem(metrics, METRICS)
    return f"{path.name}: {found}" if found else None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float, str)) and not (isinstance(value, float) and math.isnan(value)):
        return f"{value!r}"[:40]
    if isinstance(value, float):
        return "NaN"
    return {dict: "an object", list: "a list"}.get(type(value), type(value).__name__)
