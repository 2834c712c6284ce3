"""The plugin as a new author gets it: the wheel in a fresh virtual environment, no checkout on
the path, no node_modules, a brand-new site with two lines of plugin config.

One environment walks the path an author takes. First without the training extra: a site whose
model is in the cache (restored from elsewhere) builds and runs in Chromium; a stale one fails
and says how to get the extra. Then the hints are followed as printed, the model trains, and a
site on MkDocs's built-in theme runs too. The steps depend on each other, so they are one test
each, in order, sharing the environment; each checks the state it starts from.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ..conftest import ROOT, TINY_RECIPE, Snapshot
from .conftest import CSP, SEVEN, SiteServer, draw_with_mouse

pytestmark = pytest.mark.slow

PAGE = """# Digits

The model reads {{ digit_model.shipped_accuracy }} of MNIST's test digits.

```digit-recognizer
```
"""
#: What the built-in themes and Material fetch from other hosts unless told not to.
THEMES = {"material": {"name": "material", "font": False}, "mkdocs": {"name": "mkdocs", "highlightjs": False}}
#: pip resolves the package's ranges to this repository's pinned versions, so that a new
#: upstream release cannot change what this test installs from one run to the next.
LOCK = ROOT / "requirements" / "lock.txt"


class Venv:
    """A virtual environment and a shell-like way to run commands in it (as if activated)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.python = path / "bin" / "python"
        self.env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
        self.env.update(PATH=f"{path / 'bin'}{os.pathsep}{os.environ['PATH']}", VIRTUAL_ENV=str(path),
                        PIP_CONSTRAINT=str(LOCK), PIP_DISABLE_PIP_VERSION_CHECK="1", NO_MKDOCS_2_WARNING="1")

    def run(self, command: str | list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run(command, shell=isinstance(command, str), cwd=cwd, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def has(self, module: str, cwd: Path) -> bool:
        code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
        return self.run([str(self.python), "-c", code], cwd).returncode == 0


def new_site(directory: Path, theme: dict, recipe: dict) -> Path:
    """A site as an author starts it; the tiny recipe keeps training to seconds."""
    (directory / "docs").mkdir(parents=True)
    (directory / "docs" / "index.md").write_text(PAGE, encoding="utf-8")
    config = {"site_name": "New blog", "theme": theme, "plugins": ["search", {"digit-model": {"recipe": recipe}}]}
    (directory / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return directory


def mkdocs_build(venv: Venv, site: Path) -> subprocess.CompletedProcess:
    return venv.run([str(venv.python), "-m", "mkdocs", "build"], site)


def hint_command(output: str) -> str:
    """The first command a message tells the user to run."""
    match = re.search(r"[Rr]un `([^`]+)`", output)
    assert match, output
    return match.group(1)


def assert_recognizer_runs(browser, site: Path, *, inline_scripts: bool) -> None:
    """Serve the built site; in Chromium the model loads and reads a drawn 7, with no console
    error and no request to any other host."""
    csp = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'") if inline_scripts else CSP
    server = SiteServer(site / "site", csp=csp)
    context = browser.new_context()
    try:
        page = context.new_page()
        errors: list[str] = []
        urls: list[str] = []
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: urls.append(request.url))
        page.goto(server.url)
        page.wait_for_selector(".digit-recognizer[data-state=ready]", timeout=60_000)
        draw_with_mouse(page, SEVEN)
        page.wait_for_function(
            "() => { const r = document.querySelector('.digit-recognizer').digitRecognizer;"
            " return r.lastResult && !r.busy; }", timeout=30_000)
        result = page.evaluate("() => document.querySelector('.digit-recognizer').digitRecognizer.lastResult")
        assert 0 <= result["top"] <= 9 and abs(sum(result["probabilities"]) - 1) < 1e-3
        assert errors == []
        assert [url for url in urls if not url.startswith(server.url) and not url.startswith("data:")] == []
        # The light TF.js build, from the installed package (made when the wheel was built).
        assert any(url.endswith("tf-light.min.js") for url in urls) and any("model.json" in url for url in urls)
        assert not any(url.endswith("tf.es2017.min.js") for url in urls)
    finally:
        context.close()
        server.close()


@pytest.fixture(scope="module")
def author(tmp_path_factory: pytest.TempPathFactory, snapshot_wheel: Snapshot) -> dict:
    """A fresh venv with the wheel and the Material extra, and the plugin cache another machine
    (this repository's environment) filled for the tiny recipe."""
    work = tmp_path_factory.mktemp("author")
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
    venv = Venv(work / "venv")
    installed = venv.run(["pip", "install", "-q", f"{snapshot_wheel.wheel}[material]"], work)
    assert installed.returncode == 0, installed.stderr
    trainer = new_site(work / "trainer", THEMES["material"], dict(TINY_RECIPE))
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=trainer, capture_output=True, text=True,
                           env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, timeout=900)
    assert built.returncode == 0, built.stderr
    return {"work": work, "venv": venv, "cache": trainer / ".cache", "wheel": snapshot_wheel.wheel}


def test_without_the_training_extra_a_cached_model_builds_and_runs(author, browser) -> None:
    venv, work = author["venv"], author["work"]
    site = new_site(work / "cached", THEMES["material"], dict(TINY_RECIPE))
    shutil.copytree(author["cache"], site / ".cache")  # what a CI cache step restores
    packages = venv.run([str(venv.python), "-c", "import digit_model, model_build; print(digit_model.__file__, model_build.__file__)"], site)
    assert packages.stdout.count(str(venv.path / "lib")) == 2, packages.stdout  # the wheel, not a checkout
    assert not venv.has("tensorflow", site) and not venv.has("mnist", site)
    built = mkdocs_build(venv, site)
    assert built.returncode == 0, built.stderr
    assert "model fresh" in built.stderr and "Building digits model" not in built.stderr
    assert not (site / "node_modules").exists()
    # A new Material site writes inline scripts of Material's own (this repository's site moves
    # them to files in overrides/): the policy allows them here; our code needs only 'self'.
    assert_recognizer_runs(browser, site, inline_scripts=True)


def test_without_the_training_extra_a_stale_model_says_how_to_train_and_the_hints_work(author, browser) -> None:
    venv, work = author["venv"], author["work"]
    assert not venv.has("tensorflow", work)
    site = new_site(work / "stale", THEMES["mkdocs"], {**TINY_RECIPE, "train_subset": 5000})
    shutil.copytree(author["cache"], site / ".cache")  # holds only the entry of another recipe
    failed = mkdocs_build(venv, site)
    assert failed.returncode != 0
    assert "TensorFlow and Keras are not installed" in failed.stderr, failed.stderr
    assert f"{author['wheel']}[train]" in failed.stderr and ".cache/plugin/digit-model" in failed.stderr
    for _ in range(3):  # each hint, as printed, until the build passes (the data wheel's hint is next)
        command = hint_command(failed.stderr)
        followed = venv.run(command, site)
        assert followed.returncode == 0, f"{command}\n{followed.stderr}"
        failed = mkdocs_build(venv, site)
        if failed.returncode == 0:
            break
    assert failed.returncode == 0, failed.stderr
    assert "Building digits model" in failed.stderr
    assert_recognizer_runs(browser, site, inline_scripts=True)  # the built-in theme writes inline scripts
