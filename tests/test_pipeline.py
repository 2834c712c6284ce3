"""The staleness cache and `ensure_fresh`: train only when needed, never publish half a build."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from model_build import StaleArtefactsError, check_freshness, ensure_fresh
from model_build.artefact_cache import MANIFEST_NAME, ArtefactCache
from model_build.mnist import recipe as recipe_module
from model_build.mnist.drawn import benchmark as drawn_module
from model_build.mnist.drawn.benchmark import BENCHMARK_SEED, REDRAWN_STYLE
from model_build.mnist.drawn.habits import STYLES

from .conftest import ROOT, TINY_RECIPE, tiny_recipe

TINY_CLI_SETTINGS = [f"--set={key}={json.dumps(value)}" for key, value in TINY_RECIPE.items()]


def cli(command: str, *overrides: str, cache: Path, **popen) -> subprocess.Popen:
    """`python -m model_build COMMAND` on the tiny recipe; `overrides` come last, so they win."""
    return subprocess.Popen(
        [sys.executable, "-m", "model_build", command, "--cache-dir", str(cache), *TINY_CLI_SETTINGS, *overrides],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen,
    )


def test_first_build_trains_second_is_fresh(tiny_artefacts, data_cache_dir) -> None:
    assert tiny_artefacts.built
    assert set(tiny_artefacts.files) == {
        "model.json", "group1-shard1of1.bin", "metrics.json", "test-sample.json", "test-sample.png",
        "teach-sample.json", "teach-features.bin",
    }
    assert (tiny_artefacts.directory / MANIFEST_NAME).is_file()
    again = ensure_fresh(tiny_recipe(data_cache_dir), tiny_artefacts.directory.parent)
    assert not again.built and again.fingerprint == tiny_artefacts.fingerprint


def test_metrics_hold_the_promised_figures(tiny_artefacts) -> None:
    metrics = tiny_artefacts.metrics()
    assert metrics["parameters"] == 93_322  # the compact network (network.py)
    assert metrics["weights"] == {
        "quantization": "uint8", "float32_bytes": 373_288, "shipped_bytes": 93_322,
        "files": ["model.json", "group1-shard1of1.bin"],
    }
    assert 0.8 < metrics["test_accuracy"]["float32"] <= 1 and 0.8 < metrics["test_accuracy"]["shipped"] <= 1
    confusion = metrics["confusion_matrix"]
    assert len(confusion) == 10 and sum(map(sum, confusion)) == TINY_RECIPE["test_subset"]
    correct = sum(confusion[i][i] for i in range(10))
    assert correct / TINY_RECIPE["test_subset"] == pytest.approx(metrics["test_accuracy"]["shipped"])
    assert len(metrics["per_class_accuracy"]["shipped"]) == 10
    assert [h["epoch"] for h in metrics["history"]] == [1]
    assert {"data", "training", "evaluation", "export"} <= set(metrics["seconds"])
    assert {"tensorflow-cpu", "keras", "numpy", "python"} <= set(metrics["versions"])
    top = metrics["most_confused"][0]
    assert top["count"] == max(confusion[t][p] for t in range(10) for p in range(10) if t != p)


def test_metrics_hold_the_drawn_benchmark_figures(tiny_artefacts) -> None:
    """Both parts scored, every figure consistent with the part's confusion matrix and its styles."""
    metrics = tiny_artefacts.metrics()
    drawn, sizes = metrics["drawn"], TINY_RECIPE["drawn_benchmark"]
    assert (drawn["seed"], drawn["habits_per_digit"], drawn["redrawn_per_digit"]) == (
        BENCHMARK_SEED, sizes["habits_per_digit"], sizes["redrawn_per_digit"])
    assert sum(drawn["digits"].values()) == 10 * (sizes["habits_per_digit"] + sizes["redrawn_per_digit"])
    assert {"drawn_data", "drawn_evaluation"} <= set(metrics["seconds"])
    digit_of = {style.name: style.digit for style in STYLES}
    for part in ("validation", "test"):
        figures, count = drawn[part], drawn["digits"][part]
        confusion, per_style = figures["confusion"], figures["per_style"]
        assert figures["count"] == count == sum(map(sum, confusion)) == sum(s["count"] for s in per_style.values())
        assert list(per_style) == [*digit_of, REDRAWN_STYLE]  # every style, in benchmark order
        assert per_style[REDRAWN_STYLE]["count"] == 10 * sizes["redrawn_per_digit"] // 2
        correct = sum(confusion[d][d] for d in range(10))
        assert figures["accuracy"] == pytest.approx(correct / count)
        assert sum(round(s["accuracy"] * s["count"]) for s in per_style.values()) == correct
        for digit in range(10):
            row = confusion[digit]
            styles = sum(s["count"] for name, s in per_style.items() if digit_of.get(name) == digit)
            assert sum(row) == styles + sizes["redrawn_per_digit"] // 2
            assert figures["per_digit_accuracy"][digit] == pytest.approx(row[digit] / sum(row), abs=1e-6)
        cells = sorted((-confusion[t][p], t, p) for t in range(10) for p in range(10) if t != p and confusion[t][p])
        assert figures["most_confused"] == [{"true": t, "predicted": p, "count": -c} for c, t, p in cells[:8]]
        assert 0 <= figures["confident_errors"] <= count - correct


def test_shipped_weights_carry_the_temperature_fitted_on_the_drawn_validation_part(tiny_artefacts, mnist, data_cache_dir) -> None:
    """The build folds T into the last layer: refitting on the shipped weights finds nothing left to fix."""
    from model_build.calibration import choose_unsure_threshold, fit_temperature, logits_of, softmax
    from model_build.mnist.build import shipped_model

    metrics = tiny_artefacts.metrics()
    calibration = metrics["calibration"]
    assert calibration["temperature"] > 0 and 0.5 <= calibration["unsure_below"] <= 0.99
    model = shipped_model(tiny_artefacts.directory)
    benchmark = drawn_module.load_drawn_benchmark(
        mnist.test_images, mnist.test_labels, BENCHMARK_SEED, data_cache_dir, **TINY_RECIPE["drawn_benchmark"])
    logits = logits_of(model, benchmark.validation.pixels[..., None])
    labels = benchmark.validation.labels
    # uint8 rounding of the folded weights moves the logits a little, never by a tenth of T.
    assert fit_temperature(logits, labels) == pytest.approx(1.0, abs=0.1)
    assert choose_unsure_threshold(softmax(logits), labels) == pytest.approx(calibration["unsure_below"], abs=0.02)
    assert metrics["data"]["redrawn_train_images"] == TINY_RECIPE["redrawn_training"]["images"]
    assert 0 < metrics["data"]["habit_edited_train_images"] < metrics["data"]["redrawn_train_images"]


def test_drawn_figures_are_those_of_the_shipped_files(tiny_artefacts, mnist, data_cache_dir) -> None:
    """Scoring the weights read back from the entry's files gives exactly metrics.json's figures."""
    from model_build.mnist.build import shipped_model
    from model_build.mnist.drawn.scores import predict, score

    drawn = tiny_artefacts.metrics()["drawn"]
    model = shipped_model(tiny_artefacts.directory)
    benchmark = drawn_module.load_drawn_benchmark(  # the build's cache (test_drawn_digits checks it)
        mnist.test_images, mnist.test_labels, BENCHMARK_SEED, data_cache_dir, **TINY_RECIPE["drawn_benchmark"])
    for name, part in benchmark.parts():
        assert json.loads(json.dumps(score(predict(model, part), part).to_dict())) == drawn[name]


def test_a_second_build_reads_the_drawn_benchmark_from_the_data_cache(
    tiny_artefacts, data_cache_dir, mnist, tmp_path, monkeypatch
) -> None:
    key = drawn_module.cache_key(mnist.test_images, mnist.test_labels, BENCHMARK_SEED, **TINY_RECIPE["drawn_benchmark"])
    (cached,) = data_cache_dir.glob(f"drawn-digits-*-{key[:16]}.npz")  # written by the first build
    written = cached.stat().st_mtime_ns

    def must_not_generate(*args, **kwargs):
        raise AssertionError("the drawn-digit benchmark was generated again although the data cache holds it")

    monkeypatch.setattr(drawn_module, "drawn_digit_benchmark", must_not_generate)
    again = ensure_fresh(tiny_recipe(data_cache_dir, train_subset=500), tmp_path)  # another model, same benchmark
    assert again.built and again.metrics()["drawn"]["digits"] == tiny_artefacts.metrics()["drawn"]["digits"]
    assert cached.stat().st_mtime_ns == written


def test_recipe_change_is_stale_with_the_reason(tiny_artefacts, data_cache_dir) -> None:
    freshness = check_freshness(tiny_recipe(data_cache_dir, seed=99), tiny_artefacts.directory.parent)
    assert not freshness.fresh and freshness.reasons == ["recipe (seed)"]


def test_code_change_is_stale(tiny_artefacts, data_cache_dir, monkeypatch, tmp_path) -> None:
    extra = tmp_path / "model_build" / "extra.py"
    extra.parent.mkdir()
    extra.write_text("# pretend training code\n")
    original = recipe_module.artefact_code_files()
    monkeypatch.setattr(recipe_module, "PACKAGE_ROOT", tmp_path / "model_build")
    monkeypatch.setattr(recipe_module, "artefact_code_files", lambda: [extra])
    freshness = check_freshness(tiny_recipe(data_cache_dir), tiny_artefacts.directory.parent)
    assert "training code" in freshness.reasons
    assert any(p.name == "training.py" for p in original) and not any(p.name == "cli.py" for p in original)


def test_library_versions_take_part(tiny_artefacts, data_cache_dir, monkeypatch) -> None:
    real = recipe_module.distribution_versions
    monkeypatch.setattr(recipe_module, "distribution_versions", lambda names: {**real(names), "keras": "9.9.9"})
    freshness = check_freshness(tiny_recipe(data_cache_dir), tiny_artefacts.directory.parent)
    assert any(reason.startswith("keras ") and reason.endswith("→ 9.9.9") for reason in freshness.reasons)


def test_train_never_with_stale_artefacts_says_what_changed(tiny_artefacts, data_cache_dir) -> None:
    with pytest.raises(StaleArtefactsError) as caught:
        ensure_fresh(tiny_recipe(data_cache_dir, seed=98), tiny_artefacts.directory.parent, train="never")
    message = str(caught.value)
    assert "recipe (seed)" in message and "training is disabled" in message


def test_corrupt_entry_is_rebuilt(tmp_path, data_cache_dir, caplog) -> None:
    recipe = tiny_recipe(data_cache_dir, train_subset=500)
    first = ensure_fresh(recipe, tmp_path)
    shard = first.path("group1-shard1of1.bin")
    shard.write_bytes(b"\0" * shard.stat().st_size)  # same size, wrong bytes
    assert not check_freshness(recipe, tmp_path).fresh
    rebuilt = ensure_fresh(recipe, tmp_path)
    assert rebuilt.built and rebuilt.directory == first.directory
    assert ArtefactCache(tmp_path).lookup(rebuilt.fingerprint) is not None
    assert "does not match its recorded hash" in caplog.text


def test_failed_build_publishes_nothing(tmp_path) -> None:
    cache = ArtefactCache(tmp_path)
    good = cache.publish("a" * 64, lambda d: (d / "x.txt").write_text("good"))

    def half_then_crash(directory: Path) -> None:
        (directory / "x.txt").write_text("half")
        raise RuntimeError("killed mid-build")

    with pytest.raises(RuntimeError):
        cache.publish("b" * 64, half_then_crash)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".lock") == ["a" * 64]
    assert cache.lookup("a" * 64).directory == good.directory
    assert (good.directory / "x.txt").read_text() == "good"


def test_killed_training_leaves_the_last_good_artefacts(tmp_path) -> None:
    good = cli("build", cache=tmp_path)
    assert good.wait(timeout=300) == 0, good.stdout.read()
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    # A longer build (different recipe), killed as soon as it has started training.
    victim = cli("build", "--set=epochs=50", cache=tmp_path)
    for line in victim.stdout:
        if line.startswith("INFO epoch 1/50"):
            break
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=60)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".staging-")]
    assert leftovers, "the killed build should have left its staging directory"
    entries = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir() if len(p.name) == 64}
    assert entries == {k: v for k, v in before.items() if len(k) == 64}
    (fingerprint,) = entries
    assert ArtefactCache(tmp_path).lookup(fingerprint) is not None
    # The next build sweeps the leftovers.
    again = cli("build", "--set=seed=5", cache=tmp_path)
    assert again.wait(timeout=300) == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".staging-")]


def test_two_builds_at_once_train_once(tmp_path) -> None:
    first, second = cli("build", cache=tmp_path), cli("build", cache=tmp_path)
    outputs = [first.communicate(timeout=300)[0], second.communicate(timeout=300)[0]]
    assert first.returncode == 0 and second.returncode == 0, outputs
    assert sum("Building digits model" in out for out in outputs) == 1
    entries = [p for p in tmp_path.iterdir() if len(p.name) == 64]
    assert len(entries) == 1 and ArtefactCache(tmp_path).lookup(entries[0].name) is not None


def test_freshness_check_imports_neither_tensorflow_nor_numpy(tiny_artefacts, data_cache_dir) -> None:
    probe = (
        "import sys, json\n"
        "from pathlib import Path\n"
        "from model_build import MnistConfig, MnistRecipe, check_freshness\n"
        f"recipe = MnistRecipe(MnistConfig.from_mapping({TINY_RECIPE!r}))\n"
        f"fresh = check_freshness(recipe, Path({str(tiny_artefacts.directory.parent)!r})).fresh\n"
        "print(json.dumps([fresh, 'tensorflow' in sys.modules, 'keras' in sys.modules, 'numpy' in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [True, False, False, False]


def test_cli_check_exit_codes(tiny_artefacts) -> None:
    fresh = cli("check", cache=tiny_artefacts.directory.parent)
    assert fresh.wait(timeout=60) == 0 and fresh.stdout.read().startswith("fresh ")
    stale = cli("check", "--set=seed=4", cache=tiny_artefacts.directory.parent)
    assert stale.wait(timeout=60) == 1 and "recipe (seed)" in stale.stdout.read()
    bad = cli("check", "--set=epochs=-1", cache=tiny_artefacts.directory.parent)
    assert bad.wait(timeout=60) == 2 and "recipe.epochs must be" in bad.stdout.read()


def test_prune_keeps_the_newest_entries_and_leaves_other_folders(tmp_path) -> None:
    cache = ArtefactCache(tmp_path)
    (tmp_path / "data").mkdir()
    for index, digit in enumerate("abcd"):
        entry = cache.publish(digit * 64, lambda d: (d / "x").write_text(digit))
        os.utime(entry.directory, (1_000_000 + index, 1_000_000 + index))
    assert cache.prune(keep=3) == ["a" * 64]
    assert {p.name for p in tmp_path.iterdir() if p.name != ".lock"} == {"b" * 64, "c" * 64, "d" * 64, "data"}
