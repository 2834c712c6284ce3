"""Failures of the training child reach the MkDocs log as one clear ERROR line, hints work when
followed literally, and the child never outlives `mkdocs build`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from model_build import ModelBuildError
from model_build.isolated import run_child

from .conftest import ROOT, TINY_RECIPE, build_fails, build_site, capture_mkdocs_log, write_site

QUIET_ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}


def _logger() -> tuple:
    import logging

    logger = logging.getLogger(f"tests.child.{time.monotonic_ns()}")
    logger.setLevel(logging.DEBUG)
    lines: list[tuple[int, str]] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append((record.levelno, record.getMessage()))

    logger.addHandler(Keep())
    logger.propagate = False
    return logger, lines


def test_a_crashing_child_reports_its_exception_not_only_its_status() -> None:
    logger, lines = _logger()
    with pytest.raises(ModelBuildError) as caught:
        run_child([sys.executable, "-c", "raise ValueError('the recipe broke at step 3')"], logger)
    assert "ValueError: the recipe broke at step 3" in str(caught.value)
    assert any("Traceback" in message for _, message in lines)  # the whole traceback stays at DEBUG


def test_a_child_killed_by_a_signal_says_so() -> None:
    logger, _ = _logger()
    with pytest.raises(ModelBuildError) as caught:
        run_child([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"], logger)
    assert "killed by SIGKILL" in str(caught.value)


def test_an_unforeseen_failure_in_the_cli_is_one_error_record(tmp_path) -> None:
    """`--as-child`: records are JSON lines; an unexpected exception becomes one ERROR record."""
    logger, lines = _logger()
    command = [sys.executable, "-m", "model_build", "--as-child", "data", "--data", str(tmp_path / "x.npz"),
               "--cache-dir", str(tmp_path / "c")]
    (tmp_path / "x.npz").write_bytes(b"PK\x03\x04 not really a zip file")
    with pytest.raises(ModelBuildError) as caught:
        run_child(command, logger)
    message = str(caught.value)
    assert "x.npz" in message and "Traceback" not in message


def test_the_childs_error_is_what_mkdocs_shows(tmp_path) -> None:
    """A cache_dir that is a file fails in the training child: the reason, not an exit status."""
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("not a folder")
    text = build_fails(write_site(tmp_path, {"cache_dir": str(blocker)}))
    assert str(blocker) in text
    assert "exited with status" not in text and "Traceback" not in text


def test_bad_data_fails_in_the_child_with_the_files_name(tmp_path) -> None:
    """The data file exists (so the check passes) but cannot be decoded: the child's message shows."""
    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    text = build_fails(write_site(tmp_path, {"data_path": str(bad)}))
    assert str(bad) in text and "exited with status" not in text


def test_train_never_hint_followed_literally_makes_the_build_fresh(tmp_path) -> None:
    """The hint is a shell command; run as printed, it trains with the site's own recipe."""
    recipe = {**TINY_RECIPE, "seed": 11}  # not the default recipe: the hint must train this one
    config_file = write_site(tmp_path, {"train": "never", "recipe": recipe})
    text = build_fails(config_file)
    assert "stale" in text and "train: auto" in text
    command = text.split("run `", 1)[1].split("`", 1)[0]
    assert "DIGIT_MODEL_TRAIN=auto" in command
    completed = subprocess.run(command, shell=True, cwd=Path.cwd(), env=QUIET_ENV, capture_output=True, text=True,
                               timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    with capture_mkdocs_log() as handler:
        build_site(config_file)  # train: never again, and now fresh
    assert "model fresh" in handler.take()


def test_an_invalid_train_override_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DIGIT_MODEL_TRAIN", "sometimes")
    text = build_fails(write_site(tmp_path))
    assert "DIGIT_MODEL_TRAIN is 'sometimes'" in text and "auto, always, never" in text


def _children_of(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return children


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


#: How long a child may take to notice its parent is gone and stop: measured 0.7–1.2 s over
#: five runs (leaving the current TensorFlow step, cleaning up); its hard-exit fallback is 10 s.
CHILD_STOP_SECONDS = 20


@pytest.mark.parametrize("sigint_ignored", [False, True], ids=["sigint-default", "sigint-ignored"])
def test_killing_mkdocs_build_stops_its_training_child(tmp_path, sigint_ignored: bool) -> None:
    """Also when mkdocs was started with SIGINT ignored (as in CI's full run): the child
    inherits that, and must still be able to interrupt itself."""
    # Long enough to be killed mid-training: hundreds of short epochs.
    config_file = write_site(tmp_path, {"recipe": {**TINY_RECIPE, "epochs": 500}})
    ignore_sigint = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None
    process = subprocess.Popen([sys.executable, "-m", "mkdocs", "build", "-f", str(config_file)], cwd=ROOT,
                               env=QUIET_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               preexec_fn=ignore_sigint)
    try:
        for line in process.stderr:
            if "epoch 1/500" in line:  # training is under way
                break
        children = _children_of(process.pid)
        assert children, "no training child found"
        process.kill()
        process.wait()
        killed = time.monotonic()
        while any(_alive(child) for child in children) and time.monotonic() < killed + CHILD_STOP_SECONDS:
            time.sleep(0.05)
        assert not any(_alive(child) for child in children), "the training child outlived mkdocs build"
        print(f"\ntraining child stopped {time.monotonic() - killed:.2f} s after mkdocs build was killed")
    finally:
        if process.poll() is None:
            process.kill()
        for child in _children_of(process.pid):
            os.kill(child, signal.SIGKILL)
    cache = tmp_path / "cache"
    assert not [p.name for p in cache.iterdir() if p.name.startswith(".staging-")]  # it cleaned up after itself


def test_a_child_that_writes_more_than_a_pipe_holds_does_not_hang() -> None:
    """stdout is drained while stderr is read: 1 MB on stdout and lines on stderr both arrive."""
    logger, lines = _logger()
    script = ("import json, sys\n"
              "print('x' * 1_000_000)\n"
              "for i in range(3): print(json.dumps({'level': 20, 'message': f'step {i}'}), file=sys.stderr)\n")
    results: list[str] = []
    worker = threading.Thread(target=lambda: results.append(run_child([sys.executable, "-c", script], logger)), daemon=True)
    worker.start()
    worker.join(timeout=60)  # the child takes ~0.1 s; a deadlock would never end
    assert results, "run_child hung on a child with a lot of output"
    output = results[0]
    assert len(output) == 1_000_001
    assert [message for _, message in lines] == ["step 0", "step 1", "step 2"]
