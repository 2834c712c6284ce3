"""Errors that reach a user: each message says what went wrong and what to do next."""


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
