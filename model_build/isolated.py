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
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from .errors import ModelBuildError
from .pipeline import Artefacts, Recipe, TrainPolicy, artefacts_from_entry, check_freshness, recipe_cache, without_building

PACKAGE_PARENT = Path(__file__).resolve().parent.parent


def build_in_subprocess(recipe: Recipe, cache_dir: Path, *, train: TrainPolicy = "auto",
                        logger: logging.Logger) -> Artefacts:
    """`python -m model_build build` for `recipe`; its log lines go to `logger`.

    The child finds the recipe's class by name and gets its settings as a recipe file, so it
    builds the very recipe this process checked, with the code on disk.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(recipe.config.to_dict(), handle)
        recipe_file = handle.name
    command = [sys.executable, "-m", "model_build", "--as-child", "build", "--json", "--recipe-name", recipe.name,
               "--cache-dir", str(cache_dir), "--train", train, "--recipe", recipe_file]
    if recipe.data_path is not None:
        command += ["--data", str(recipe.data_path)]
    if logger.isEnabledFor(logging.DEBUG):
        command.insert(3, "--verbose")  # tracebacks of unexpected errors, for `mkdocs build -v`
    try:
        output = run_child(command, logger)
    finally:
        os.unlink(recipe_file)
    result = json.loads(output)
    entry = recipe_cache(recipe, cache_dir).lookup(result["fingerprint"])
    if entry is None:
        raise ModelBuildError(f"the build reported {result['fingerprint'][:12]}, but no valid entry is in {cache_dir}")
    return artefacts_from_entry(recipe, entry, built=result["built"])


def run_child(command: list[str], logger: logging.Logger) -> str:
    """Run `python -m model_build --as-child …` in a child process; return its stdout.

    With `--as-child` the child writes each log record as one JSON line on stderr. Records are
    passed on to `logger`, except ERROR ones, which become the message of the ModelBuildError
    raised if the child fails: the user sees the cause once, where the caller shows errors, not
    only at DEBUG. Anything else on stderr (TensorFlow's C++ notices, a crash's traceback) goes
    to DEBUG, and its last line stands in for the cause if the child died without logging one.

    The child holds the read end of a pipe to this process and stops when it closes: killing
    this process (even with SIGKILL) never leaves a training child running.
    """
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_PARENT), os.environ.get("PYTHONPATH")])),
        # Bytecode written into model_build/ would wake a file watcher on that folder again.
        "PYTHONDONTWRITEBYTECODE": "1",
        # TensorFlow's C++ start-up notices (oneDNN, CPU features) are noise in a site build.
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
    }
    errors: list[str] = []
    last_other_line = ""
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    # stdout is drained by a thread: a child that wrote more than a pipe holds while we read
    # stderr would otherwise wait for us forever.
    stdout_parts: list[str] = []
    stdout_reader = threading.Thread(target=lambda: stdout_parts.append(process.stdout.read()), daemon=True)
    stdout_reader.start()
    try:
        for line in process.stderr:
            record = _log_record(line)
            if record is None:
                if line.strip():
                    last_other_line = line.strip()
                    logger.debug("%s", line.rstrip())
            elif record[0] >= logging.ERROR:
                errors.append(record[1])
            else:
                logger.log(*record)
        code = process.wait()
        stdout_reader.join()
    except BaseException:  # Ctrl-C or an error here: the child must not outlive this call
        process.kill()
        process.wait()
        raise
    finally:
        for stream in (process.stdin, process.stdout, process.stderr):
            stream.close()
    if code != 0:
        raise ModelBuildError(" ".join(errors) or _describe_exit(code, last_other_line))
    for message in errors:  # logged by a child that still succeeded
        logger.error("%s", message)
    return "".join(stdout_parts)


def _log_record(line: str) -> tuple[int, str] | None:
    """(level, message) of a JSON log line written by `cli.JsonLineFormatter`, else None."""
    if not line.startswith("{"):
        return None
    try:
        record = json.loads(line)
        return int(record["level"]), str(record["message"])
    except (ValueError, KeyError, TypeError):
        return None


def _describe_exit(code: int, last_line: str) -> str:
    if code < 0:
        try:
            how = f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            how = f"was killed by signal {-code}"
    else:
        how = f"exited with status {code}"
    return f"the model build process {how}" + (f"; its last output: {last_line}" if last_line else "") + "."


def ensure_fresh_isolated(recipe: Recipe, cache_dir: Path, *, train: TrainPolicy, logger: logging.Logger) -> Artefacts:
    """`ensure_fresh`, with the freshness check in this process and any build in a child.

    The check is the common case and costs milliseconds; only a stale (or forced) build pays
    for a new interpreter and TensorFlow. A build that is due but cannot happen here raises
    before any child starts (CannotBuildError, or StaleArtefactsError for `train="never"`).
    """
    ready = without_building(recipe, check_freshness(recipe, cache_dir), train, logger)
    if ready is not None:
        return ready
    return build_in_subprocess(recipe, cache_dir, train=train, logger=logger)
