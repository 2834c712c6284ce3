"""The tutorial's browser training set: a sprite PNG, a label file and a description."""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model_build import RecipeError, check_freshness, ensure_fresh
from model_build.mnist import BrowserDataConfig, BrowserDataRecipe
from model_build.mnist.browser_data import (
    BYTE_BUDGET,
    DESCRIPTION_JSON,
    IMAGES_PNG,
    LABELS_BIN,
    select_rows,
    total_bytes,
    write_browser_data,
)
from model_build.mnist.recipe import artefact_code_files
from model_build.png import decode_greyscale_png

from .conftest import ROOT

SMALL = BrowserDataConfig(train_images=1_000, test_images=300)


def write(directory: Path, mnist, config: BrowserDataConfig) -> dict:
    directory.mkdir(parents=True, exist_ok=True)
    return write_browser_data(directory, config, (mnist.train_images, mnist.test_images), (mnist.train_labels, mnist.test_labels))


@pytest.fixture(scope="module")
def default_data(tmp_path_factory, mnist) -> Path:
    """The files at the default sizes, as the site ships them."""
    directory = tmp_path_factory.mktemp("browser-data")
    write(directory, mnist, BrowserDataConfig())
    return directory


def test_sprite_and_labels_decode_to_exactly_the_mnist_digits(default_data, mnist) -> None:
    config = BrowserDataConfig()
    sprite = decode_greyscale_png((default_data / IMAGES_PNG).read_bytes())
    labels = np.frombuffer((default_data / LABELS_BIN).read_bytes(), np.uint8)
    assert sprite.shape == (12_000, 784) and labels.shape == (12_000,)
    train_rows, test_rows = select_rows(config, mnist.train_labels, mnist.test_labels)
    np.testing.assert_array_equal(sprite[:10_000], mnist.train_images[train_rows].reshape(-1, 784))
    np.testing.assert_array_equal(sprite[10_000:], mnist.test_images[test_rows].reshape(-1, 784))
    np.testing.assert_array_equal(labels[:10_000], mnist.train_labels[train_rows])
    np.testing.assert_array_equal(labels[10_000:], mnist.test_labels[test_rows])


def test_held_out_part_shares_no_digit_with_the_training_part(default_data, mnist) -> None:
    train_rows, test_rows = select_rows(BrowserDataConfig(), mnist.train_labels, mnist.test_labels)
    assert len(set(train_rows.tolist())) == 10_000 and len(set(test_rows.tolist())) == 2_000  # no repeats
    sprite = decode_greyscale_png((default_data / IMAGES_PNG).read_bytes())
    digest = lambda rows: {hashlib.sha1(row.tobytes()).digest() for row in rows}  # noqa: E731
    assert not digest(sprite[:10_000]) & digest(sprite[10_000:])  # not even a pixel-identical image


def test_each_part_keeps_mnists_mix_of_digits(default_data, mnist) -> None:
    description = json.loads((default_data / DESCRIPTION_JSON).read_text())
    for part, labels, size in (("train", mnist.train_labels, 10_000), ("test", mnist.test_labels, 2_000)):
        expected = np.bincount(labels, minlength=10) * size / len(labels)
        counts = np.array(description[part]["per_digit"])
        assert counts.sum() == size and np.abs(counts - expected).max() < 1


def test_sizes_at_the_defaults_stay_within_the_budget(default_data) -> None:
    description = json.loads((default_data / DESCRIPTION_JSON).read_text())
    sizes = {name: (default_data / name).stat().st_size for name in (IMAGES_PNG, LABELS_BIN, DESCRIPTION_JSON)}
    print(f"\nbrowser data bytes: {sizes}, total {total_bytes(default_data):,}")
    assert total_bytes(default_data) == sum(sizes.values()) <= BYTE_BUDGET == 3_000_000
    assert description["files"]["images"] == {"name": IMAGES_PNG, "bytes": sizes[IMAGES_PNG]}
    assert description["files"]["labels"] == {"name": LABELS_BIN, "bytes": 12_000}
    assert (description["train"]["count"], description["train"]["first_row"], description["train"]["split"]) == (10_000, 0, "MNIST train")
    assert (description["test"]["count"], description["test"]["first_row"], description["test"]["split"]) == (2_000, 10_000, "MNIST test")
    assert description["image_size"] == 28 and "seed 20260113" in description["selection"]


def test_same_config_gives_the_same_bytes_and_another_seed_other_digits(tmp_path, mnist) -> None:
    write(tmp_path / "a", mnist, SMALL)
    write(tmp_path / "b", mnist, SMALL)
    write(tmp_path / "c", mnist, BrowserDataConfig(train_images=1_000, test_images=300, seed=1))
    for name in (IMAGES_PNG, LABELS_BIN, DESCRIPTION_JSON):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / IMAGES_PNG).read_bytes() != (tmp_path / "c" / IMAGES_PNG).read_bytes()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"train_images": 0}, "train_images must be an integer from 1 to 60,000, got 0"),
        ({"train_images": 60_001}, "train_images must be an integer from 1 to 60,000"),
        ({"test_images": 10_001}, "test_images must be an integer from 1 to 10,000"),
        ({"test_images": "many"}, "test_images must be an integer"),
        ({"train_images": True}, "train_images must be an integer"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"train_image": 5}, "Unknown browser data key(s) train_image; known keys: seed, test_images, train_images"),
    ],
)
def test_invalid_config_values_say_what_is_allowed(values, message) -> None:
    with pytest.raises(RecipeError) as error:
        BrowserDataConfig.from_mapping(values)
    assert message in str(error.value)


def test_recipe_builds_once_in_its_cache_then_is_fresh(tmp_path, data_cache_dir, caplog) -> None:
    recipe = BrowserDataRecipe(SMALL, data_cache_dir=data_cache_dir)
    with caplog.at_level(logging.INFO):
        first = ensure_fresh(recipe, tmp_path)
    assert first.built and first.files == (DESCRIPTION_JSON, IMAGES_PNG, LABELS_BIN)
    assert "1,000 train + 300 test digits" in caplog.text
    second = ensure_fresh(BrowserDataRecipe(SMALL, data_cache_dir=data_cache_dir), tmp_path)
    assert not second.built and second.fingerprint == first.fingerprint
    other = check_freshness(BrowserDataRecipe(BrowserDataConfig(train_images=2_000, test_images=300), data_cache_dir=data_cache_dir), tmp_path)
    assert not other.fresh and other.reasons == ["recipe (train_images)"]


def test_browser_data_code_does_not_make_the_model_stale() -> None:
    """Editing the browser data module must not retrain the CNN (it is a recipe of its own)."""
    names = {path.name for path in artefact_code_files()}
    assert "browser_data.py" not in names and "training.py" in names


def test_over_budget_data_warns(tmp_path, data_cache_dir, caplog, monkeypatch) -> None:
    from model_build.mnist import browser_data

    monkeypatch.setattr(browser_data, "BYTE_BUDGET", 100_000)
    with caplog.at_level(logging.WARNING):
        BrowserDataRecipe(SMALL, data_cache_dir=data_cache_dir).build(tmp_path, logging.getLogger("test"))
    assert "over the 100,000-byte budget" in caplog.text and "tutorial_train_images" in caplog.text


def test_cli_builds_into_the_plugins_cache_folder_then_finds_it_fresh(tmp_path) -> None:
    command = [sys.executable, "-m", "model_build", "browser-data", "--cache-dir", str(tmp_path),
               "--train-images", "200", "--test-images", "50"]
    first = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0 and first.stdout.startswith("built: mnist-data.json"), first.stderr
    assert second.returncode == 0 and second.stdout.startswith("fresh: "), second.stderr
    assert str(tmp_path / "browser-data") in second.stdout
    bad = subprocess.run([*command[:-4], "--train-images", "0"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "train_images must be an integer from 1 to 60,000" in bad.stderr
