"""Run a build in a fresh Python process and stream its log lines to a logger.

Why a separate process: a long-lived host (an `mkdocs serve` session) keeps the modules it
imported, so training in-process after `model_build/` was edited would run the *old* code under
the *new* fingerprint. A child process imports the code as it is on disk, keeps TensorFlow's
memory out of the host, and dies cleanly on Ctrl-C (the cache stays consistent either way).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .artefact_cache import ArtefactCache
from .errors import ModelBuildError
from .mnist.recipe import MnistRecipe
from .pipeline import Artefacts, TrainPolicy, artefacts_from_entry, check_freshness, stale_error

PACKAGE_PARENT = Path(__file__).resolve().parent.parent


def build_in_subprocess(
    recipe_overrides: Mapping[str, Any],
    cache_dir: Path,
    *,
    data_path: Path | None = None,
    train: TrainPolicy = "auto",
    logger: logging.Logger,
) -> Artefacts:
    """`python -m model_build build` with these settings; its log lines go to `logger`."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(dict(recipe_overrides), handle)
        recipe_file = handle.name
    command = [sys.executable, "-m", "model_build", "build", "--json",
               "--cache-dir", str(cache_dir), "--train", train, "--recipe", recipe_file]
    if data_path is not None:
        command += ["--data", str(data_path)]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_PARENT), os.environ.get("PYTHONPATH")])),
        # Bytecode written into model_build/ would wake a file watcher on that folder again.
        "PYTHONDONTWRITEBYTECODE": "1",
        # TensorFlow's C++ start-up notices (oneDNN, CPU features) are noise in a site build.
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
    }
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        last_error = ""
        for line in process.stderr:  # the child logs "LEVEL message" lines on stderr
            level, _, message = line.rstrip("\n").partition(" ")
            if level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
                logger.log(getattr(logging, level), "%s", message)
                if level == "ERROR":
                    last_error = message
            elif line.strip():
                logger.debug("%s", line.rstrip())
        output = process.stdout.read()
        code = process.wait()
    finally:
        os.unlink(recipe_file)
    if code != 0:
        raise ModelBuildError(last_error or f"the model build process exited with status {code}")
    result = json.loads(output)
    entry = ArtefactCache(cache_dir).lookup(result["fingerprint"])
    if entry is None:
        raise ModelBuildError(f"the build reported {result['fingerprint'][:12]}, but no valid entry is in {cache_dir}")
    return artefacts_from_entry(entry, built=result["built"])


def ensure_fresh_isolated(recipe: MnistRecipe, cache_dir: Path, *, train: TrainPolicy, logger: logging.Logger) -> Artefacts:
    """`ensure_fresh`, with the freshness check in this process and any build in a child.

    The check is the common case and costs milliseconds; only a stale (or forced) build pays
    for a new interpreter and TensorFlow.
    """
    if train != "always":
        freshness = check_freshness(recipe, cache_dir)
        if freshness.fresh:
            return artefacts_from_entry(freshness.entry, built=False)
        if train == "never":
            raise stale_error(recipe.name, freshness.reasons)
    return build_in_subprocess(
        recipe.config.to_dict(), cache_dir, data_path=recipe.data_path, train=train, logger=logger
    )
