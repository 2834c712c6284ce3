"""The MNIST digits recipe: what its artefacts depend on, and how they are made."""

from __future__ import annotations

import json
import logging
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..artefact_cache import is_plain_file_name
from ..fingerprint import FingerprintInputs, digest_of_files, distribution_versions
from .config import MnistConfig
from .data_sources import resolve_source
from .metrics_schema import METRICS_JSON, metrics_problem
from .test_sample import SAMPLE_JSON, SAMPLE_PNG

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
#: Modules that do not shape the artefacts, so editing them must not retrain: the CLI, the
#: charts (drawn from metrics.json at site-build time), the child-process runner and the recipe-file reader, the tutorial's browser training data
#: (a recipe of its own), and the metrics schema (a check of finished entries: an entry it
#: refuses is rebuilt anyway).
_NOT_ARTEFACT_CODE = {
    "cli.py", "__main__.py", "charts.py", "isolated.py", "browser_data.py", "metrics_schema.py",
    "recipe_file.py",
}
#: Libraries whose versions can change the trained bytes.
LIBRARIES = ("tensorflow-cpu|tensorflow", "keras", "numpy")
MODEL_JSON = "model.json"
#: The files of every entry, besides the weight shards that model.json names.
FIXED_FILES = (MODEL_JSON, METRICS_JSON, SAMPLE_PNG, SAMPLE_JSON)


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
    name: str = "digits"

    def fingerprint_inputs(self) -> FingerprintInputs:
        return FingerprintInputs(
            recipe=self.config.to_dict(),
            code=digest_of_files(artefact_code_files(), PACKAGE_ROOT),
            data=resolve_source(self.data_path).digest(),
            libraries=distribution_versions(LIBRARIES),
        )

    def build(self, directory: Path, logger: logging.Logger) -> None:
        # Heavy imports happen here, and only here.
        from .build import build_artefacts

        build_artefacts(self.config, directory, logger, data_path=self.data_path, data_cache_dir=self.data_cache_dir)

    def required_files(self, directory: Path) -> list[str]:
        """model.json, metrics.json, the test sample, and every weight shard model.json names."""
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


def write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def runtime_versions() -> dict[str, str]:
    versions = distribution_versions(LIBRARIES)
    versions["python"] = platform.python_version()
    return versions


class Stopwatch:
    """Named phase timings for metrics.json."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._started = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(now - self._started, 2)
        self._started = now
