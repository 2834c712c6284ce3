"""What a build records about its own run in metrics.json: library versions and phase timings.

Apart from the recipe (what the artefacts depend on) so that the build, which writes this
record, does not import the recipe that starts it.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any

from ..fingerprint import distribution_versions

#: The libraries the build runs on: each one is needed to train, and its version can change the
#: trained bytes (alternatives joined by '|', see `distribution_versions`).
LIBRARIES = ("tensorflow-cpu|tensorflow", "keras", "numpy")


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
