"""Fresh artefacts, built only when stale: the generic engine under the CLI and the plugin.

It knows nothing of MNIST. A *recipe* says what the artefacts depend on (`fingerprint_inputs`,
cheap: no TensorFlow) and how to make them (`build`, expensive). This module decides whether
to build, and publishes the result atomically in the content-addressed cache.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from .artefact_cache import ArtefactCache, CacheEntry
from .errors import ModelBuildError, StaleArtefactsError
from .fingerprint import FingerprintInputs

TrainPolicy = Literal["auto", "always", "never"]
TRAIN_POLICIES: tuple[TrainPolicy, ...] = ("auto", "always", "never")
DEFAULT_CACHE_DIR = Path(".cache/plugin/digit-model")
#: Published entries kept per cache directory; older ones are deleted after a build.
ENTRIES_KEPT = 3

log = logging.getLogger(__name__)


class Recipe(Protocol):
    """What the pipeline needs from a model recipe."""

    name: str

    def fingerprint_inputs(self) -> FingerprintInputs:
        """Everything the artefacts depend on. Must be cheap and must not import TensorFlow."""

    def build(self, directory: Path, logger: logging.Logger) -> None:
        """Write every artefact file into `directory` (an empty staging directory)."""


@dataclass(frozen=True)
class Freshness:
    """The outcome of a freshness check."""

    fingerprint: str
    inputs: FingerprintInputs
    entry: CacheEntry | None
    #: Why the artefacts are stale (empty when fresh).
    reasons: list[str] = field(default_factory=list)

    @property
    def fresh(self) -> bool:
        return self.entry is not None


@dataclass(frozen=True)
class Artefacts:
    """A verified cache entry, and whether this call had to build it."""

    directory: Path
    fingerprint: str
    files: tuple[str, ...]
    built: bool
    build_seconds: float = 0.0

    def path(self, name: str) -> Path:
        return self.directory / name

    def metrics(self) -> dict[str, Any]:
        return json.loads(self.path("metrics.json").read_text(encoding="utf-8"))


def check_freshness(recipe: Recipe, cache_dir: Path = DEFAULT_CACHE_DIR) -> Freshness:
    """Compare the recipe's fingerprint with the cache, without building or importing TensorFlow."""
    cache = ArtefactCache(cache_dir)
    inputs = recipe.fingerprint_inputs()
    fingerprint = inputs.digest()
    entry = cache.lookup(fingerprint)
    if entry is not None:
        return Freshness(fingerprint, inputs, entry)
    previous = cache.latest()
    if previous is None:
        reasons = ["no artefacts built yet" if not (Path(cache_dir) / fingerprint).exists() else "cache entry damaged"]
    else:
        reasons = inputs.changes_since(previous.inputs) or ["cache entry damaged"]
    return Freshness(fingerprint, inputs, None, reasons)


def ensure_fresh(
    recipe: Recipe,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    train: TrainPolicy = "auto",
    logger: logging.Logger | None = None,
) -> Artefacts:
    """Return fresh artefacts, building them first if they are stale (or if `train="always"`).

    `train="never"` with stale artefacts raises StaleArtefactsError explaining what changed.
    Builds are serialised by the cache lock; a build that waited re-checks before building, so
    two simultaneous `mkdocs build`s train once.
    """
    logger = logger or log
    if train not in TRAIN_POLICIES:
        raise ModelBuildError(f"train must be one of {', '.join(TRAIN_POLICIES)}, got {train!r}.")
    freshness = check_freshness(recipe, cache_dir)
    if freshness.fresh and train != "always":
        return artefacts_from_entry(freshness.entry, built=False)
    if train == "never":
        raise stale_error(recipe.name, freshness.reasons)
    cache = ArtefactCache(cache_dir)
    with cache.lock():
        cache.sweep_leftovers()
        if train != "always":  # someone may have built it while we waited for the lock
            entry = cache.lookup(freshness.fingerprint)
            if entry is not None:
                return artefacts_from_entry(entry, built=False)
        reason = "forced (train: always)" if freshness.fresh else "; ".join(freshness.reasons)
        logger.info("Building %s model (%s); fingerprint %s", recipe.name, reason, freshness.fingerprint[:12])
        started = time.perf_counter()
        entry = cache.publish(
            freshness.fingerprint, lambda staging: recipe.build(staging, logger), freshness.inputs.as_dict()
        )
        seconds = time.perf_counter() - started
        removed = cache.prune(keep=ENTRIES_KEPT)
        if removed:
            logger.debug("Pruned old cache entries: %s", ", ".join(r[:12] for r in removed))
    return artefacts_from_entry(entry, built=True, seconds=seconds)


def stale_error(recipe_name: str, reasons: list[str]) -> StaleArtefactsError:
    return StaleArtefactsError(
        f"The {recipe_name} model artefacts are stale ({'; '.join(reasons)}) and training is disabled "
        "(train: never). Run `python -m model_build build` (or `make build`) to train them, "
        "or set train: auto."
    )


def artefacts_from_entry(entry: CacheEntry, built: bool, seconds: float = 0.0) -> Artefacts:
    files = tuple(sorted(name for name in entry.files))
    return Artefacts(entry.directory, entry.fingerprint, files, built, seconds)


def summarize(artefacts: Artefacts) -> str:
    """One line for a log: accuracy, bytes, seconds, fingerprint."""
    metrics = artefacts.metrics()
    accuracy = metrics["test_accuracy"]
    return (
        f"test accuracy {accuracy['float32']:.2%} (float32), {accuracy['shipped']:.2%} as shipped "
        f"({metrics['weights']['quantization']}, {metrics['weights']['shipped_bytes']:,} bytes); "
        f"trained in {metrics['seconds']['training']:.0f} s; fingerprint {artefacts.fingerprint[:12]}"
    )


def read_mapping_file(path: Path) -> Mapping[str, Any]:
    """A recipe override file: JSON, or YAML when PyYAML is installed (MkDocs brings it)."""
    text = Path(path).read_text(encoding="utf-8")
    if Path(path).suffix in (".yml", ".yaml"):
        import yaml

        value = yaml.safe_load(text) or {}
    else:
        value = json.loads(text)
    if not isinstance(value, Mapping):
        raise ModelBuildError(f"{path} must hold a mapping of recipe keys, not {type(value).__name__}.")
    return value
