"""Fresh artefacts, built only when stale: the generic engine under the CLI and the plugin.

It knows nothing of MNIST. A *recipe* says what the artefacts depend on (`fingerprint_inputs`,
cheap: no TensorFlow), how to make them (`build`, expensive) and what a usable set of them is
(`required_files` and `verify`, cheap). This module decides whether to build, and publishes
the result atomically in the content-addressed cache: an entry missing a declared file, or one
the recipe's check refuses, is never published, and one found in the cache is rebuilt.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from .artefact_cache import MISSING, ArtefactCache, CacheEntry
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

    def required_files(self, directory: Path) -> Collection[str]:
        """Every file an entry must hold. Runs on each lookup, so cheap; it may read the entry's
        own small index files (a model.json naming its weight shards), never raise on them."""

    def verify(self, directory: Path) -> str | None:
        """Why the entry's files (all present, hashes matching) are not usable, or None: a schema
        check of what the site reads. Runs on each lookup: cheap, no NumPy, no TensorFlow."""


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
    """Compare the recipe's fingerprint with the cache, without building or importing TensorFlow.

    Never raises on a damaged cache: an unusable entry is logged once and reported as stale.
    """
    return _check(recipe, recipe_cache(recipe, cache_dir))


def recipe_cache(recipe: Recipe, cache_dir: Path) -> ArtefactCache:
    """The cache at `cache_dir`, whose entries count only if they hold the recipe's files and pass its check."""
    return ArtefactCache(cache_dir, verify=lambda entry: entry_problem(recipe, entry))


def entry_problem(recipe: Recipe, entry: CacheEntry) -> str | None:
    """Why `entry` is not a complete, usable set of the recipe's artefacts, or None."""
    try:
        recorded = FingerprintInputs(**entry.inputs).digest()
    except (TypeError, ValueError):  # not the fields of FingerprintInputs, or not their types
        recorded = None
    if recorded != entry.fingerprint:
        return "the inputs its manifest records do not hash to its fingerprint"
    missing = [name for name in recipe.required_files(entry.directory) if name not in entry.files]
    if missing:
        return f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing"
    return recipe.verify(entry.directory)


def _check(recipe: Recipe, cache: ArtefactCache) -> Freshness:
    inputs = recipe.fingerprint_inputs()
    fingerprint = inputs.digest()
    entry, problem = cache.examine(fingerprint)
    if entry is not None:
        return Freshness(fingerprint, inputs, entry)
    if problem != MISSING:
        return Freshness(fingerprint, inputs, None, [f"cache entry damaged: {problem}"])
    return Freshness(fingerprint, inputs, None, _changes_since(inputs, cache.latest()))


def _changes_since(inputs: FingerprintInputs, previous: CacheEntry | None) -> list[str]:
    """What differs from the newest usable entry: the reasons to build."""
    if previous is None:
        return ["no artefacts built yet"]
    old = previous.inputs
    if not all(isinstance(old.get(key, {}), Mapping) for key in ("recipe", "libraries")):
        return ["no comparable earlier build (its recorded inputs are malformed)"]
    return inputs.changes_since(old) or ["no artefacts built yet for these inputs"]


def ensure_fresh(
    recipe: Recipe,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    train: TrainPolicy = "auto",
    logger: logging.Logger | None = None,
) -> Artefacts:
    """Return fresh artefacts, building them first if they are stale (or if `train="always"`).

    `train="never"` with stale artefacts raises StaleArtefactsError explaining what changed.
    Builds are serialised by the cache lock; a build that waited re-checks before building, so
    two simultaneous `mkdocs build`s train once. A cache that cannot be written raises
    CacheError; a build lacking a declared file, IncompleteArtefactsError (nothing published).
    """
    logger = logger or log
    if train not in TRAIN_POLICIES:
        raise ModelBuildError(f"train must be one of {', '.join(TRAIN_POLICIES)}, got {train!r}.")
    cache = recipe_cache(recipe, cache_dir)  # one object for the whole call: each damage is logged once
    freshness = _check(recipe, cache)
    if freshness.fresh and train != "always":
        return artefacts_from_entry(freshness.entry, built=False)
    if train == "never":
        raise stale_error(recipe.name, freshness.reasons)
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
    """What is stale and why. How to train depends on where the user is (a CLI flag, a site
    setting), so the front end that caught it adds that part."""
    return StaleArtefactsError(
        f"The {recipe_name} model artefacts are stale ({'; '.join(reasons)}) and training is disabled."
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
