"""Fresh artefacts, built only when stale: the generic engine under the CLI and the plugin.

It knows no recipe in particular. A *recipe* says what the artefacts depend on
(`fingerprint_inputs`, cheap: no TensorFlow), how to make them (`build`, expensive), what a usable
set of them is (`required_files` and `verify`, cheap) and how to sum one up (`summarize`). This
module decides whether to build, and publishes the result atomically in the content-addressed
cache: an entry missing a declared file, or one the recipe's check refuses, is never published,
and one found in the cache is rebuilt.

A machine that cannot see every input (a library the build needs is not installed, the data is
not here) cannot build, but it may still use what another machine built: the exact fingerprint
is looked up first; failing that, the newest usable entry whose inputs equal these in all that
this machine can see stands in (and the log says what could not be compared). With no such
entry, CannotBuildError says what is missing, before any build starts.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

from .artefact_cache import MISSING, ArtefactCache, CacheEntry
from .errors import CannotBuildError, ModelBuildError, StaleArtefactsError
from .fingerprint import FingerprintInputs

TrainPolicy = Literal["auto", "always", "never"]
TRAIN_POLICIES: tuple[TrainPolicy, ...] = ("auto", "always", "never")
#: Published entries kept per cache directory; older ones are deleted after a build.
ENTRIES_KEPT = 3

log = logging.getLogger(__name__)


class RecipeConfig(Protocol):
    """A recipe's settings."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values that the recipe's `from_options` takes back as overrides: how a child
        process receives the very recipe its parent checked."""


class Recipe(Protocol):
    """What the pipeline, the child-process runner and the CLI need from a recipe.

    Recipes are found by name (`model_build.recipes`), so nothing here imports one.
    """

    #: The name it is registered under in `model_build.recipes`.
    name: ClassVar[str]
    #: Where its entries live unless the caller chooses (relative to the working directory).
    default_cache_dir: ClassVar[Path]
    #: The entry's JSON record of what the build measured: what `Artefacts.metrics()` reads.
    metrics_file: ClassVar[str]
    config: RecipeConfig
    #: Where its data is read from; None = the recipe's own search.
    data_path: Path | None

    @classmethod
    def from_options(
        cls, overrides: Mapping[str, Any] | None = None, *, data_path: Path | None = None,
        data_cache_dir: Path | None = None,
    ) -> Recipe:
        """The recipe with `overrides` on top of its defaults; RecipeError names a bad key or value.
        `data_cache_dir` is where decoded data may be kept (None: the recipe's default)."""

    def warnings(self) -> list[str]:
        """Advice on settings that are valid but doubtful, for the front end to show once."""

    def fingerprint_inputs(self) -> FingerprintInputs:
        """Everything the artefacts depend on. Must be cheap and must not import TensorFlow.

        An input the recipe cannot see here is marked in `FingerprintInputs.unavailable`, with a
        sentence saying what to install or provide, rather than raised: an entry made elsewhere
        may still serve, and if none does, that sentence is why nothing can be built.
        """

    def build(self, directory: Path, logger: logging.Logger) -> None:
        """Write every artefact file into `directory` (an empty staging directory)."""

    def required_files(self, directory: Path) -> Collection[str]:
        """Every file an entry must hold. Runs on each lookup, so cheap; it may read the entry's
        own small index files (a model.json naming its weight shards), never raise on them."""

    def verify(self, directory: Path) -> str | None:
        """Why the entry's files (all present, hashes matching) are not usable, or None: a schema
        check of what the site reads. Runs on each lookup: cheap, no NumPy, no TensorFlow."""

    def summarize(self, artefacts: Artefacts) -> str:
        """One line for a log: what the artefacts hold or measure, and their fingerprint."""


@dataclass(frozen=True)
class Freshness:
    """The outcome of a freshness check."""

    #: This machine's key for the recipe's inputs.
    fingerprint: str
    inputs: FingerprintInputs
    entry: CacheEntry | None
    #: Why the artefacts are stale (empty when fresh).
    reasons: list[str] = field(default_factory=list)
    #: Set when `entry` is not the exact match but stands in for it, some inputs being unavailable
    #: here: what it was made with that this machine cannot check (see `FingerprintInputs.uncompared`).
    stand_in: str | None = None

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
    #: The recipe's `metrics_file`.
    metrics_file: str
    build_seconds: float = 0.0

    def path(self, name: str) -> Path:
        return self.directory / name

    def metrics(self) -> dict[str, Any]:
        """The recipe's record of what the build measured, as a dict."""
        return json.loads(self.path(self.metrics_file).read_text(encoding="utf-8"))


def check_freshness(recipe: Recipe, cache_dir: Path | None = None) -> Freshness:
    """Compare the recipe's fingerprint with the cache, without building or importing TensorFlow.

    `cache_dir` defaults to the recipe's own. Never raises on a damaged cache: an unusable entry
    is logged once and reported as stale.
    """
    return _check(recipe, recipe_cache(recipe, cache_dir))


def recipe_cache(recipe: Recipe, cache_dir: Path | None = None) -> ArtefactCache:
    """The cache at `cache_dir` (default: the recipe's), whose entries count only if they hold the
    recipe's files and pass its check."""
    root = recipe.default_cache_dir if cache_dir is None else Path(cache_dir)
    return ArtefactCache(root, verify=lambda entry: entry_problem(recipe, entry))


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
    if inputs.unavailable:
        for candidate in cache.entries():
            if _comparable(candidate.inputs) and not inputs.changes_since(candidate.inputs):
                return Freshness(fingerprint, inputs, candidate, stand_in=inputs.uncompared(candidate.inputs))
    if problem != MISSING:
        return Freshness(fingerprint, inputs, None, [f"cache entry damaged: {problem}"])
    return Freshness(fingerprint, inputs, None, _changes_since(inputs, cache.latest()))


def _comparable(recorded: Mapping[str, Any]) -> bool:
    """Whether an entry's recorded inputs have the shape `FingerprintInputs.changes_since` reads."""
    return all(isinstance(recorded.get(key, {}), Mapping) for key in ("recipe", "libraries"))


def _changes_since(inputs: FingerprintInputs, previous: CacheEntry | None) -> list[str]:
    """What differs from the newest usable entry: the reasons to build."""
    if previous is None:
        return ["no artefacts built yet"]
    if not _comparable(previous.inputs):
        return ["no comparable earlier build (its recorded inputs are malformed)"]
    return inputs.changes_since(previous.inputs) or ["no artefacts built yet for these inputs"]


def without_building(recipe: Recipe, freshness: Freshness, train: TrainPolicy, logger: logging.Logger) -> Artefacts | None:
    """The artefacts to use as they are, or None when a build is due.

    Raises CannotBuildError when a build is due (stale, or forced by `train="always"`) but some
    input is unavailable here, whatever `train` says: training could not help, so the error says
    what is missing instead. Raises StaleArtefactsError when a build is due and `train="never"`.
    """
    if freshness.fresh and train != "always":
        if freshness.stand_in is not None:
            logger.info("Using the %s model entry %s, whose inputs match in all that this machine can see: %s.",
                        recipe.name, freshness.entry.fingerprint[:12], freshness.stand_in)
        return artefacts_from_entry(recipe, freshness.entry, built=False)
    unavailable = dict(freshness.inputs.unavailable)
    if unavailable:
        if freshness.fresh:
            situation = f"The {recipe.name} model artefacts cannot be rebuilt as forced"
        else:
            situation = f"The {recipe.name} model artefacts are stale ({'; '.join(freshness.reasons)}) and cannot be built here"
        raise CannotBuildError(situation, unavailable)
    if train == "never":
        raise stale_error(recipe.name, freshness.reasons)
    return None


def ensure_fresh(
    recipe: Recipe,
    cache_dir: Path | None = None,
    train: TrainPolicy = "auto",
    logger: logging.Logger | None = None,
) -> Artefacts:
    """Return fresh artefacts, building them first if they are stale (or if `train="always"`).

    `cache_dir` defaults to the recipe's own. A build that is due but cannot happen raises first
    (see `without_building`): StaleArtefactsError explaining what changed for `train="never"`,
    CannotBuildError naming what is missing here. Builds are serialised by the cache lock; a
    build that waited re-checks before building, so two simultaneous `mkdocs build`s train once.
    A cache that cannot be written raises CacheError; a build lacking a declared file,
    IncompleteArtefactsError (nothing published).
    """
    logger = logger or log
    if train not in TRAIN_POLICIES:
        raise ModelBuildError(f"train must be one of {', '.join(TRAIN_POLICIES)}, got {train!r}.")
    cache = recipe_cache(recipe, cache_dir)  # one object for the whole call: each damage is logged once
    freshness = _check(recipe, cache)
    ready = without_building(recipe, freshness, train, logger)
    if ready is not None:
        return ready
    with cache.lock():
        cache.sweep_leftovers()
        if train != "always":  # someone may have built it while we waited for the lock
            entry = cache.lookup(freshness.fingerprint)
            if entry is not None:
                return artefacts_from_entry(recipe, entry, built=False)
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
    return artefacts_from_entry(recipe, entry, built=True, seconds=seconds)


def stale_error(recipe_name: str, reasons: list[str]) -> StaleArtefactsError:
    """What is stale and why. How to train depends on where the user is (a CLI flag, a site
    setting), so the front end that caught it adds that part."""
    return StaleArtefactsError(
        f"The {recipe_name} model artefacts are stale ({'; '.join(reasons)}) and training is disabled."
    )


def artefacts_from_entry(recipe: Recipe, entry: CacheEntry, built: bool, seconds: float = 0.0) -> Artefacts:
    files = tuple(sorted(name for name in entry.files))
    return Artefacts(entry.directory, entry.fingerprint, files, built, recipe.metrics_file, seconds)
