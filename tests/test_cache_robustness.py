"""The artefact cache under damage and hostile disks: a bad entry is rebuilt, never a traceback.

Three promises (see DESIGN.md, "Cache entry"): a malformed manifest, a missing declared file or
a metrics.json the site cannot read makes an entry unusable (logged once, rebuilt) and is never
published; and a cache that cannot be written (read-only, immutable, a file in the way, a full
disk) ends in one `ModelBuildError` that names the path, the reason and what to do, with nothing
half-written. The filesystem tests use real mounts and `chattr`, so they need root (CI is root).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from mkdocs.commands.build import build as build_site
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from model_build import ModelBuildError, check_freshness, ensure_fresh
from model_build.artefact_cache import MANIFEST_NAME, ArtefactCache
from model_build.mnist import BrowserDataConfig, BrowserDataRecipe, MnistRecipe
from model_build.mnist.browser_data import LABELS_BIN

from .conftest import ROOT, TINY_RECIPE, tiny_recipe

SMALL = BrowserDataConfig(train_images=1_000, test_images=300)
#: Fits a 64 KiB disk; SMALL (≈ 210 KB) does not.
TINY_DATA = BrowserDataConfig(train_images=10, test_images=10)
TINY_CLI_SETTINGS = [f"--set={key}={json.dumps(value)}" for key, value in TINY_RECIPE.items()]
CACHE_LOGGER = "model_build.artefact_cache"


# -- helpers -----------------------------------------------------------------------------------


def browser_recipe(data_cache_dir: Path, config: BrowserDataConfig = SMALL) -> BrowserDataRecipe:
    return BrowserDataRecipe(config, data_cache_dir=data_cache_dir)


def entry_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if len(p.name) == 64)


def leftovers(root: Path) -> list[str]:
    return [p.name for p in root.iterdir() if p.name.startswith((".staging-", ".trash-"))]


def rewrite_entry(directory: Path, *, remove: tuple[str, ...] = (), replace: dict[str, bytes] | None = None) -> None:
    """Change an entry's files and record their new hashes, as a build that wrote them would have."""
    manifest = json.loads((directory / MANIFEST_NAME).read_text())
    for name in remove:
        (directory / name).unlink()
        del manifest["files"][name]
    for name, data in (replace or {}).items():
        (directory / name).write_bytes(data)
        manifest["files"][name] = hashlib.sha256(data).hexdigest()
    (directory / MANIFEST_NAME).write_text(json.dumps(manifest))


def warnings_about(caplog: pytest.LogCaptureFixture, directory: Path) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == CACHE_LOGGER and r.levelno == logging.WARNING and str(directory) in r.getMessage()]


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "model_build", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def assert_clean_cache_error(message: str, path: Path, reason: str) -> None:
    """One sentence naming the cache, the OS's reason and the option to change; no traceback."""
    assert f"Cannot write to the artefact cache {path}" in message, message
    assert reason in message and "cache_dir" in message and "--cache-dir" in message, message
    assert "Traceback" not in message, message


@pytest.fixture(scope="module")
def browser_cache(tmp_path_factory: pytest.TempPathFactory, data_cache_dir: Path) -> Path:
    """A cache holding one SMALL browser-data entry, built once; tests copy it, never change it."""
    root = tmp_path_factory.mktemp("browser-cache")
    ensure_fresh(browser_recipe(data_cache_dir), root)
    return root


@pytest.fixture
def browser_copy(browser_cache: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of `browser_cache`: (cache root, the entry's directory)."""
    root = tmp_path / "cache"
    shutil.copytree(browser_cache, root)
    (entry,) = entry_dirs(root)
    return root, entry


def require_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("mounts a tmpfs and sets chattr +i, which needs root (CI runs as root)")


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """`tmpfs(name, options)` mounts a tmpfs at tmp_path/name; every mount is undone at teardown."""
    require_root()
    mounted: list[Path] = []

    def mount(name: str = "mnt", options: str = "size=8m") -> Path:
        point = tmp_path / name
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], check=True, capture_output=True)
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "--lazy", str(point)], check=False, capture_output=True)


def remount_read_only(point: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True, capture_output=True)


@pytest.fixture
def immutable() -> Iterator[Callable[[Path], None]]:
    """`immutable(path)` sets `chattr +i` on it; cleared at teardown, whatever happened."""
    require_root()
    marked: list[Path] = []

    def mark(path: Path) -> None:
        subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
        marked.append(path)

    yield mark
    for path in marked:
        subprocess.run(["chattr", "-i", str(path)], check=False, capture_output=True)


# -- 1. a malformed manifest makes its entry unusable, never a traceback ----------------------

DEEP = b"[" * 100_000 + b"]" * 100_000
MALFORMED_MANIFESTS = {
    "not JSON": b"{not json",
    "not UTF-8": b'{"files": "\xff\xfe"}',
    "a list": b"[]",
    "a string": b'"manifest"',
    "nested too deep": DEEP,
    "no keys": b"{}",
    "files is a list": None,  # filled from the real manifest below
    "files is a string": None,
    "hash not hex": None,
    "hash a number": None,
    "name with a slash": None,
    "name is ..": None,
    "fingerprint a number": None,
    "inputs a list": None,
    "inputs.recipe a list": None,
    "version true": None,
}


def damage(manifest: dict, how: str) -> dict:
    manifest = json.loads(json.dumps(manifest))
    files = manifest["files"]
    first = sorted(files)[0]
    if how == "files is a list":
        manifest["files"] = [[name, digest] for name, digest in files.items()]
    elif how == "files is a string":
        manifest["files"] = "everything"
    elif how == "hash not hex":
        files[first] = "z" * 64
    elif how == "hash a number":
        files[first] = 7
    elif how == "name with a slash":
        files["../" + first] = files.pop(first)
    elif how == "name is ..":
        files[".."] = files.pop(first)
    elif how == "fingerprint a number":
        manifest["fingerprint"] = 12
    elif how == "inputs a list":
        manifest["inputs"] = ["recipe"]
    elif how == "inputs.recipe a list":
        manifest["inputs"]["recipe"] = ["seed"]
    elif how == "version true":
        manifest["manifest_version"] = True
    return manifest


def write_malformed(directory: Path, how: str) -> None:
    raw = MALFORMED_MANIFESTS[how]
    if raw is None:
        raw = json.dumps(damage(json.loads((directory / MANIFEST_NAME).read_text()), how)).encode()
    (directory / MANIFEST_NAME).write_bytes(raw)


@pytest.mark.parametrize("how", list(MALFORMED_MANIFESTS))
def test_malformed_manifest_is_logged_once_and_rebuilt(how, browser_copy, data_cache_dir, caplog) -> None:
    root, entry = browser_copy
    write_malformed(entry, how)
    recipe = browser_recipe(data_cache_dir)
    with caplog.at_level(logging.WARNING):
        freshness = check_freshness(recipe, root)
    assert not freshness.fresh and freshness.reasons[0].startswith("cache entry damaged")
    assert len(warnings_about(caplog, entry)) == 1, caplog.text
    from model_build.pipeline import recipe_cache

    cache = recipe_cache(recipe, root)  # the cache as the pipeline reads it: with the recipe's check
    assert cache.lookup(entry.name) is None and cache.latest() is None
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        rebuilt = ensure_fresh(recipe, root)
    assert rebuilt.built and rebuilt.directory == entry
    assert len(warnings_about(caplog, entry)) == 1, caplog.text  # the check and the re-check under the lock
    assert ArtefactCache(root).lookup(entry.name) is not None and not leftovers(root)


@pytest.mark.parametrize("how", ["files is a list", "inputs a list", "inputs.recipe a list", "nested too deep"])
def test_a_damaged_other_entry_breaks_no_check_of_this_one(how, browser_copy, data_cache_dir) -> None:
    """latest() reads every entry to say what changed: a damaged one must be skipped, not raise."""
    root, entry = browser_copy
    write_malformed(entry, how)
    other = browser_recipe(data_cache_dir, BrowserDataConfig(train_images=50, test_images=10))
    freshness = check_freshness(other, root)
    assert not freshness.fresh and freshness.reasons == ["no artefacts built yet"]
    assert ensure_fresh(other, root).built
    assert check_freshness(other, root).fresh


def test_readers_never_raise_on_any_kind_of_damage(tmp_path, browser_copy) -> None:
    """The bare cache, with no recipe check: lookup, latest and prune skip every damaged entry."""
    root, entry = browser_copy
    damaged = {}
    # A recipe list in the inputs is well-formed JSON the cache cannot judge: the pipeline's check
    # (inputs must give the fingerprint) refuses it, see test_malformed_manifest_is_logged_once_and_rebuilt.
    for index, how in enumerate(sorted(set(MALFORMED_MANIFESTS) - {"inputs.recipe a list"})):
        directory = root / f"{index:064x}"
        shutil.copytree(entry, directory)
        manifest = json.loads((directory / MANIFEST_NAME).read_text())
        manifest["fingerprint"] = directory.name
        (directory / MANIFEST_NAME).write_text(json.dumps(manifest))
        write_malformed(directory, how)
        damaged[directory.name] = how
    (root / ("f" * 64)).write_text("a file where an entry should be")
    (root / ("e" * 64)).mkdir()  # an entry without a manifest
    newest = entry.stat().st_mtime + 1000
    os.utime(entry, (newest, newest))  # the one entry prune(keep=1) must keep
    cache = ArtefactCache(root)
    for fingerprint in [*damaged, "f" * 64, "e" * 64]:
        assert cache.lookup(fingerprint) is None, damaged.get(fingerprint, fingerprint)
    assert cache.latest().directory == entry  # the one intact entry
    removed = cache.prune(keep=1)
    assert entry.is_dir() and len(removed) == len(damaged) + 1


# -- 2. an entry is usable only with every file its recipe declares ---------------------------


@pytest.mark.parametrize("name", ["model.json", "group1-shard1of1.bin", "metrics.json", "test-sample.png",
                                  "test-sample.json", "teach-features.bin", "teach-sample.json"])
def test_model_entry_without_a_declared_file_is_unusable(name, model_copy, data_cache_dir, caplog) -> None:
    root, entry = model_copy
    rewrite_entry(entry, remove=(name,))  # the manifest agrees: only the recipe knows the file is due
    with caplog.at_level(logging.WARNING):
        freshness = check_freshness(tiny_recipe(data_cache_dir), root)
    assert not freshness.fresh and freshness.reasons == [f"cache entry damaged: {name} is missing"]
    assert len(warnings_about(caplog, entry)) == 1


def test_model_json_naming_a_shard_outside_the_entry_is_unusable(model_copy, data_cache_dir) -> None:
    root, entry = model_copy
    model = json.loads((entry / "model.json").read_text())
    model["weightsManifest"][0]["paths"] = ["../group1-shard1of1.bin"]
    rewrite_entry(entry, replace={"model.json": json.dumps(model).encode()})
    freshness = check_freshness(tiny_recipe(data_cache_dir), root)
    assert not freshness.fresh and "not a file of the entry" in freshness.reasons[0]


def test_browser_data_entry_without_a_declared_file_is_unusable(browser_copy, data_cache_dir) -> None:
    root, entry = browser_copy
    rewrite_entry(entry, remove=(LABELS_BIN,))
    freshness = check_freshness(browser_recipe(data_cache_dir), root)
    assert not freshness.fresh and freshness.reasons == [f"cache entry damaged: {LABELS_BIN} is missing"]
    assert ensure_fresh(browser_recipe(data_cache_dir), root).built
    assert LABELS_BIN in ensure_fresh(browser_recipe(data_cache_dir), root).files


@dataclasses.dataclass
class ForgetfulBrowserData(BrowserDataRecipe):
    """Builds the real files, then loses one: a broken build."""

    forget: str = LABELS_BIN

    def build(self, directory: Path, logger: logging.Logger) -> None:
        super().build(directory, logger)
        (directory / self.forget).unlink()


def test_publish_refuses_a_build_without_a_declared_file(browser_copy, data_cache_dir) -> None:
    root, earlier = browser_copy
    recipe = ForgetfulBrowserData(TINY_DATA, data_cache_dir=data_cache_dir)
    with pytest.raises(ModelBuildError) as caught:
        ensure_fresh(recipe, root)
    message = str(caught.value)
    assert f"{LABELS_BIN} is missing" in message and "nothing was published" in message
    assert entry_dirs(root) == [earlier] and not leftovers(root)
    assert ArtefactCache(root).lookup(earlier.name) is not None


@dataclasses.dataclass
class CopyingMnistRecipe(MnistRecipe):
    """A 'build' that copies a finished entry's files (no training), then spoils them with `spoil`."""

    source: Path | None = None
    spoil: Callable[[Path], None] = lambda directory: None

    def build(self, directory: Path, logger: logging.Logger) -> None:
        for path in self.source.iterdir():
            if path.name != MANIFEST_NAME:
                shutil.copy(path, directory / path.name)
        self.spoil(directory)


def test_publish_refuses_a_model_build_without_its_sample_digits(tiny_artefacts, data_cache_dir, tmp_path) -> None:
    base = tiny_recipe(data_cache_dir, seed=11)
    recipe = CopyingMnistRecipe(base.config, data_cache_dir=data_cache_dir, source=tiny_artefacts.directory,
                                spoil=lambda d: (d / "test-sample.png").unlink())
    with pytest.raises(ModelBuildError, match="test-sample.png is missing"):
        ensure_fresh(recipe, tmp_path)
    assert not entry_dirs(tmp_path) and not leftovers(tmp_path)


# -- 3. metrics.json holds every figure the site reads ----------------------------------------


def spoiled_metrics(metrics: dict, how: str) -> dict:
    metrics = json.loads(json.dumps(metrics))
    if how == "no confusion matrix":
        del metrics["confusion_matrix"]
    elif how == "9 rows":
        metrics["confusion_matrix"] = metrics["confusion_matrix"][:9]
    elif how == "float count":
        metrics["confusion_matrix"][0][0] = 1.5
    elif how == "epoch missing":
        del metrics["history"][0]["epoch"]
    elif how == "no shipped accuracy":
        del metrics["test_accuracy"]["shipped"]
    elif how == "bytes as text":
        metrics["weights"]["shipped_bytes"] = "105 KB"
    elif how == "a list":
        metrics = [metrics]
    elif how == "no drawn figures":
        del metrics["drawn"]
    elif how == "no drawn test part":
        del metrics["drawn"]["test"]
    elif how == "drawn style count as text":
        metrics["drawn"]["test"]["per_style"]["4-open"]["count"] = "2"
    elif how == "drawn accuracy above 1":
        metrics["drawn"]["test"]["accuracy"] = 91.7
    elif how == "no teach sample":
        del metrics["teach_sample"]
    return metrics


METRICS_DAMAGE = {
    "no confusion matrix": "confusion_matrix is missing",
    "9 rows": "confusion_matrix must have 10 items, not 9",
    "float count": "confusion_matrix[0][0] must be an integer",
    "epoch missing": "history[0].epoch is missing",
    "no shipped accuracy": "test_accuracy.shipped is missing",
    "bytes as text": "weights.shipped_bytes must be an integer",
    "a list": "the file must be an object",
    "no drawn figures": "drawn is missing",
    "no drawn test part": "drawn.test is missing",
    "drawn style count as text": "drawn.test.per_style.4-open.count must be an integer",
    "drawn accuracy above 1": "drawn.test.accuracy must be a number from 0 to 1",
    "no teach sample": "teach_sample is missing",
}


@pytest.mark.parametrize(("how", "problem"), list(METRICS_DAMAGE.items()))
def test_entry_whose_metrics_the_site_cannot_read_is_unusable(how, problem, model_copy, data_cache_dir, caplog) -> None:
    root, entry = model_copy
    metrics = spoiled_metrics(json.loads((entry / "metrics.json").read_text()), how)
    rewrite_entry(entry, replace={"metrics.json": json.dumps(metrics).encode()})
    with caplog.at_level(logging.WARNING):
        freshness = check_freshness(tiny_recipe(data_cache_dir), root)
    assert not freshness.fresh
    (reason,) = freshness.reasons
    assert reason.startswith(f"cache entry damaged: metrics.json: {problem}")
    assert len(warnings_about(caplog, entry)) == 1


def test_entry_with_unreadable_metrics_is_rebuilt(model_copy, data_cache_dir) -> None:
    root, entry = model_copy
    metrics = json.loads((entry / "metrics.json").read_text())
    del metrics["history"]
    rewrite_entry(entry, replace={"metrics.json": json.dumps(metrics).encode()})
    rebuilt = ensure_fresh(tiny_recipe(data_cache_dir), root)  # trains the tiny model again (~2 s)
    assert rebuilt.built and "history" in rebuilt.metrics()


@pytest.mark.parametrize("figure", ["history", "drawn"])
def test_publish_refuses_a_model_build_whose_metrics_lack_a_figure(figure, tiny_artefacts, data_cache_dir,
                                                                    tmp_path) -> None:
    def drop_figure(directory: Path) -> None:
        metrics = json.loads((directory / "metrics.json").read_text())
        del metrics[figure]
        (directory / "metrics.json").write_text(json.dumps(metrics))

    base = tiny_recipe(data_cache_dir, seed=12)
    recipe = CopyingMnistRecipe(base.config, data_cache_dir=data_cache_dir, source=tiny_artefacts.directory,
                                spoil=drop_figure)
    with pytest.raises(ModelBuildError, match=f"metrics.json: {figure} is missing"):
        ensure_fresh(recipe, tmp_path)
    assert not entry_dirs(tmp_path) and not leftovers(tmp_path)


def _declared_only(value, shape):
    """`value` with every key the schema does not declare removed."""
    from model_build.mnist.metrics_schema import ListOf, MappingOf

    if isinstance(shape, dict):
        return {key: _declared_only(value[key], inner) for key, inner in shape.items()}
    if isinstance(shape, ListOf):
        return [_declared_only(item, shape.item) for item in value]
    if isinstance(shape, MappingOf):
        return {key: _declared_only(item, shape.value) for key, item in value.items()}
    return value


def test_the_schema_declares_every_key_the_site_reads(tiny_artefacts, tmp_path) -> None:
    """Figures, charts and the build summary work from metrics reduced to the schema's keys:
    if the schema ever drops a key one of them reads, this fails."""
    from digit_model.figures import Figures
    from digit_model.translations import translations_for
    from model_build.charts import confusion_matrix_svg, training_curve_svg
    from model_build.mnist.metrics_schema import METRICS, shape_problem
    from model_build.pipeline import Artefacts

    full = tiny_artefacts.metrics()
    reduced = _declared_only(full, METRICS)
    assert shape_problem(full, METRICS) is None and shape_problem(reduced, METRICS) is None
    assert set(reduced) < set(full)  # the build writes more than the site reads
    for language in ("en", "zh-TW"):
        figures = Figures.from_metrics(reduced, tiny_artefacts.fingerprint, "assets/models/digits/", language, 1000)
        assert figures.text == Figures.from_metrics(full, tiny_artefacts.fingerprint, "assets/models/digits/",
                                                    language, 1000).text
        labels = translations_for(language).section("charts")
        assert training_curve_svg(reduced["history"], labels) == training_curve_svg(full["history"], labels)
        assert confusion_matrix_svg(reduced["confusion_matrix"], labels)
    (tmp_path / "metrics.json").write_text(json.dumps(reduced))
    reduced_entry = Artefacts(tmp_path, tiny_artefacts.fingerprint, ("metrics.json",), built=False,
                              metrics_file=MnistRecipe.metrics_file)
    assert MnistRecipe().summarize(reduced_entry) == MnistRecipe().summarize(tiny_artefacts)


def test_the_schema_checks_every_key_it_declares(tiny_artefacts) -> None:
    from model_build.mnist.metrics_schema import METRICS, shape_problem

    def leaves(shape, path=()):
        if isinstance(shape, dict):
            for key, inner in shape.items():
                yield path + (key,)
                yield from leaves(inner, path + (key,))

    for path in leaves(METRICS):
        metrics = json.loads(json.dumps(tiny_artefacts.metrics()))
        parent = metrics
        for key in path[:-1]:
            parent = parent[key]
        del parent[path[-1]]
        assert shape_problem(metrics, METRICS) == f"{'.'.join(path)} is missing"


# -- 4. a cache that cannot be written: one clear error, nothing half-written ----------------


def test_read_only_cache_in_process(tmpfs, data_cache_dir) -> None:
    point = tmpfs("ro", "ro,size=1m")
    with pytest.raises(ModelBuildError) as caught:
        ensure_fresh(browser_recipe(data_cache_dir), point)
    assert_clean_cache_error(str(caught.value), point, "Read-only file system")
    assert "choose a writable" in str(caught.value)
    assert isinstance(caught.value.__cause__, OSError)


def test_read_only_cache_still_serves_its_entries(tmpfs, data_cache_dir) -> None:
    point = tmpfs("ro", "size=2m")
    earlier = ensure_fresh(browser_recipe(data_cache_dir, TINY_DATA), point)
    remount_read_only(point)
    again = ensure_fresh(browser_recipe(data_cache_dir, TINY_DATA), point)
    assert not again.built and again.directory == earlier.directory
    with pytest.raises(ModelBuildError) as caught:
        ensure_fresh(browser_recipe(data_cache_dir), point)
    assert_clean_cache_error(str(caught.value), point, "Read-only file system")
    assert ArtefactCache(point).lookup(earlier.fingerprint) is not None


def test_immutable_cache_in_process(tmp_path, immutable, data_cache_dir) -> None:
    root = tmp_path / "cache"
    earlier = ensure_fresh(browser_recipe(data_cache_dir, TINY_DATA), root)
    immutable(root)
    with pytest.raises(ModelBuildError) as caught:
        ensure_fresh(browser_recipe(data_cache_dir), root)
    assert_clean_cache_error(str(caught.value), root, "Operation not permitted")
    assert "lsattr" in str(caught.value)
    assert entry_dirs(root) == [earlier.directory] and not leftovers(root)
    assert ArtefactCache(root).lookup(earlier.fingerprint) is not None


def test_empty_immutable_cache_in_process(tmp_path, immutable, data_cache_dir) -> None:
    root = tmp_path / "cache"
    root.mkdir()
    immutable(root)
    with pytest.raises(ModelBuildError) as caught:
        ensure_fresh(browser_recipe(data_cache_dir), root)
    assert_clean_cache_error(str(caught.value), root, "Operation not permitted")
    assert f"{root / '.lock'}: Operation not permitted" in str(caught.value)


@pytest.mark.parametrize("below", [False, True], ids=["the-file", "below-the-file"])
def test_cache_dir_that_is_a_file_in_process(below, tmp_path, data_cache_dir) -> None:
    """No root needed: a regular file where the cache folder (or one above it) should be."""
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    root = blocker / "browser-data" if below else blocker
    with pytest.raises(ModelBuildError) as caught:
        ensure_fresh(browser_recipe(data_cache_dir), root)
    assert_clean_cache_error(str(caught.value), root, "Not a directory" if below else "File exists")
    assert "Something other than a folder is at that path" in str(caught.value)
    assert blocker.read_text() == "not a folder"


def test_full_disk_in_process(tmpfs, data_cache_dir) -> None:
    point = tmpfs("full", "size=64k")
    earlier = ensure_fresh(browser_recipe(data_cache_dir, TINY_DATA), point)
    with pytest.raises(ModelBuildError) as caught:
        ensure_fresh(browser_recipe(data_cache_dir), point)  # ≈ 210 KB of sprite
    assert_clean_cache_error(str(caught.value), point, "No space left on device")
    assert "Free space on that disk" in str(caught.value)
    assert entry_dirs(point) == [earlier.directory] and not leftovers(point)
    assert ArtefactCache(point).lookup(earlier.fingerprint) is not None
    assert ensure_fresh(browser_recipe(data_cache_dir, TINY_DATA), point).directory == earlier.directory


def test_full_disk_while_writing_the_model_in_process(tmpfs, data_cache_dir) -> None:
    """The model's files (~160 KB) do not fit in 128 KiB: the build fails while writing them."""
    point = tmpfs("full", "size=128k")
    with pytest.raises(ModelBuildError) as caught:
        ensure_fresh(tiny_recipe(data_cache_dir, seed=21), point)
    assert_clean_cache_error(str(caught.value), point, "No space left on device")
    assert not entry_dirs(point) and not leftovers(point)


def test_read_only_cache_on_the_command_line(tmpfs) -> None:
    point = tmpfs("ro", "ro,size=1m")
    result = run_cli("build", "--cache-dir", str(point), *TINY_CLI_SETTINGS)
    assert result.returncode == 2, result.stderr
    assert "ERROR Cannot write to the artefact cache" in result.stderr, result.stderr
    assert_clean_cache_error(result.stderr, point, "Read-only file system")


def test_full_disk_on_the_command_line(tmpfs) -> None:
    point = tmpfs("full", "size=128k")
    result = run_cli("build", "--cache-dir", str(point), *TINY_CLI_SETTINGS, "--set=seed=22")
    assert result.returncode == 2, result.stderr
    assert_clean_cache_error(result.stderr, point, "No space left on device")
    assert not leftovers(point)


def test_cache_dir_that_is_a_file_on_the_command_line(tmp_path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    result = run_cli("browser-data", "--cache-dir", str(blocker), "--train-images", "10", "--test-images", "10")
    assert result.returncode == 2, result.stderr
    assert_clean_cache_error(result.stderr, blocker / "browser-data", "Not a directory")


def write_site(directory: Path, cache_dir: Path) -> Path:
    options = {"recipe": dict(TINY_RECIPE), "cache_dir": str(cache_dir),
               "tutorial_train_images": 10, "tutorial_test_images": 10}
    config = {"site_name": "tiny", "theme": {"name": "material", "font": False}, "plugins": [{"digit-model": options}]}
    (directory / "mkdocs.yml").write_text(yaml.safe_dump(config))
    (directory / "docs").mkdir()
    # A tutorial block, so that the site needs the tutorial's browser data.
    (directory / "docs" / "index.md").write_text('# tiny\n\n<div class="digit-tutorial" markdown>\n<p>JS</p>\n</div>\n')
    return directory / "mkdocs.yml"


def site_build_error(config_file: Path, caplog: pytest.LogCaptureFixture) -> str:
    with caplog.at_level(logging.ERROR), pytest.raises(Abort):
        build_site(load_config(str(config_file)))
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)


def test_read_only_cache_in_a_site_build_for_the_model(tmpfs, tmp_path, caplog) -> None:
    """The model's build runs in a child process: its clean error reaches the site build."""
    point = tmpfs("ro", "ro,size=1m")
    message = site_build_error(write_site(tmp_path, point), caplog)
    assert message.startswith("digit-model: "), message
    assert_clean_cache_error(message, point, "Read-only file system")


def test_read_only_cache_in_a_site_build_for_the_tutorial_data(tmpfs, tmp_path, tiny_artefacts, caplog) -> None:
    """The model is fresh in the cache; the tutorial's data is built in-process and cannot be written."""
    point = tmpfs("ro", "size=2m")
    shutil.copytree(tiny_artefacts.directory, point / tiny_artefacts.fingerprint)
    remount_read_only(point)
    message = site_build_error(write_site(tmp_path, point), caplog)
    assert message.startswith("digit-model: "), message
    assert_clean_cache_error(message, point / "browser-data", "Read-only file system")
