"""The MNIST recipe's settings: one typed, frozen, validated object.

Its `to_dict()` is part of the artefacts' fingerprint, so every field that changes the
weights lives here, and nothing that does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal, get_args

from ..errors import RecipeError

Quantization = Literal["none", "float16", "uint8"]
LearningRateSchedule = Literal["constant", "cosine"]


@dataclass(frozen=True)
class AugmentationConfig:
    """Random distortions of training digits, so that canvas drawings look in-distribution.

    People draw larger, smaller, tilted, off-centre and with thicker or thinner strokes than
    MNIST's scans; these ranges cover what the page's preprocessing leaves of those habits.
    """

    enabled: bool = True
    max_rotation_degrees: float = 12.0
    max_shift_pixels: float = 2.0
    scale_range: tuple[float, float] = (0.85, 1.15)
    #: Stroke-width change: a blend towards a dilated (thicker) or eroded (thinner) digit.
    max_thicken: float = 1.0
    max_thin: float = 0.5


@dataclass(frozen=True)
class MnistConfig:
    """Everything that decides the trained weights and the exported files."""

    epochs: int = 5
    batch_size: int = 128
    learning_rate: float = 3e-3
    #: "cosine": linear warm-up over the first tenth of the steps, then cosine decay to zero.
    learning_rate_schedule: LearningRateSchedule = "cosine"
    seed: int = 20260113
    dropout: float = 0.3
    augmentation: AugmentationConfig = field(default_factory=AugmentationConfig)
    #: How the weights are stored for TF.js: float32 ("none"), float16 or affine uint8.
    quantization: Quantization = "uint8"
    #: Largest weight shard in bytes (TF.js's own converter uses 4 MiB).
    shard_bytes: int = 4 * 1024 * 1024
    #: Train on the first N training images only (tests); None = all 60,000.
    train_subset: int | None = None
    #: Evaluate on the first N test images only (tests); None = all 10,000.
    test_subset: int | None = None

    def __post_init__(self) -> None:
        _check_positive_int("epochs", self.epochs)
        _check_positive_int("batch_size", self.batch_size)
        _check_positive_int("shard_bytes", self.shard_bytes)
        _check_positive_int("seed", self.seed, allow_zero=True)
        for key in ("train_subset", "test_subset"):
            if getattr(self, key) is not None:
                _check_positive_int(key, getattr(self, key))
        if not isinstance(self.learning_rate, (int, float)) or not 0 < self.learning_rate < 1:
            raise RecipeError(f"recipe.learning_rate must be a number between 0 and 1, got {self.learning_rate!r}.")
        if not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout < 1:
            raise RecipeError(f"recipe.dropout must be a number in [0, 1), got {self.dropout!r}.")
        _check_choice("learning_rate_schedule", self.learning_rate_schedule, LearningRateSchedule)
        _check_choice("quantization", self.quantization, Quantization)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (tuples become lists)."""
        values = asdict(self)
        values["augmentation"]["scale_range"] = list(self.augmentation.scale_range)
        return values

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None, base: MnistConfig | None = None) -> MnistConfig:
        """Overrides from YAML/JSON/CLI on top of `base` (default: the defaults).

        Unknown keys are errors, naming the key and listing the known ones.
        """
        base = base or cls()
        values = dict(values or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise RecipeError(f"Unknown recipe key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known))}.")
        augmentation = values.pop("augmentation", None)
        if augmentation is not None:
            values["augmentation"] = _augmentation_from(augmentation, base.augmentation)
        try:
            return replace(base, **values)
        except TypeError as error:
            raise RecipeError(f"Invalid recipe: {error}") from error


def _augmentation_from(value: Any, base: AugmentationConfig) -> AugmentationConfig:
    if isinstance(value, bool):
        return replace(base, enabled=value)
    if not isinstance(value, Mapping):
        raise RecipeError("recipe.augmentation must be true, false or a mapping of augmentation settings.")
    known = {f.name for f in fields(AugmentationConfig)}
    unknown = sorted(set(value) - known)
    if unknown:
        raise RecipeError(
            f"Unknown recipe.augmentation key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known))}."
        )
    values = dict(value)
    if "scale_range" in values:
        low, high = values["scale_range"]
        if not 0 < low <= high:
            raise RecipeError("recipe.augmentation.scale_range must be [low, high] with 0 < low <= high.")
        values["scale_range"] = (float(low), float(high))
    return replace(base, **values)


def _check_positive_int(key: str, value: Any, allow_zero: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if allow_zero else 1):
        kind = "a non-negative" if allow_zero else "a positive"
        raise RecipeError(f"recipe.{key} must be {kind} integer, got {value!r}.")


def _check_choice(key: str, value: Any, choices: Any) -> None:
    allowed = get_args(choices)
    if value not in allowed:
        raise RecipeError(f"recipe.{key} must be one of {', '.join(map(repr, allowed))}, got {value!r}.")
