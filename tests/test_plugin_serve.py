"""`mkdocs serve`: model code and recipe edits retrain once; page edits never do; no rebuild loop."""

from __future__ import annotations

import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

from .conftest import ROOT, TINY_RECIPE, write_site

QUIET_SECONDS = 6


class ServeLog:
    """Reads a `mkdocs serve` process's output on a thread so the test can wait for lines."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(process,), daemon=True).start()

    def _pump(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self._queue.put(line.rstrip())

    def wait_for(self, pattern: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            self.lines.append(line)
            if re.search(pattern, line):
                return
        raise AssertionError(f"no line matching {pattern!r} within {timeout}s:\n" + "\n".join(self.lines[-40:]))

    def settle(self, seconds: float = QUIET_SECONDS) -> None:
        """Collect output until nothing new arrives for `seconds`."""
        while True:
            try:
                self.lines.append(self._queue.get(timeout=seconds))
            except queue.Empty:
                return

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_retrains_on_code_and_recipe_changes_only(tmp_path: Path) -> None:
    # A private copy of model_build, first on the path, so the test can edit "the training code".
    source = tmp_path / "src"
    shutil.copytree(ROOT / "model_build", source / "model_build", ignore=shutil.ignore_patterns("__pycache__"))
    recipe_file = tmp_path / "recipe.yml"
    recipe_file.write_text(yaml.safe_dump(dict(TINY_RECIPE)))
    config_file = write_site(tmp_path, {"recipe": {}, "recipe_file": str(recipe_file)})
    env = {**os.environ, "PYTHONPATH": str(source), "NO_MKDOCS_2_WARNING": "1"}
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "-f", str(config_file), "-a", f"127.0.0.1:{port}"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    log = ServeLog(process)
    try:
        log.wait_for(r"Serving on")
        log.settle()
        assert log.count("Building digits model") == 1  # the first build trained

        (tmp_path / "docs" / "index.md").write_text("# 改過的頁面\n\n{{ digit_model.test_accuracy }}\n", encoding="utf-8")
        log.wait_for(r"model fresh \(fingerprint")
        log.settle()
        assert log.count("Building digits model") == 1, "editing a page must not retrain"

        training = source / "model_build" / "mnist" / "training.py"
        training.write_text(training.read_text() + "\n# an edit to the training code\n")
        log.wait_for(r"Building digits model \(training code\)")
        log.wait_for(r"model built: ")
        log.settle()
        assert log.count("Building digits model") == 2, "one code change, one retraining"
        builds_after_code_change = log.count("Building documentation")

        recipe_file.write_text(yaml.safe_dump({**TINY_RECIPE, "seed": 11}))
        log.wait_for(r"Building digits model \(recipe \(seed\)\)")
        log.wait_for(r"model built: ")
        log.settle()
        assert log.count("Building digits model") == 3
        # No loop: after the last change settled, exactly one more documentation build happened.
        assert log.count("Building documentation") - builds_after_code_change == 1
    finally:
        process.terminate()
        process.wait(timeout=30)
