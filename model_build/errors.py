"""Errors that reach a user: each message says what went wrong and what to do next."""

from __future__ import annotations

from collections.abc import Mapping


class ModelBuildError(Exception):
    """Base class for every error this package raises on purpose."""


class DataNotFoundError(ModelBuildError):
    """No MNIST source could be found."""


class DataIntegrityError(ModelBuildError):
    """A data file exists but is not what it claims to be (hash, shape, dtype)."""


class RecipeError(ModelBuildError):
    """A recipe value is invalid; the message names the key and what is allowed."""


class UnsupportedLayerError(ModelBuildError):
    """The Keras model has a layer that the TF.js writer cannot express."""


class StaleArtefactsError(ModelBuildError):
    """The cached artefacts are stale and the caller forbade training."""


class CacheError(ModelBuildError):
    """The artefact cache cannot be written: read-only, full, immutable, or a file in the way."""


class IncompleteArtefactsError(ModelBuildError):
    """A build lacks a file its recipe declares, or one fails the recipe's check: not published."""


class CannotBuildError(ModelBuildError):
    """Artefacts must be built, but this machine cannot build them: a library or the data is missing.

    Raised before any build starts (no child process, no lock). `unavailable` maps each input the
    recipe cannot see here (`FingerprintInputs.unavailable`: "data", "libraries") to why, so that
    a front end can add the remedy it knows (which extra of its own distribution to install).
    """

    def __init__(self, situation: str, unavailable: dict[str, str]) -> None:
        self.situation = situation
        self.unavailable = unavailable
        super().__init__(self.explain())

    def explain(self, remedies: Mapping[str, str] | None = None) -> str:
        """The situation, then each missing input's reason followed by the front end's remedy for
        it (`remedies`, by the same keys), so that each fix sits next to what it fixes. What
        blocks training comes first: a missing library before missing data."""
        remedies = remedies or {}
        order = sorted(self.unavailable, key=lambda key: key != "libraries")
        reasons = [" ".join(filter(None, (self.unavailable[key], remedies.get(key)))) for key in order]
        return f"{self.situation}: " + "\n".join(reasons)
