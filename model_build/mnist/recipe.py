"""The MNIST digits recipe: what its artefacts depend on, and how they are made."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..artefact_cache import is_plain_file_name
from ..fingerprint import FingerprintInputs, digest_of_files, distribution_versions, not_installed
from .config import MnistConfig
from .data_sources import data_fingerprint
from .metrics_schema import METRICS_JSON, metrics_problem
from .run_record import LIBRARIES
from .sample_digits import SAMPLE_JSON, SAMPLE_PNG
from .teach_sample import TEACH_JSON, TEACH_FEATURES

if TYPE_CHECKING:
    from ..pipeline import Artefacts

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
#: Modules that do not shape the artefacts, so editing them must not retrain: the CLI, the
#: charts (drawn from metrics.json at site-build time), the child-process runner, the recipe
#: registry and the recipe-file reader, the tutorial's browser training data (a recipe of its
#: own), the metrics schema (a check of finished entries: an entry it refuses is rebuilt anyway),
#: and the simulated reader of the teaching tests and benchmark (drawn/reader.py).
_NOT_ARTEFACT_CODE = {
    "cli.py", "__main__.py", "charts.py", "isolated.py", "browser_data.py", "metrics_schema.py",
    "recipe_file.py", "recipes.py", "reader.py",
}
#: What a missing library is called in a message, and what to install instead, keyed as
#: `distribution_versions(LIBRARIES)` reports it.
_INSTALL = {
    "tensorflow-cpu": ("TensorFlow", "TensorFlow (tensorflow-cpu or tensorflow)"),
    "keras": ("Keras", "Keras 3"),
    "numpy": ("NumPy", "NumPy"),
}
MODEL_JSON = "model.json"
#: The files of every entry, besides the weight shards that model.json names.
FIXED_FILES = (MODEL_JSON, METRICS_JSON, SAMPLE_PNG, SAMPLE_JSON, TEACH_FEATURES, TEACH_JSON)


def artefact_code_files() -> list[Path]:
    """The Python files under model_build/ whose content the fingerprint covers."""
    return [p for p in PACKAGE_ROOT.rglob("*.py") if p.name not in _NOT_ARTEFACT_CODE and "__pycache__" not in p.parts]


@dataclass
class MnistRecipe:
    """The blog's CNN trained on MNIST and written for TF.js."""

    config: MnistConfig = field(default_factory=MnistConfig)
    #: Explicit MNIST location (IDX directory or mnist.npz); None = the default search order.
    data_path: Path | None = None
    #: Where decoded MNIST arrays are cached; None = ~/.cache/model_build.
    data_cache_dir: Path | None = None

    name: ClassVar[str] = "digits"
    #: The plugin's default `cache_dir` too, so that the CLI and the plugin find each other's entries.
    default_cache_dir: ClassVar[Path] = Path(".cache/plugin/digit-model")
    metrics_file: ClassVar[str] = METRICS_JSON

    @classmethod
    def from_options(
        cls, overrides: Mapping[str, Any] | None = None, *, data_path: Path | None = None,
        data_cache_dir: Path | None = None,
    ) -> MnistRecipe:
        return cls(MnistConfig.from_mapping(overrides), data_path=data_path, data_cache_dir=data_cache_dir)

    def warnings(self) -> list[str]:
        return self.config.warnings()

    def fingerprint_inputs(self) -> FingerprintInputs:
        """Without MNIST here the data is unavailable; without TensorFlow, Keras or NumPy (read from
        metadata, nothing imported), the libraries are: training needs all of them."""
        data, no_data = data_fingerprint(self.data_path)
        libraries = distribution_versions(LIBRARIES)
        unavailable = {"data": no_data} if no_data else {}
        missing = not_installed(libraries)
        if missing:
            unavailable["libraries"] = (
                f"{_listed(_INSTALL[name][0] for name in missing)} {'is' if len(missing) == 1 else 'are'} not "
                f"installed; to train, install {_listed(_INSTALL[name][1] for name in missing)}."
            )
        return FingerprintInputs(
            recipe=self.config.to_dict(),
            code=digest_of_files(artefact_code_files(), PACKAGE_ROOT),
            data=data,
            libraries=libraries,
            unavailable=unavailable,
        )

    def build(self, directory: Path, logger: logging.Logger) -> None:
        # Heavy imports happen here, and only here.
        from .build import build_artefacts

        build_artefacts(self.config, directory, logger, data_path=self.data_path, data_cache_dir=self.data_cache_dir)

    def required_files(self, directory: Path) -> list[str]:
        """model.json, metrics.json, the sample digits, the teach sample, and every weight shard model.json names."""
        try:
            shards = weight_files(directory / MODEL_JSON)
        except (OSError, ValueError, RecursionError):  # `verify` says what is wrong with model.json
            shards = []
        return [*FIXED_FILES, *shards]

    def verify(self, directory: Path) -> str | None:
        """model.json lists its shards properly, and metrics.json holds every figure the site reads."""
        try:
            weight_files(directory / MODEL_JSON)
        except (OSError, ValueError, RecursionError) as error:
            return f"{MODEL_JSON}: {error}"
        return metrics_problem(directory / METRICS_JSON)

    def summarize(self, artefacts: Artefacts) -> str:
        """Accuracy, bytes, seconds, fingerprint."""
        metrics = artefacts.metrics()
        accuracy = metrics["test_accuracy"]
        return (
            f"test accuracy {accuracy['float32']:.2%} (float32), {accuracy['shipped']:.2%} as shipped "
            f"({metrics['weights']['quantization']}, {metrics['weights']['shipped_bytes']:,} bytes); "
            f"trained in {metrics['seconds']['training']:.0f} s; fingerprint {artefacts.fingerprint[:12]}"
        )


def _listed(items: Iterable[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    *rest, last = items
    return f"{', '.join(rest)} and {last}" if rest else last


def weight_files(model_json: Path) -> list[str]:
    """The weight shards a TF.js model.json names, in order; ValueError if it names them badly."""
    document = json.loads(model_json.read_text(encoding="utf-8"))
    groups = document.get("weightsManifest") if isinstance(document, dict) else None
    if not isinstance(groups, list) or not groups:
        raise ValueError("weightsManifest must be a non-empty list of weight groups")
    names = []
    for group in groups:
        paths = group.get("paths") if isinstance(group, dict) else None
        if not isinstance(paths, list) or not paths:
            raise ValueError("every weightsManifest group needs a non-empty list of paths")
        for name in paths:
            if not is_plain_file_name(name):
                raise ValueError(f"weightsManifest names {name!r}, which is not a file of the entry")
            names.append(name)
    return names
