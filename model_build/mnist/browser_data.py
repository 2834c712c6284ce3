"""A compact MNIST training set for the browser: one sprite PNG of digits plus a label file.

The tutorial page trains a small CNN in the reader's browser. It cannot download all 70,000
digits (~55 MB of pixels), so the build ships a random, class-stratified subset of the official
training split and, separately, of the official test split, in the shape the TF.js examples
use:

- `mnist-images.png` — 8-bit greyscale, 784 pixels wide: row i is image i flattened (28×28,
  0 = background). The training rows come first, then the held-out test rows.
- `mnist-labels.bin` — one uint8 label (0–9) per sprite row, in the same order.
- `mnist-data.json` — the counts, file names and byte sizes, and where the rows came from.

The two parts come from different official splits, so the page's held-out digits are ones no
training batch ever contains. NumPy only: building takes about two seconds, mostly PNG
compression, and a fresh check costs milliseconds (no NumPy import).
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import RecipeError
from ..fingerprint import FingerprintInputs, digest_of_files, distribution_versions, not_installed
from .data_sources import data_fingerprint
from .recipe import MnistRecipe

if TYPE_CHECKING:
    import numpy as np

    from ..pipeline import Artefacts

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
IMAGES_PNG = "mnist-images.png"
LABELS_BIN = "mnist-labels.bin"
DESCRIPTION_JSON = "mnist-data.json"
FILES = (IMAGES_PNG, LABELS_BIN, DESCRIPTION_JSON)
IMAGE_SIZE = 28
TRAIN_SPLIT_SIZE = 60_000
TEST_SPLIT_SIZE = 10_000
#: The page should stay light: above this many bytes of data the build warns.
BYTE_BUDGET = 3_000_000
#: Bump when the files' layout changes, so old cache entries are rebuilt.
FORMAT_VERSION = 1
#: The subfolder of a cache directory (the plugin's, the CLI's) that holds this recipe's entries:
#: apart from the model's, so that neither's pruning deletes the other's entries.
CACHE_SUBDIR = "browser-data"


@dataclass(frozen=True)
class BrowserDataConfig:
    """How many digits the page gets from each official split, and which ones."""

    #: Digits drawn from the official training split (the page trains on these only).
    train_images: int = 10_000
    #: Digits drawn from the official test split (the page validates and tests on these only).
    test_images: int = 2_000
    #: Seeds the choice of digits: same seed + same MNIST ⇒ byte-identical files.
    seed: int = 20260113

    def __post_init__(self) -> None:
        for key, maximum in (("train_images", TRAIN_SPLIT_SIZE), ("test_images", TEST_SPLIT_SIZE)):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
                raise RecipeError(f"browser data {key} must be an integer from 1 to {maximum:,}, got {value!r}.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise RecipeError(f"browser data seed must be a non-negative integer, got {self.seed!r}.")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> BrowserDataConfig:
        """Overrides on top of the defaults; unknown keys are errors that list the known ones."""
        values = dict(values or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise RecipeError(f"Unknown browser data key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known))}.")
        return replace(cls(), **values)


def stratified_sample(labels: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` distinct indices into `labels`, in random order, each digit in its split's proportion.

    Every class gets its proportional share (largest remainders break ties), so even a small
    sample holds all ten digits in MNIST's own mix; within a class the pick is uniform.
    """
    import numpy as np

    classes, sizes = np.unique(labels, return_counts=True)
    exact = sizes * count / len(labels)
    quotas = np.floor(exact).astype(int)
    shortfall = count - int(quotas.sum())
    quotas[np.argsort(-(exact - quotas), kind="stable")[:shortfall]] += 1
    chosen = [rng.choice(np.flatnonzero(labels == digit), size=quota, replace=False) for digit, quota in zip(classes, quotas)]
    return rng.permutation(np.concatenate(chosen))


def select_rows(config: BrowserDataConfig, train_labels: np.ndarray, test_labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The official-split indices of the training rows and of the held-out rows, in sprite order."""
    import numpy as np

    rng = np.random.default_rng(config.seed)
    return stratified_sample(train_labels, config.train_images, rng), stratified_sample(test_labels, config.test_images, rng)


def write_browser_data(directory: Path, config: BrowserDataConfig, images: tuple[np.ndarray, np.ndarray],
                       labels: tuple[np.ndarray, np.ndarray]) -> dict[str, Any]:
    """Write the three files from (train, test) images and labels; returns the description."""
    import numpy as np

    from ..png import encode_greyscale_png

    train_rows, test_rows = select_rows(config, labels[0], labels[1])
    sprite = np.concatenate([images[0][train_rows], images[1][test_rows]]).reshape(-1, IMAGE_SIZE * IMAGE_SIZE)
    sprite_labels = np.concatenate([labels[0][train_rows], labels[1][test_rows]]).astype(np.uint8)
    (directory / IMAGES_PNG).write_bytes(encode_greyscale_png(np.ascontiguousarray(sprite, dtype=np.uint8)))
    (directory / LABELS_BIN).write_bytes(sprite_labels.tobytes())
    description = {
        "format_version": FORMAT_VERSION,
        "image_size": IMAGE_SIZE,
        "train": {"count": config.train_images, "first_row": 0, "split": "MNIST train",
                  "per_digit": np.bincount(labels[0][train_rows], minlength=10).tolist()},
        "test": {"count": config.test_images, "first_row": config.train_images, "split": "MNIST test",
                 "per_digit": np.bincount(labels[1][test_rows], minlength=10).tolist()},
        "selection": f"class-stratified random sample of each official split, seed {config.seed} "
                     "(model_build.mnist.browser_data.select_rows gives the indices)",
        "files": {
            "images": {"name": IMAGES_PNG, "bytes": (directory / IMAGES_PNG).stat().st_size},
            "labels": {"name": LABELS_BIN, "bytes": (directory / LABELS_BIN).stat().st_size},
        },
    }
    (directory / DESCRIPTION_JSON).write_text(json.dumps(description, indent=1) + "\n", encoding="utf-8")
    return description


def total_bytes(directory: Path) -> int:
    """Bytes the page downloads for its data: the three files."""
    return sum((directory / name).stat().st_size for name in FILES)


@dataclass
class BrowserDataRecipe:
    """The tutorial page's training data, built and cached like a model (see `pipeline`)."""

    config: BrowserDataConfig = field(default_factory=BrowserDataConfig)
    #: Explicit MNIST location (IDX directory or mnist.npz); None = the default search order.
    data_path: Path | None = None
    #: Where decoded MNIST arrays are cached; None = ~/.cache/model_build.
    data_cache_dir: Path | None = None

    name: ClassVar[str] = "browser-data"
    #: Inside the model's cache folder (where the plugin keeps it too), apart from the model's entries.
    default_cache_dir: ClassVar[Path] = MnistRecipe.default_cache_dir / CACHE_SUBDIR
    #: Its counts and byte sizes are what this build measures.
    metrics_file: ClassVar[str] = DESCRIPTION_JSON

    @classmethod
    def from_options(
        cls, overrides: Mapping[str, Any] | None = None, *, data_path: Path | None = None,
        data_cache_dir: Path | None = None,
    ) -> BrowserDataRecipe:
        return cls(BrowserDataConfig.from_mapping(overrides), data_path=data_path, data_cache_dir=data_cache_dir)

    def warnings(self) -> list[str]:
        return []  # every valid size is a sensible one; the build warns if the files get heavy

    def fingerprint_inputs(self) -> FingerprintInputs:
        """Without MNIST here the data is unavailable; without NumPy, the libraries are."""
        code_files = [Path(__file__).resolve(), PACKAGE_ROOT / "png.py"]
        data, no_data = data_fingerprint(self.data_path)
        # NumPy's sampling and zlib's compression decide the exact bytes.
        libraries = {**distribution_versions(["numpy"]), "zlib": zlib.ZLIB_RUNTIME_VERSION}
        unavailable = {"data": no_data} if no_data else {}
        if not_installed(libraries):
            unavailable["libraries"] = "NumPy is not installed; install NumPy to make the tutorial's training set."
        return FingerprintInputs(
            recipe={**self.config.to_dict(), "format_version": FORMAT_VERSION},
            code=digest_of_files(code_files, PACKAGE_ROOT),
            data=data,
            libraries=libraries,
            unavailable=unavailable,
        )

    def build(self, directory: Path, logger: logging.Logger) -> None:
        from .data import load_mnist

        data = load_mnist(self.data_path, self.data_cache_dir)
        write_browser_data(directory, self.config, (data.train_images, data.test_images), (data.train_labels, data.test_labels))
        size = total_bytes(directory)
        logger.info("browser training data: %s train + %s test digits, %s bytes",
                    f"{self.config.train_images:,}", f"{self.config.test_images:,}", f"{size:,}")
        if size > BYTE_BUDGET:
            logger.warning("browser training data is %s bytes, over the %s-byte budget: the tutorial page gets heavy; "
                           "lower tutorial_train_images / tutorial_test_images.", f"{size:,}", f"{BYTE_BUDGET:,}")

    def required_files(self, directory: Path) -> tuple[str, ...]:
        """The sprite, the labels and their description."""
        return FILES

    def verify(self, directory: Path) -> str | None:
        """The description must count as many digits as the label file holds (one byte each)."""
        try:
            description = json.loads((directory / DESCRIPTION_JSON).read_text(encoding="utf-8"))
            counts = [description[part]["count"] for part in ("train", "test")]
        except (OSError, ValueError, RecursionError, LookupError, TypeError) as error:
            return f"{DESCRIPTION_JSON} is unreadable ({type(error).__name__}: {error})"
        if not all(isinstance(count, int) and not isinstance(count, bool) for count in counts):
            return f"{DESCRIPTION_JSON}: train.count and test.count must be integers, not {counts!r}"
        labels = (directory / LABELS_BIN).stat().st_size
        if sum(counts) != labels:
            return f"{DESCRIPTION_JSON} counts {sum(counts):,} digits but {LABELS_BIN} holds {labels:,} labels"
        return None

    def summarize(self, artefacts: Artefacts) -> str:
        """Digits per part, bytes, fingerprint."""
        description = artefacts.metrics()
        return (f"{description['train']['count']:,} train + {description['test']['count']:,} test digits, "
                f"{total_bytes(artefacts.directory):,} bytes; "
                f"fingerprint {artefacts.fingerprint[:12]}")
