"""Building a wheel from a checkout leaves the checkout as it was."""

from __future__ import annotations

import shutil
import subprocess
import sys

from .conftest import ROOT


def _git(*args: str, cwd) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def test_pip_wheel_leaves_no_untracked_files(tmp_path) -> None:
    checkout = tmp_path / "checkout"
    for name in _git("ls-files", "--cached", "--others", "--exclude-standard", cwd=ROOT).splitlines():
        if (ROOT / name).is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, checkout / name)
    _git("init", "-q", cwd=checkout)
    _git("add", "-A", cwd=checkout)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "snapshot", cwd=checkout)
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "out")],
        cwd=checkout, capture_output=True, text=True,
    )
    assert completed.returncode == 0, completed.stderr
    assert list((tmp_path / "out").glob("*.whl"))
    assert _git("status", "--porcelain", "--untracked-files=all", cwd=checkout) == ""
