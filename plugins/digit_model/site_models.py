"""The site's two cache entries, the model and the tutorial's training set: their recipes made
from the plugin's settings, made fresh, and keyed for a CI cache step (`cache_key`).

The recipes come from `model_build`'s registry by name; this module only says which settings
go where, and turns `model_build`'s errors into a build error with the remedy for this site.
"""

from __future__ import annotations

import hashlib
import logging
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.exceptions import PluginError

from .config import DigitModelConfig
from .installation import pip_install_command
from .tutorial_data import data_bytes

if TYPE_CHECKING:
    from model_build import Artefacts, CannotBuildError, Recipe

MODEL_RECIPE = "digits"
TUTORIAL_DATA_RECIPE = "browser-data"
#: Overrides the `train` setting for one command, e.g. `DIGIT_MODEL_TRAIN=auto mkdocs build`
#: in a site that keeps `train: never` so that its deploys never train.
TRAIN_ENVIRONMENT_VARIABLE = "DIGIT_MODEL_TRAIN"


@dataclass(frozen=True)
class SiteModels:
    """The recipes of one site and where their entries live."""

    model: Recipe
    tutorial_data: Recipe
    cache_dir: Path
    config_file: Path

    @classmethod
    def from_settings(cls, settings: DigitModelConfig, config_file: Path) -> SiteModels:
        """The recipes `settings` describe; paths in them are relative to `config_file`'s folder."""
        from model_build import ModelBuildError
        from model_build.recipe_file import read_mapping_file
        from model_build.recipes import recipe_class

        def project_path(value: str) -> Path:
            path = Path(value).expanduser()
            return path if path.is_absolute() else config_file.parent / path

        cache_dir = project_path(settings.cache_dir)
        data = {"data_path": project_path(settings.data_path) if settings.data_path else None,
                "data_cache_dir": cache_dir / "data"}
        try:
            overrides = dict(read_mapping_file(project_path(settings.recipe_file))) if settings.recipe_file else {}
            overrides.update(settings.recipe)
            if "quantization" in overrides:
                raise PluginError("digit-model: set the top-level `quantize` option, not `recipe.quantization`.")
            overrides["quantization"] = settings.quantize
            model = recipe_class(MODEL_RECIPE).from_options(overrides, **data)
            tutorial = recipe_class(TUTORIAL_DATA_RECIPE).from_options(
                {"train_images": settings.tutorial_train_images, "test_images": settings.tutorial_test_images}, **data)
        except ModelBuildError as error:
            raise PluginError(f"digit-model: {error}") from error
        return cls(model, tutorial, cache_dir, config_file)

    def fresh_model(self, train: str, logger: logging.Logger) -> Artefacts:
        """The model's entry, trained first (in a child process) if stale and `train` allows."""
        from model_build import CannotBuildError, ModelBuildError, StaleArtefactsError
        from model_build.isolated import ensure_fresh_isolated

        try:
            artefacts = ensure_fresh_isolated(self.model, self.cache_dir, train=train, logger=logger)
        except CannotBuildError as error:
            raise PluginError(f"digit-model: {self._with_remedies(error)}") from error
        except StaleArtefactsError as error:
            raise PluginError(
                f"digit-model: {error} To train them with this site's recipe, run `{self.train_once_command()}` "
                "once (the next builds find them fresh), or set `train: auto`."
            ) from error
        except ModelBuildError as error:
            raise PluginError(f"digit-model: {error}") from error
        if artefacts.built:
            logger.info("model built: %s", self.model.summarize(artefacts))
        else:
            logger.info("model fresh (fingerprint %s)", artefacts.fingerprint[:12])
        return artefacts

    def fresh_tutorial_data(self, logger: logging.Logger) -> Artefacts:
        """The tutorial's training set, made first if stale: not training, so whatever `train` says."""
        from model_build import CannotBuildError, ModelBuildError, ensure_fresh
        from model_build.mnist.browser_data import CACHE_SUBDIR

        try:
            # A folder of its own in the plugin's cache: pruning the model's entries never deletes it.
            artefacts = ensure_fresh(self.tutorial_data, self.cache_dir / CACHE_SUBDIR, train="auto", logger=logger)
        except CannotBuildError as error:
            raise PluginError(f"digit-model: {self._with_remedies(error)}") from error
        except ModelBuildError as error:
            raise PluginError(f"digit-model: {error}") from error
        logger.info("browser training data %s: %s bytes (fingerprint %s)", "built" if artefacts.built else "fresh",
                    f"{data_bytes(artefacts):,}", artefacts.fingerprint[:12])
        return artefacts

    def cache_key(self) -> str:
        """One key for everything the cache folder holds for this site (both recipes' fingerprints),
        computed without TensorFlow: what a CI cache step is keyed on."""
        fingerprints = [recipe.fingerprint_inputs().digest() for recipe in (self.model, self.tutorial_data)]
        return hashlib.sha256(":".join(fingerprints).encode()).hexdigest()[:32]

    def unavailable_here(self) -> dict[str, str]:
        """Inputs this machine cannot see (no TensorFlow, no MNIST): a key computed without them
        differs from the key of a machine that has them."""
        return {**self.tutorial_data.fingerprint_inputs().unavailable, **self.model.fingerprint_inputs().unavailable}

    def train_once_command(self) -> str:
        """A shell command that builds this very site once with training allowed."""
        config_file = self.config_file.resolve()
        try:
            config_file = config_file.relative_to(Path.cwd())
        except ValueError:
            pass
        return (f"{TRAIN_ENVIRONMENT_VARIABLE}=auto {shlex.quote(sys.executable)} -m mkdocs build "
                f"-f {shlex.quote(str(config_file))}")

    def _with_remedies(self, error: CannotBuildError) -> str:
        """The error with this plugin's remedies: the training extra, installed from where this
        package came from, next to the missing libraries; the cache another machine filled."""
        remedy = f"Run `{pip_install_command('train')}` (the plugin's training extra: TensorFlow and Keras)."
        return (f"{error.explain({'libraries': remedy})}\nOr restore the plugin's cache folder {self.cache_dir} "
                "from a machine that built the model.")
