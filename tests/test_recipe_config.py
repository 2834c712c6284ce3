"""The recipe's validation: every value is checked up front, against the range the build can use."""

from __future__ import annotations

import math
import reprlib
import subprocess
import sys
from pathlib import Path

import pytest

from model_build.errors import RecipeError
from model_build.fingerprint import canonical_json
from model_build.mnist.config import AugmentationConfig, DrawnBenchmarkConfig, MnistConfig
from model_build.mnist.data import MnistArrays

from .conftest import ROOT, TINY_RECIPE

#: The defaults' `to_dict()` as the committed code produced it before validation was tightened,
#: plus `drawn_benchmark` (issue 13: the drawn-digit benchmark's size, added deliberately, which
#: changed every fingerprint once) and `teach_sample` (the digits shipped for in-browser
#: fine-tuning, added deliberately with the new files), and the default network ("compact" since
#: issue 16, deliberately). It feeds the cache fingerprint: if this test fails, every user's model
#: would be retrained.
DEFAULT_DICT = {
    "network": "compact", "epochs": 10, "batch_size": 128, "learning_rate": 0.003, "learning_rate_schedule": "cosine", "seed": 20260113,
    "dropout": 0.3,
    "augmentation": {
        "enabled": True, "max_rotation_degrees": 12.0, "max_shift_pixels": 2.0, "scale_range": [0.85, 1.15],
        "max_thicken": 1.0, "max_thin": 0.5,
    },
    "quantization": "uint8", "shard_bytes": 4194304, "train_subset": None, "test_subset": None,
    "drawn_benchmark": {"habits_per_digit": 240, "redrawn_per_digit": 120},
    "redrawn_training": {"images": 30_000, "habit_edit_rate": 0.3},
    "teach_sample": {"replay_per_digit": 30, "check_per_digit": 50, "holdout_per_digit": 100},
}

#: Each key's allowed values, as its error message states them.
ALLOWED = {
    "epochs": "a whole number from 1 to 1,000",
    "batch_size": "a whole number from 1 to 60,000",
    "learning_rate": "a number between 0 and 1 (exclusive)",
    "seed": "a whole number from 0 to 4,294,967,295 (2**32 - 1, the largest seed NumPy accepts)",
    "dropout": "a number from 0 up to but not including 1",
    "shard_bytes": "a whole number from 65,536 to 1,073,741,824 (64 KiB to 1 GiB)",
    "train_subset": "a whole number from 1 to 60,000, or unset for all 60,000",
    "test_subset": "a whole number from 1 to 10,000, or unset for all 10,000",
    "augmentation.max_rotation_degrees": "a number from 0 to 180",
    "augmentation.max_shift_pixels": "a number from 0 to 14",
    "augmentation.max_thicken": "a number from 0 to 1",
    "augmentation.max_thin": "a number from 0 to 1",
    "drawn_benchmark.habits_per_digit": (
        "a whole number from 8 to 2,400 (every style needs a sample in each part, and the digit 4 has four styles)"
    ),
    "drawn_benchmark.redrawn_per_digit": (
        "an even whole number from 0 to 868 (half of them go to each part, and MNIST's test split has 434 fives "
        "of odd index)"
    ),
    "redrawn_training.images": "a whole number from 0 to 60,000 (0 trains on MNIST's scans alone)",
    "redrawn_training.habit_edit_rate": "a number from 0 to 1",
    "teach_sample.replay_per_digit": (
        "a whole number from 1 to 5,421 (MNIST's training split has 5,421 fives, its scarcest digit)"
    ),
    "teach_sample.check_per_digit": "a whole number from 1 to 892 (MNIST's test split has 892 fives, its scarcest digit)",
    "teach_sample.holdout_per_digit": "a whole number from 1 to 892 (MNIST's test split has 892 fives, its scarcest digit)",
}
SCALE_RANGE_MESSAGE = "recipe.augmentation.scale_range must be [low, high], two numbers with 0.25 <= low <= high <= 2, got {}."
ENABLED_MESSAGE = "recipe.augmentation.enabled must be true or false, got {}."
AUGMENTATION_MESSAGE = "recipe.augmentation must be true, false or a mapping of augmentation settings, got {}."
DRAWN_BENCHMARK_MESSAGE = (
    "recipe.drawn_benchmark must be a mapping of habits_per_digit and redrawn_per_digit to numbers, got {}."
)
#: Keys that live in a mapping of their own: `augmentation.x` is `{"augmentation": {"x": …}}`.
NESTED = ("augmentation", "drawn_benchmark", "redrawn_training", "teach_sample")


def recipe_with(key: str, value) -> dict:
    """A recipe mapping that sets one key; `augmentation.x` goes inside the augmentation mapping."""
    outer, _, inner = key.partition(".")
    if outer in NESTED and inner:
        return {outer: {inner: value}}
    return {key: value}


def value_of(config: MnistConfig, key: str):
    outer, _, inner = key.partition(".")
    if outer in NESTED and inner:
        return getattr(getattr(config, outer), inner)
    return getattr(config, key)


def refusal(key: str, value) -> str:
    """The full message for `value` refused at `key`."""
    with pytest.raises(RecipeError) as caught:
        MnistConfig.from_mapping(recipe_with(key, value))
    return str(caught.value)


def short_id(value) -> str:
    """Test ids that stay readable for values such as 10**400."""
    return value if isinstance(value, str) else reprlib.repr(value)


def expected(key: str, value) -> str:
    """The message for `value` refused at `key`; long values are shortened (a 400-digit number)."""
    shown = reprlib.repr(value)
    if key in ALLOWED:
        return f"recipe.{key} must be {ALLOWED[key]}, got {shown}."
    return {
        "augmentation": AUGMENTATION_MESSAGE, "augmentation.enabled": ENABLED_MESSAGE,
        "augmentation.scale_range": SCALE_RANGE_MESSAGE, "drawn_benchmark": DRAWN_BENCHMARK_MESSAGE,
    }[key].format(shown)


# ---- the default fingerprint ------------------------------------------------------------------


def test_default_to_dict_is_unchanged() -> None:
    # Compared as canonical JSON, because {"x": 12} == {"x": 12.0} in Python but not in the hash.
    assert canonical_json(MnistConfig().to_dict()) == canonical_json(DEFAULT_DICT)
    assert canonical_json(MnistConfig.from_mapping(DEFAULT_DICT).to_dict()) == canonical_json(DEFAULT_DICT)


def test_ints_given_for_floats_become_floats() -> None:
    config = MnistConfig.from_mapping({
        "dropout": 0,
        "augmentation": {"max_rotation_degrees": 15, "max_shift_pixels": 3, "scale_range": [1, 2], "max_thin": 0},
    })
    augmentation = config.augmentation
    assert type(config.dropout) is float and config.dropout == 0.0
    assert [type(v) for v in (augmentation.max_rotation_degrees, augmentation.max_shift_pixels, augmentation.max_thin)] == [float] * 3
    assert augmentation.scale_range == (1.0, 2.0) and all(type(v) is float for v in augmentation.scale_range)
    # 3 and 3.0 are one recipe, so they must be one fingerprint.
    same = MnistConfig.from_mapping({
        "dropout": 0.0,
        "augmentation": {"max_rotation_degrees": 15.0, "max_shift_pixels": 3.0, "scale_range": [1.0, 2.0], "max_thin": 0.0},
    })
    assert canonical_json(config.to_dict()) == canonical_json(same.to_dict())


# ---- ranges: each bound at its edge (accepted) and just beyond (refused) ----------------------


@pytest.mark.parametrize(
    ("key", "accepted", "refused"),
    [
        ("epochs", [1, 1_000], [0, 1_001, -5]),
        ("batch_size", [1, 60_000], [0, 60_001]),
        ("learning_rate", [1e-12, 0.999999], [0, 0.0, 1, 1.0, -0.001]),
        ("seed", [0, 2**32 - 1], [-1, 2**32, 2**66]),
        ("dropout", [0, 0.0, 0.999999], [-1e-9, 1, 1.0]),
        ("shard_bytes", [65_536, 2**30], [65_535, 2**30 + 1, 10]),
        ("train_subset", [1, 60_000, None], [0, 60_001]),
        ("test_subset", [1, 10_000, None], [0, 10_001]),
        ("augmentation.max_rotation_degrees", [0, 180], [-0.001, 180.001]),
        ("augmentation.max_shift_pixels", [0, 14], [-0.001, 14.001]),
        ("augmentation.max_thicken", [0, 1], [-0.001, 1.001]),
        ("augmentation.max_thin", [0, 1], [-0.001, 1.001]),
        ("drawn_benchmark.habits_per_digit", [8, 2_400], [7, 2_401, 0, -8]),
        ("drawn_benchmark.redrawn_per_digit", [0, 2, 868], [-2, 870, 1, 3, 867]),
        ("redrawn_training.images", [0, 60_000], [-1, 60_001]),
        ("redrawn_training.habit_edit_rate", [0, 1], [-0.001, 1.001]),
        ("teach_sample.replay_per_digit", [1, 5_421], [0, 5_422]),
        ("teach_sample.check_per_digit", [1, 892], [0, 893]),
        ("teach_sample.holdout_per_digit", [1, 892], [0, 893]),
    ],
)
def test_each_bound_holds_at_its_edges(key: str, accepted: list, refused: list) -> None:
    for value in accepted:
        assert value_of(MnistConfig.from_mapping(recipe_with(key, value)), key) == value
    for value in refused:
        assert refusal(key, value) == expected(key, value)


def test_scale_range_bounds() -> None:
    for pair in ([0.25, 2], [1, 1], [0.25, 0.25], [2.0, 2.0], (0.9, 1.1)):
        assert MnistConfig.from_mapping({"augmentation": {"scale_range": pair}}).augmentation.scale_range == tuple(pair)
    for pair in ([0.2499, 1], [1, 2.001], [1.2, 0.8], [0, 1], [-1, 1]):
        assert refusal("augmentation.scale_range", pair) == expected("augmentation.scale_range", pair)


# ---- types: bools are never numbers, floats never whole numbers, strings never either ---------

#: An in-range value per key, so that only its type is wrong in the cases below.
WHOLE_NUMBER_KEYS = {
    "epochs": 5, "batch_size": 64, "seed": 1, "shard_bytes": 100_000, "train_subset": 6000, "test_subset": 1,
    "drawn_benchmark.habits_per_digit": 8, "drawn_benchmark.redrawn_per_digit": 2,
    "teach_sample.replay_per_digit": 30, "teach_sample.check_per_digit": 50, "teach_sample.holdout_per_digit": 100,
}
REAL_NUMBER_KEYS = {
    "learning_rate": 0.5, "dropout": 0.5, "augmentation.max_rotation_degrees": 10.0,
    "augmentation.max_shift_pixels": 1.0, "augmentation.max_thicken": 0.5, "augmentation.max_thin": 0.5,
}


@pytest.mark.parametrize(
    ("key", "value"),
    [(key, bad) for key, ok in WHOLE_NUMBER_KEYS.items() for bad in (float(ok), ok + 0.5, True, False, str(ok), [ok])]
    + [("epochs", None), ("batch_size", None), ("seed", None), ("shard_bytes", None),
       ("drawn_benchmark.habits_per_digit", None), ("drawn_benchmark.redrawn_per_digit", None)],
    ids=short_id,
)
def test_whole_numbers_refuse_floats_bools_and_strings(key: str, value) -> None:
    assert refusal(key, value) == expected(key, value)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (key, bad)
        for key, ok in REAL_NUMBER_KEYS.items()
        for bad in (True, False, str(ok), [ok], None, math.nan, math.inf, -math.inf, 10**400)
    ],
    ids=short_id,
)
def test_real_numbers_refuse_bools_strings_and_non_finite_values(key: str, value) -> None:
    assert refusal(key, value) == expected(key, value)


@pytest.mark.parametrize(
    "value", ["x", "0.9, 1.1", [1], [1, 1.1, 1.2], [True, 1.5], ["0.9", "1.1"], {"low": 1, "high": 1.2}, 1.0, None,
              [math.nan, 1], [1, math.inf]],
)
def test_scale_range_must_be_two_numbers(value) -> None:
    # Before: "x" and [1] raised a raw ValueError while unpacking.
    assert refusal("augmentation.scale_range", value) == expected("augmentation.scale_range", value)


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, None])
def test_augmentation_enabled_is_a_bool(value) -> None:
    assert refusal("augmentation.enabled", value) == expected("augmentation.enabled", value)


@pytest.mark.parametrize("value", [3, "yes", [1], 1.0])
def test_augmentation_is_a_bool_or_a_mapping(value) -> None:
    with pytest.raises(RecipeError) as caught:
        MnistConfig.from_mapping({"augmentation": value})
    assert str(caught.value) == expected("augmentation", value)


def test_the_exact_messages_users_see() -> None:
    assert refusal("epochs", 5000) == "recipe.epochs must be a whole number from 1 to 1,000, got 5000."
    assert refusal("epochs", 2.5) == "recipe.epochs must be a whole number from 1 to 1,000, got 2.5."
    assert refusal("seed", 2**66) == (
        "recipe.seed must be a whole number from 0 to 4,294,967,295 (2**32 - 1, the largest seed NumPy accepts), "
        "got 73786976294838206464."
    )
    assert refusal("shard_bytes", 10) == (
        "recipe.shard_bytes must be a whole number from 65,536 to 1,073,741,824 (64 KiB to 1 GiB), got 10."
    )
    assert refusal("augmentation.max_rotation_degrees", "x") == (
        "recipe.augmentation.max_rotation_degrees must be a number from 0 to 180, got 'x'."
    )
    assert refusal("learning_rate", math.nan) == "recipe.learning_rate must be a number between 0 and 1 (exclusive), got nan."
    assert refusal("drawn_benchmark.habits_per_digit", 6) == (
        "recipe.drawn_benchmark.habits_per_digit must be a whole number from 8 to 2,400 (every style needs a sample "
        "in each part, and the digit 4 has four styles), got 6."
    )
    assert refusal("drawn_benchmark.redrawn_per_digit", 3) == (
        "recipe.drawn_benchmark.redrawn_per_digit must be an even whole number from 0 to 868 (half of them go to "
        "each part, and MNIST's test split has 434 fives of odd index), got 3."
    )


# ---- from_mapping never lets a raw TypeError / ValueError out ---------------------------------

GARBAGE = ["x", "", [1], [1, 2, 3], {"a": 1}, None, True, False, 1000.5, math.nan, -math.inf, 2**66, -1, 10**400, object()]
#: Garbage that happens to be valid for a key.
VALID_GARBAGE = {
    "train_subset": [None], "test_subset": [None],
    "augmentation": [None, True, False],  # None: "not given"
    "augmentation.enabled": [True, False],
    "drawn_benchmark": [None],  # None: "not given"
}


@pytest.mark.parametrize(
    "key", [*ALLOWED, "augmentation", "augmentation.enabled", "augmentation.scale_range", "drawn_benchmark"]
)
def test_every_conversion_problem_is_a_recipe_error_naming_the_key(key: str) -> None:
    for value in GARBAGE:
        if any(value is valid for valid in VALID_GARBAGE.get(key, [])) or (key in NESTED and isinstance(value, dict)):
            continue  # a mapping of unknown keys has its own message, tested below
        assert refusal(key, value) == expected(key, value)  # never a raw TypeError or ValueError


@pytest.mark.parametrize("values", [[("epochs", 1)], "epochs: 1", 5])
def test_a_recipe_that_is_no_mapping_is_refused(values) -> None:
    with pytest.raises(RecipeError, match="The recipe must be a mapping of recipe keys to values"):
        MnistConfig.from_mapping(values)


def test_non_string_keys_are_reported_as_unknown() -> None:
    with pytest.raises(RecipeError, match=r"Unknown recipe key\(s\) 1, epoch; known keys: augmentation"):
        MnistConfig.from_mapping({1: 2, "epoch": 3})
    with pytest.raises(RecipeError, match=r"Unknown recipe.augmentation key\(s\) 7; known keys: enabled"):
        MnistConfig.from_mapping({"augmentation": {7: 1}})
    with pytest.raises(RecipeError) as caught:
        MnistConfig.from_mapping({"drawn_benchmark": {"habits": 8, 7: 1}})
    assert str(caught.value) == (
        "Unknown recipe.drawn_benchmark key(s) 7, habits; known keys: habits_per_digit, redrawn_per_digit."
    )


def test_network_is_a_known_one_and_redrawn_training_is_a_mapping() -> None:
    assert MnistConfig.from_mapping({"network": "blog"}).network == "blog"
    assert MnistConfig.from_mapping({"network": "compact"}).network == "compact"
    assert refusal("network", "big") == (
        "recipe.network must be one of 'blog', 'canvas', 'compact', 'compact80', got 'big'."
    )
    with pytest.raises(RecipeError, match=r"recipe.redrawn_training must be a mapping of images and habit_edit_rate"):
        MnistConfig.from_mapping({"redrawn_training": 5})


def test_drawn_benchmark_keys_override_one_at_a_time() -> None:
    config = MnistConfig.from_mapping({"drawn_benchmark": {"habits_per_digit": 8}})
    assert config.drawn_benchmark == DrawnBenchmarkConfig(habits_per_digit=8, redrawn_per_digit=120)
    on_top = MnistConfig.from_mapping({"drawn_benchmark": {"redrawn_per_digit": 0}}, base=config)
    assert on_top.drawn_benchmark == DrawnBenchmarkConfig(habits_per_digit=8, redrawn_per_digit=0)
    assert MnistConfig.from_mapping({"drawn_benchmark": None}).drawn_benchmark == DrawnBenchmarkConfig()
    assert on_top.to_dict()["drawn_benchmark"] == {"habits_per_digit": 8, "redrawn_per_digit": 0}


def test_drawn_benchmark_bounds_are_the_generators(mnist: MnistArrays) -> None:
    """config.py cannot import the generator (NumPy); its figures must still be the generator's."""
    import numpy as np

    from model_build.mnist.config import (
        DRAWN_HABITS_PER_DIGIT, DRAWN_REDRAWN_PER_DIGIT, MAX_DRAWN_REDRAWN_PER_DIGIT, MIN_DRAWN_HABITS_PER_DIGIT,
    )
    from model_build.mnist.drawn import benchmark

    assert (DRAWN_HABITS_PER_DIGIT, DRAWN_REDRAWN_PER_DIGIT) == (benchmark.HABITS_PER_DIGIT, benchmark.REDRAWN_PER_DIGIT)
    benchmark._check_sizes(MIN_DRAWN_HABITS_PER_DIGIT, 0)
    with pytest.raises(RecipeError):
        benchmark._check_sizes(MIN_DRAWN_HABITS_PER_DIGIT - 1, 0)
    # Each part takes half of redrawn_per_digit from the test digits of one index parity.
    parity = np.arange(len(mnist.test_labels)) % 2
    scarcest = min(int(((mnist.test_labels == d) & (parity == p)).sum()) for d in range(10) for p in (0, 1))
    assert MAX_DRAWN_REDRAWN_PER_DIGIT == 2 * scarcest


def test_teach_sample_bounds_are_mnists_scarcest_digit(mnist: MnistArrays) -> None:
    """A class-balanced choice takes at most as many of each digit as the split has of its scarcest."""
    import numpy as np

    from model_build.mnist.config import MAX_TEACH_HOLDOUT_PER_DIGIT, MAX_TEACH_REPLAY_PER_DIGIT

    assert MAX_TEACH_REPLAY_PER_DIGIT == int(np.bincount(mnist.train_labels, minlength=10).min())
    assert MAX_TEACH_HOLDOUT_PER_DIGIT == int(np.bincount(mnist.test_labels, minlength=10).min())
    with pytest.raises(RecipeError, match=r"recipe.teach_sample must be a mapping of replay_per_digit"):
        MnistConfig.from_mapping({"teach_sample": 5})
    config = MnistConfig.from_mapping({"teach_sample": {"holdout_per_digit": 10}})
    assert config.to_dict()["teach_sample"] == {"replay_per_digit": 30, "check_per_digit": 50, "holdout_per_digit": 10}


# ---- direct construction is checked too -------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MnistConfig(epochs=0), "recipe.epochs must be a whole number from 1 to 1,000, got 0."),
        (lambda: MnistConfig(seed=2**32), "recipe.seed must be a whole number from 0 to 4,294,967,295"),
        (lambda: MnistConfig(shard_bytes=10), "recipe.shard_bytes must be a whole number from 65,536"),
        (lambda: MnistConfig(augmentation="x"), AUGMENTATION_MESSAGE.format("'x'")),
        (lambda: AugmentationConfig(enabled=None), ENABLED_MESSAGE.format("None")),
        (lambda: AugmentationConfig(max_rotation_degrees=None), "max_rotation_degrees must be a number from 0 to 180, got None."),
        (lambda: AugmentationConfig(scale_range=[1]), SCALE_RANGE_MESSAGE.format("[1]")),
        (lambda: MnistConfig(drawn_benchmark=5), DRAWN_BENCHMARK_MESSAGE.format("5")),
        (lambda: DrawnBenchmarkConfig(redrawn_per_digit=3), "recipe.drawn_benchmark.redrawn_per_digit must be an even"),
        (lambda: DrawnBenchmarkConfig(habits_per_digit=8.0), "recipe.drawn_benchmark.habits_per_digit must be a whole"),
    ],
)
def test_direct_construction_is_validated(make, message: str) -> None:
    with pytest.raises(RecipeError) as caught:
        make()
    assert message in str(caught.value)


def test_direct_construction_normalises_like_from_mapping() -> None:
    config = MnistConfig(dropout=0, augmentation={"scale_range": [1, 2]})
    assert config == MnistConfig.from_mapping({"dropout": 0.0, "augmentation": {"scale_range": [1.0, 2.0]}})
    assert MnistConfig(augmentation=False).augmentation == AugmentationConfig(enabled=False)
    assert AugmentationConfig(scale_range=[0.9, 1.1]).scale_range == (0.9, 1.1)  # hashable, like the default
    assert MnistConfig(drawn_benchmark={"habits_per_digit": 8}).drawn_benchmark == DrawnBenchmarkConfig(8, 120)


# ---- warnings: valid, but too small to mean anything -----------------------------------------


def test_defaults_and_the_tests_tiny_recipe_give_no_warnings() -> None:
    assert MnistConfig().warnings() == []
    assert MnistConfig.from_mapping(TINY_RECIPE).warnings() == []
    assert MnistConfig.from_mapping({"train_subset": 1_000, "test_subset": 100}).warnings() == []


def test_tiny_subsets_warn_what_the_figures_mean_and_how_to_fix_it() -> None:
    train_only = MnistConfig.from_mapping({"train_subset": 999}).warnings()
    assert train_only == [
        "recipe.train_subset is 999: a network trained on fewer than 1,000 images learns too little for its accuracy "
        "or its answers on the page to say anything about the recipe; leave train_subset unset to train on all 60,000."
    ]
    test_only = MnistConfig.from_mapping({"test_subset": 50}).warnings()
    assert test_only == [
        "recipe.test_subset is 50: each test image moves the reported accuracy by 2 percentage points, too coarse "
        "to compare two models; leave test_subset unset to evaluate on all 10,000."
    ]
    both = MnistConfig.from_mapping({"train_subset": 10, "test_subset": 99}).warnings()
    assert len(both) == 2 and "1.01 percentage points" in both[1]


# ---- the CLI fails fast, with the message and no traceback -------------------------------------


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("seed=73786976294838206464", "recipe.seed must be a whole number from 0 to 4,294,967,295"),
        ('augmentation={"scale_range": [1]}', "recipe.augmentation.scale_range must be [low, high]"),
        ('drawn_benchmark={"redrawn_per_digit": 3}', "recipe.drawn_benchmark.redrawn_per_digit must be an even"),
    ],
)
def test_cli_refuses_a_bad_value_before_any_work(tmp_path: Path, setting: str, message: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "model_build", "check", "--cache-dir", str(tmp_path / "cache"), "--set", setting],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 2, completed.stderr
    assert message in completed.stderr and "Traceback" not in completed.stderr
    assert not (tmp_path / "cache").exists()  # nothing was looked up, let alone trained
