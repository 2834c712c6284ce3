"""The MNIST recipe's settings: one typed, frozen, validated object.

Its `to_dict()` is part of the artefacts' fingerprint, so every field that changes the
weights lives here, and nothing that does not.

Every value is checked on construction (so `from_mapping` and direct construction alike), against
the range in which the build can use it: a recipe that passes here does not fail mid-build.
"""

from __future__ import annotations

import numbers
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal, get_args

from ..errors import RecipeError

Quantization = Literal["none", "float16", "uint8"]
#: model_build.mnist.network's names (that module imports Keras; this one must not).
NetworkName = Literal["blog", "canvas", "compact", "compact80"]
LearningRateSchedule = Literal["constant", "cosine"]

# MNIST's official splits (model_build.mnist.data has the same figures; it imports NumPy, this must not).
TRAIN_IMAGES = 60_000
TEST_IMAGES = 10_000
#: More epochs than this is a typo, not a recipe (the default is 5; 1,000 is already 200 times longer).
MAX_EPOCHS = 1_000
#: `keras.utils.set_random_seed` seeds NumPy's legacy generator, which takes 0 … 2**32 − 1. The seed
#: is otherwise only an int64 (tf.data's shuffle, the augmentation's [seed, batch number] pair).
MAX_SEED = 2**32 - 1
#: Smaller shards only multiply requests (10 bytes made 10,587 files); larger ones are one file anyway.
MIN_SHARD_BYTES = 64 * 1024
MAX_SHARD_BYTES = 1024**3
#: Below these, a recipe is valid but its figures mean little: see `MnistConfig.warnings()`.
FEW_TRAIN_IMAGES = 1_000
FEW_TEST_IMAGES = 100

# Settings for augmentation (see augment.py). A digit fills about 20 × 20 of MNIST's 28 × 28 pixels.
#: Rotating by more than ±180° repeats angles already drawn.
MAX_ROTATION_DEGREES = 180.0
#: At 14 pixels the digit's centre reaches the image's edge and half of it is gone.
MAX_SHIFT_PIXELS = 14.0
#: Below 0.25 a 20-pixel digit shrinks under 5 pixels, a blob; above 2 it grows past 40 pixels
#: and the 28-pixel frame cuts off more than 30 % of its width and height.
MIN_SCALE = 0.25
MAX_SCALE = 2.0
#: The stroke blend weight: 1 is the full dilation (or erosion); beyond it, pixels leave [0, 1].
MAX_STROKE_BLEND = 1.0

# Settings for the drawn-digit benchmark (model_build.mnist.drawn.benchmark has the same figures;
# it imports NumPy, this must not). Full size: 240 habit samples and 120 redrawn MNIST test digits
# per digit, 3,600 digits in all, half of them in each part (validation, test).
DRAWN_HABITS_PER_DIGIT = 240
DRAWN_REDRAWN_PER_DIGIT = 120
#: Every habit style needs a sample in each part, and the digit 4 has four styles.
MIN_DRAWN_HABITS_PER_DIGIT = 8
#: Ten times the full size: 24,000 habit digits already take minutes to generate (~3 ms each).
MAX_DRAWN_HABITS_PER_DIGIT = 2_400
#: Half of them per part, from MNIST test digits of one index parity per part: the scarcest
#: digit of one parity is the 5 at odd indices (434 of them).
MAX_DRAWN_REDRAWN_PER_DIGIT = 868


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

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise RecipeError(f"recipe.augmentation.enabled must be true or false, got {_shown(self.enabled)}.")
        for key, high in (
            ("max_rotation_degrees", MAX_ROTATION_DEGREES),
            ("max_shift_pixels", MAX_SHIFT_PIXELS),
            ("max_thicken", MAX_STROKE_BLEND),
            ("max_thin", MAX_STROKE_BLEND),
        ):
            _normalise(self, key, _real_number(f"augmentation.{key}", getattr(self, key), 0.0, high))
        _normalise(self, "scale_range", _scale_range(self.scale_range))


#: Redrawing every training digit once (60,000) is the most the set can hold.
MAX_REDRAWN_TRAINING = TRAIN_IMAGES


@dataclass(frozen=True)
class RedrawnTrainingConfig:
    """MNIST training digits redrawn through the page's canvas and added to training (issue 13).

    See model_build.mnist.redrawn_set: each is one training image traced into pen strokes,
    redrawn by a reader's hand with the page's pen, and preprocessed as the page does; a share
    of the 1s, 4s and 7s first get a reader's habit (a flag and base, a closed top, a crossed
    stem). Made once (~2 ms a digit on two cores) and cached.
    """

    #: How many training digits to redraw (0: train on MNIST's scans alone); with a train_subset,
    #: at most that many (only digits trained on are redrawn).
    images: int = 30_000
    #: Chance that a redrawn 1, 4 or 7 gets its habit edit.
    habit_edit_rate: float = 0.3

    def __post_init__(self) -> None:
        _normalise(self, "images", _whole_number(
            "redrawn_training.images", self.images, 0, MAX_REDRAWN_TRAINING, " (0 trains on MNIST's scans alone)"))
        _normalise(self, "habit_edit_rate",
                   _real_number("redrawn_training.habit_edit_rate", self.habit_edit_rate, 0.0, 1.0))


@dataclass(frozen=True)
class DrawnBenchmarkConfig:
    """The size of the drawn-digit benchmark the build scores the shipped weights on (issue 13).

    It decides no weight, only metrics.json's `drawn` section. The full size is the figure the
    project reports; tests set it small, since generating costs a few milliseconds per digit.
    """

    #: Writing-habit samples per digit, shared by that digit's styles.
    habits_per_digit: int = DRAWN_HABITS_PER_DIGIT
    #: MNIST test digits per digit class redrawn as strokes.
    redrawn_per_digit: int = DRAWN_REDRAWN_PER_DIGIT

    def __post_init__(self) -> None:
        habits = _whole_number(
            "drawn_benchmark.habits_per_digit", self.habits_per_digit,
            MIN_DRAWN_HABITS_PER_DIGIT, MAX_DRAWN_HABITS_PER_DIGIT,
            " (every style needs a sample in each part, and the digit 4 has four styles)",
        )
        _normalise(self, "habits_per_digit", habits)
        redrawn = self.redrawn_per_digit
        if (isinstance(redrawn, bool) or not isinstance(redrawn, numbers.Integral) or redrawn % 2
                or not 0 <= redrawn <= MAX_DRAWN_REDRAWN_PER_DIGIT):
            raise RecipeError(
                "recipe.drawn_benchmark.redrawn_per_digit must be an even whole number from 0 to "
                f"{MAX_DRAWN_REDRAWN_PER_DIGIT:,} (half of them go to each part, and MNIST's test split has "
                f"{MAX_DRAWN_REDRAWN_PER_DIGIT // 2:,} fives of odd index), got {_shown(redrawn)}."
            )
        _normalise(self, "redrawn_per_digit", int(redrawn))


# Settings for the teach sample (see teach_sample.py). MNIST's scarcest digit is the 5: 5,421 of
# them in the training split, 892 in the test split; a class-balanced choice can take no more.
TEACH_REPLAY_PER_DIGIT = 30
TEACH_CHECK_PER_DIGIT = 50
TEACH_HOLDOUT_PER_DIGIT = 100
MAX_TEACH_REPLAY_PER_DIGIT = 5_421
MAX_TEACH_HOLDOUT_PER_DIGIT = 892


@dataclass(frozen=True)
class TeachSampleConfig:
    """MNIST digits shipped with the model for a reader's in-browser fine-tuning (teach-features.bin).

    The page replays training digits while it fine-tunes the output layer on a reader's
    corrections (so the model does not forget MNIST), checks on test digits how much of the
    change it can keep without forgetting (its validation), and measures accuracy on other,
    held-out test digits before and after. It decides no weight, only those two files and metrics.json's
    `teach_sample` section. With a `train_subset` / `test_subset`, a digit that the subset holds
    fewer times than asked is taken as often as the subset holds it.
    """

    #: Training digits per digit class, replayed while fine-tuning.
    replay_per_digit: int = TEACH_REPLAY_PER_DIGIT
    #: Test digits per digit class on which the page limits what fine-tuning may forget (its validation).
    check_per_digit: int = TEACH_CHECK_PER_DIGIT
    #: Test digits per digit class, on which the page measures accuracy.
    holdout_per_digit: int = TEACH_HOLDOUT_PER_DIGIT

    def __post_init__(self) -> None:
        for key, high, split in (
            ("replay_per_digit", MAX_TEACH_REPLAY_PER_DIGIT, "training"),
            ("check_per_digit", MAX_TEACH_HOLDOUT_PER_DIGIT, "test"),
            ("holdout_per_digit", MAX_TEACH_HOLDOUT_PER_DIGIT, "test"),
        ):
            note = f" (MNIST's {split} split has {high:,} fives, its scarcest digit)"
            _normalise(self, key, _whole_number(f"teach_sample.{key}", getattr(self, key), 1, high, note))


@dataclass(frozen=True)
class MnistConfig:
    """Everything that decides the trained weights and the exported files."""

    #: "compact" (default: a third convolution, 93 K parameters), "compact80" (a wider Dense),
    #: "canvas" (two convolutions, 321 K) or "blog" (the reference post's network); see network.py.
    network: NetworkName = "compact"
    #: Ten passes over scans and redrawn digits (chosen on validation: benchmarks/recipe_search.py).
    epochs: int = 10
    batch_size: int = 128
    learning_rate: float = 3e-3
    #: "cosine": linear warm-up over the first tenth of the steps, then cosine decay to zero.
    learning_rate_schedule: LearningRateSchedule = "cosine"
    seed: int = 20260113
    dropout: float = 0.3
    augmentation: AugmentationConfig = field(default_factory=AugmentationConfig)
    #: Training digits redrawn through the page's canvas, trained on beside the scans.
    redrawn_training: RedrawnTrainingConfig = field(default_factory=RedrawnTrainingConfig)
    #: How the weights are stored for TF.js: float32 ("none"), float16 or affine uint8.
    quantization: Quantization = "uint8"
    #: Largest weight shard in bytes (TF.js's own converter uses 4 MiB).
    shard_bytes: int = 4 * 1024 * 1024
    #: Train on the first N training images only (tests); None = all 60,000.
    train_subset: int | None = None
    #: Evaluate on the first N test images only (tests); None = all 10,000.
    test_subset: int | None = None
    #: How many drawn digits the shipped weights are scored on (metrics.json's `drawn` section).
    drawn_benchmark: DrawnBenchmarkConfig = field(default_factory=DrawnBenchmarkConfig)
    #: How many MNIST digits ship for in-browser fine-tuning (teach-features.bin and teach-sample.json).
    teach_sample: TeachSampleConfig = field(default_factory=TeachSampleConfig)

    def __post_init__(self) -> None:
        _check_choice("network", self.network, NetworkName)
        _normalise(self, "epochs", _whole_number("epochs", self.epochs, 1, MAX_EPOCHS))
        # A batch larger than the training set is the training set.
        _normalise(self, "batch_size", _whole_number("batch_size", self.batch_size, 1, TRAIN_IMAGES))
        learning_rate = _real_number("learning_rate", self.learning_rate, 0.0, 1.0, open_low=True, open_high=True)
        _normalise(self, "learning_rate", learning_rate)
        _check_choice("learning_rate_schedule", self.learning_rate_schedule, LearningRateSchedule)
        seed = _whole_number("seed", self.seed, 0, MAX_SEED, " (2**32 - 1, the largest seed NumPy accepts)")
        _normalise(self, "seed", seed)
        _normalise(self, "dropout", _real_number("dropout", self.dropout, 0.0, 1.0, open_high=True))
        if isinstance(self.augmentation, (bool, Mapping)):
            _normalise(self, "augmentation", _augmentation_from(self.augmentation, AugmentationConfig()))
        elif not isinstance(self.augmentation, AugmentationConfig):
            raise RecipeError(_AUGMENTATION_TYPE.format(_shown(self.augmentation)))
        _check_choice("quantization", self.quantization, Quantization)
        _normalise(
            self, "shard_bytes",
            _whole_number("shard_bytes", self.shard_bytes, MIN_SHARD_BYTES, MAX_SHARD_BYTES, " (64 KiB to 1 GiB)"),
        )
        for key, maximum in (("train_subset", TRAIN_IMAGES), ("test_subset", TEST_IMAGES)):
            value = getattr(self, key)
            if value is not None:
                _normalise(self, key, _whole_number(key, value, 1, maximum, f", or unset for all {maximum:,}"))
        if isinstance(self.drawn_benchmark, Mapping):
            _normalise(self, "drawn_benchmark", _drawn_benchmark_from(self.drawn_benchmark, DrawnBenchmarkConfig()))
        elif not isinstance(self.drawn_benchmark, DrawnBenchmarkConfig):
            raise RecipeError(_DRAWN_BENCHMARK_TYPE.format(_shown(self.drawn_benchmark)))
        if isinstance(self.redrawn_training, Mapping):
            _normalise(self, "redrawn_training",
                       _section_from("redrawn_training", self.redrawn_training, RedrawnTrainingConfig(), _REDRAWN_TYPE))
        elif not isinstance(self.redrawn_training, RedrawnTrainingConfig):
            raise RecipeError(_REDRAWN_TYPE.format(_shown(self.redrawn_training)))
        if isinstance(self.teach_sample, Mapping):
            _normalise(self, "teach_sample",
                       _section_from("teach_sample", self.teach_sample, TeachSampleConfig(), _TEACH_TYPE))
        elif not isinstance(self.teach_sample, TeachSampleConfig):
            raise RecipeError(_TEACH_TYPE.format(_shown(self.teach_sample)))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (tuples become lists)."""
        values = asdict(self)
        values["augmentation"]["scale_range"] = list(self.augmentation.scale_range)
        return values

    def warnings(self) -> list[str]:
        """Sentences about values that are valid but too small for the build's figures to mean much."""
        found = []
        if self.train_subset is not None and self.train_subset < FEW_TRAIN_IMAGES:
            found.append(
                f"recipe.train_subset is {self.train_subset:,}: a network trained on fewer than {FEW_TRAIN_IMAGES:,} "
                "images learns too little for its accuracy or its answers on the page to say anything about the "
                f"recipe; leave train_subset unset to train on all {TRAIN_IMAGES:,}."
            )
        if self.test_subset is not None and self.test_subset < FEW_TEST_IMAGES:
            found.append(
                f"recipe.test_subset is {self.test_subset:,}: each test image moves the reported accuracy by "
                f"{100 / self.test_subset:.3g} percentage points, too coarse to compare two models; leave "
                f"test_subset unset to evaluate on all {TEST_IMAGES:,}."
            )
        return found

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None, base: MnistConfig | None = None) -> MnistConfig:
        """Overrides from YAML/JSON/CLI on top of `base` (default: the defaults).

        Unknown keys are errors, naming the key and listing the known ones; so is every value
        out of its range or of the wrong type (always a `RecipeError`, naming the key).
        """
        base = base or cls()
        if values is not None and not isinstance(values, Mapping):
            raise RecipeError(f"The recipe must be a mapping of recipe keys to values, got {type(values).__name__}.")
        values = dict(values or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(map(str, set(values) - known))
        if unknown:
            raise RecipeError(f"Unknown recipe key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known))}.")
        augmentation = values.pop("augmentation", None)
        if augmentation is not None:
            values["augmentation"] = _augmentation_from(augmentation, base.augmentation)
        drawn_benchmark = values.pop("drawn_benchmark", None)
        if drawn_benchmark is not None:
            values["drawn_benchmark"] = _drawn_benchmark_from(drawn_benchmark, base.drawn_benchmark)
        redrawn = values.pop("redrawn_training", None)
        if redrawn is not None:
            values["redrawn_training"] = _section_from("redrawn_training", redrawn, base.redrawn_training, _REDRAWN_TYPE)
        teach = values.pop("teach_sample", None)
        if teach is not None:
            values["teach_sample"] = _section_from("teach_sample", teach, base.teach_sample, _TEACH_TYPE)
        try:
            return replace(base, **values)
        except TypeError as error:
            raise RecipeError(f"Invalid recipe: {error}") from error


_AUGMENTATION_TYPE = "recipe.augmentation must be true, false or a mapping of augmentation settings, got {}."


def _augmentation_from(value: Any, base: AugmentationConfig) -> AugmentationConfig:
    if isinstance(value, bool):
        return replace(base, enabled=value)
    return _section_from("augmentation", value, base, _AUGMENTATION_TYPE)


_DRAWN_BENCHMARK_TYPE = (
    "recipe.drawn_benchmark must be a mapping of habits_per_digit and redrawn_per_digit to numbers, got {}."
)


_REDRAWN_TYPE = "recipe.redrawn_training must be a mapping of images and habit_edit_rate to numbers, got {}."


_TEACH_TYPE = ("recipe.teach_sample must be a mapping of replay_per_digit, check_per_digit and holdout_per_digit "
               "to numbers, got {}.")


def _drawn_benchmark_from(value: Any, base: DrawnBenchmarkConfig) -> DrawnBenchmarkConfig:
    return _section_from("drawn_benchmark", value, base, _DRAWN_BENCHMARK_TYPE)


def _section_from(key: str, value: Any, base: Any, type_message: str) -> Any:
    """A nested recipe section given as a mapping of its fields, on top of `base` (a dataclass
    whose own checks then run); anything else, or an unknown field, is a RecipeError."""
    if not isinstance(value, Mapping):
        raise RecipeError(type_message.format(_shown(value)))
    known = {f.name for f in fields(base)}
    unknown = sorted(map(str, set(value) - known))
    if unknown:
        raise RecipeError(f"Unknown recipe.{key} key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known))}.")
    return replace(base, **value)


def _normalise(config: Any, key: str, value: Any) -> None:
    """Store a checked value (an int given for a float becomes a float) in a frozen dataclass."""
    object.__setattr__(config, key, value)


def _whole_number(key: str, value: Any, low: int, high: int, note: str = "") -> int:
    """`value` as an int if it is a whole number in [low, high]; floats such as 5.0 and bools are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
        raise RecipeError(f"recipe.{key} must be a whole number from {low:,} to {high:,}{note}, got {_shown(value)}.")
    return int(value)


def _real_number(
    key: str, value: Any, low: float, high: float, open_low: bool = False, open_high: bool = False
) -> float:
    """`value` as a float if it is a real number (int or float, not bool) in range; NaN and ±inf never are."""
    # Compared before float(): a huge int would overflow it, and NaN fails every comparison.
    in_range = (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and (low < value if open_low else low <= value)
        and (value < high if open_high else value <= high)
    )
    if not in_range:
        if open_low and open_high:
            allowed = f"between {low:g} and {high:g} (exclusive)"
        elif open_high:
            allowed = f"from {low:g} up to but not including {high:g}"
        else:
            allowed = f"from {low:g} to {high:g}"
        raise RecipeError(f"recipe.{key} must be a number {allowed}, got {_shown(value)}.")
    return float(value)


def _scale_range(value: Any) -> tuple[float, float]:
    """[low, high] as a tuple of floats, if both are numbers and MIN_SCALE <= low <= high <= MAX_SCALE."""
    pair = value if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) else ()
    if not (
        len(pair) == 2
        and all(not isinstance(number, bool) and isinstance(number, numbers.Real) for number in pair)
        and MIN_SCALE <= pair[0] <= pair[1] <= MAX_SCALE
    ):
        raise RecipeError(
            "recipe.augmentation.scale_range must be [low, high], two numbers with "
            f"{MIN_SCALE:g} <= low <= high <= {MAX_SCALE:g}, got {_shown(value)}."
        )
    return float(pair[0]), float(pair[1])


def _shown(value: Any) -> str:
    """The offending value for a message: its repr, shortened if long (a 400-digit number, a whole file)."""
    return reprlib.repr(value)


def _check_choice(key: str, value: Any, choices: Any) -> None:
    allowed = get_args(choices)
    if value not in allowed:
        raise RecipeError(f"recipe.{key} must be one of {', '.join(map(repr, allowed))}, got {_shown(value)}.")
