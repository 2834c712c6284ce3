"""The MNIST digits recipe: what its artefacts depend on, and how they are made."""

from __future__ import annotations

import json
import logging
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..fingerprint import FingerprintInputs, digest_of_files, distribution_versions
from .config import MnistConfig
from .data_sources import resolve_source

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
#: Modules that do not shape the artefacts, so editing them must not retrain: the CLI, the
#: charts (drawn from metrics.json at site-build time), the browser preprocessing reference and
#: the child-process runner, and the tutorial's browser training data (a recipe of its own).
_NOT_ARTEFACT_CODE = {"cli.py", "__main__.py", "charts.py", "preprocess.py", "isolated.py", "browser_data.py"}
#: Libraries whose versions can change the trained bytes.
LIBRARIES = ("tensorflow-cpu|tensorflow", "keras", "numpy")
METRICS_JSON = "metrics.json"


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
