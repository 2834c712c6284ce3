"""The MkDocs plugin on real tiny sites built in a temp dir (Material theme, tiny recipe)."""

from __future__ import annotations

import json
import sys

import pytest
from mkdocs.exceptions import PluginError

from model_build import MnistConfig, MnistRecipe, check_freshness
from model_build.artefact_cache import ArtefactCache
from digit_model import runtime
from digit_model.minified_assets import MINIFIED_DIR
from digit_model.translations import translation_module, translations_for

from .conftest import ROOT, TINY_RECIPE, build_fails, build_site, capture_mkdocs_log, write_site

@pytest.fixture(scope="module")
def built_once(tmp_path_factory):
    """One site, built twice on the same cache: the first build trains, the second must not."""
    directory = tmp_path_factory.mktemp("site")
    config_file = write_site(directory)
    with capture_mkdocs_log() as handler:
        site = build_site(config_file)
        first_log = handler.take()
        build_site(config_file)
        second_log = handler.take()
    return directory, site, first_log, second_log


def test_first_build_trains_and_logs_epochs_and_summary(built_once) -> None:
    _, _, first_log, _ = built_once
    assert "epoch 1/1: loss" in first_log
    assert "model built: test accuracy" in first_log and "fingerprint" in first_log


def test_second_build_is_fresh_and_does_not_train(built_once) -> None:
    _, _, _, second_log = built_once
    assert "model fresh (fingerprint " in second_log
    assert "epoch 1/1" not in second_log and "Building digits model" not in second_log


def test_generated_files_are_in_the_site_with_the_right_bytes(built_once) -> None:
    directory, site, _, _ = built_once
    (entry,) = [p for p in (directory / "cache").iterdir() if len(p.name) == 64]
    model_dir = site / "assets" / "models" / "digits"
    for name in ("model.json", "group1-shard1of1.bin", "metrics.json"):
        assert (model_dir / name).read_bytes() == (entry / name).read_bytes()
    assert (model_dir / "training-curve.svg").read_text().startswith("<svg")
    assert "混淆矩陣" in (model_dir / "confusion-matrix.svg").read_text()
    assert (site / "assets/digit-model/js/translations.js").read_text(encoding="utf-8") == translation_module("zh-TW")
    tfjs = site / "assets" / "digit-model" / "tfjs" / "tf.es2017.min.js"
    # Served from the copy bundled in the package (no `node_modules` setting), byte for byte the npm file.
    assert tfjs.read_bytes() == (ROOT / "node_modules/@tensorflow/tfjs/dist/tf.es2017.min.js").read_bytes()
    assert tfjs.read_bytes() == (runtime.BUNDLED_DIR / "tf.es2017.min.js").read_bytes()
    # Our own code as the package build minified it (`make setup` keeps the copies current).
    for name in ("js/main.js", "js/recognizer.js", "digit-model.css"):
        assert (site / "assets/digit-model" / name).read_bytes() == (MINIFIED_DIR / name).read_bytes(), (
            f"{name} is not the minified copy: run `.venv/bin/python tools/bundle_runtime.py` (make setup does)"
        )
    assert not (directory / "docs" / "assets").exists()  # nothing written into docs/


def test_placeholders_are_replaced_with_the_builds_figures(built_once) -> None:
    directory, site, _, _ = built_once
    html = (site / "index.html").read_text(encoding="utf-8")
    metrics = json.loads((site / "assets/models/digits/metrics.json").read_text())
    assert f"準確度 {100 * metrics['test_accuracy']['float32']:.2f}%" in html
    assert f"上線權重 {100 * metrics['test_accuracy']['shipped']:.2f}%（uint8）" in html
    assert f"{metrics['weights']['shipped_bytes']:,} bytes，{metrics['parameters']:,} 個參數" in html
    assert metrics["parameters"] == 93_322  # the default network, "compact"
    assert "字面：{{ digit_model.test_accuracy }}" in html  # the escaped one stays literal
    assert 'src="assets/models/digits/training-curve.svg"' in html
    assert "<table>" in html and "數字" in html
    assert "digit_model." not in html.replace("{{ digit_model.test_accuracy }}", "")


def test_drawn_benchmark_placeholders_show_the_test_parts_figures(built_once) -> None:
    _, site, _, _ = built_once
    # Numbers are right-aligned columns: compare cells without their alignment.
    html = (site / "index.html").read_text(encoding="utf-8").replace(' style="text-align: right;"', "")
    test = json.loads((site / "assets/models/digits/metrics.json").read_text())["drawn"]["test"]
    styles = test["per_style"]
    label = {name: translations_for("zh-TW").text(f"styles.{name}") for name in styles}  # a zh-TW site
    worst = min(styles, key=lambda name: styles[name]["accuracy"])
    errors = test["count"] - sum(test["confusion"][d][d] for d in range(10))
    assert (
        f"手繪數字 {100 * test['accuracy']:.2f}%（{test['count']} 個，錯 {errors} 個，\n"
        f"其中 {test['confident_errors']} 個信心 ≥ 90%），最弱寫法 {label[worst]}\n"
        f"（{100 * styles[worst]['accuracy']:.2f}%）。"
    ) in html
    # The style table: a row per style, in the benchmark's order, in the page's language.
    assert "<th>寫法</th>" in html and "<th>手繪數字數</th>" in html
    rows = [f"<td>{label[name]}</td>\n<td>{s['count']}</td>\n<td>{100 * s['accuracy']:.1f}%</td>" for name, s in styles.items()]
    assert all(row in html for row in rows) and html.index(rows[0]) < html.index(rows[-1])
    # The confusion table: true → predicted and how many drawn digits.
    assert "<th>實際 → 預測</th>\n<th>手繪數字數</th>" in html
    for pair in test["most_confused"]:
        assert f"<td>{pair['true']} → {pair['predicted']}</td>\n<td>{pair['count']}</td>" in html


CALIBRATION_PAGE = """# 校準

{{ digit_model.network }} 網路，{{ digit_model.redrawn_train_images }} 張重畫（{{ digit_model.habit_edited_train_images }} 張加了習慣）。
溫度 {{ digit_model.calibration_temperature }}，ECE {{ digit_model.calibration_error_before }} → {{ digit_model.calibration_error_after }}（上線 {{ digit_model.drawn_calibration_error }}）。
低於 {{ digit_model.unsure_below }} 就說不確定（容許 {{ digit_model.unsure_error_budget }}）：{{ digit_model.drawn_unsure_digits }} 個，{{ digit_model.drawn_unsure_share }}；其餘答對 {{ digit_model.drawn_confident_accuracy }}。
"""


def test_calibration_and_training_data_placeholders_show_the_builds_figures(built_once, tmp_path) -> None:
    directory, _, _, _ = built_once
    config_file = write_site(tmp_path, cache_dir=directory / "cache", pages={"index.md": CALIBRATION_PAGE})
    site = build_site(config_file)
    html = (site / "index.html").read_text(encoding="utf-8")
    metrics = json.loads((site / "assets/models/digits/metrics.json").read_text())
    data, calibration, test = metrics["data"], metrics["calibration"], metrics["drawn"]["test"]
    assert (metrics["network"], data["redrawn_train_images"]) == ("compact", 300)  # the tiny recipe's
    confident = calibration["test_confident_accuracy"]
    assert (
        f"compact 網路，300 張重畫（{data['habit_edited_train_images']} 張加了習慣）。\n"
        f"溫度 {calibration['temperature']:.2f}，ECE {100 * calibration['test_ece_before']:.2f}% → "
        f"{100 * calibration['test_ece_after']:.2f}%（上線 {100 * test['calibration_error']:.2f}%）。\n"
        f"低於 {round(100 * calibration['unsure_below'])}% 就說不確定（容許 0.5%）："
        f"{round(calibration['test_unsure_share'] * test['count'])} 個，{100 * calibration['test_unsure_share']:.2f}%；"
        f"其餘答對 {'–' if confident is None else f'{100 * confident:.2f}%'}。"
    ) in html


def test_recipe_change_makes_it_stale_and_retrains(built_once, tmp_path) -> None:
    directory, _, _, _ = built_once
    config_file = write_site(tmp_path, {"recipe": {**TINY_RECIPE, "seed": 7}}, cache_dir=directory / "cache")
    with capture_mkdocs_log() as handler:
        build_site(config_file)
    log = handler.take()
    assert "Building digits model (recipe (seed))" in log and "epoch 1/1" in log


def test_train_never_with_stale_weights_fails_with_the_hint(tmp_path) -> None:
    message = build_fails(write_site(tmp_path, {"train": "never"}))
    assert "stale" in message and "DIGIT_MODEL_TRAIN=auto" in message and "train: auto" in message


def test_corrupt_cache_entry_is_rebuilt(built_once, tmp_path) -> None:
    directory, _, _, _ = built_once
    cache = tmp_path / "cache"
    import shutil

    shutil.copytree(directory / "cache", cache)
    # The entry this site uses (the cache also holds other recipes' entries by now).
    fingerprint = check_freshness(MnistRecipe(MnistConfig.from_mapping(TINY_RECIPE)), cache).fingerprint
    entry = cache / fingerprint
    assert ArtefactCache(cache).lookup(fingerprint) is not None
    (entry / "model.json").write_text("{}")
    config_file = write_site(tmp_path, cache_dir=cache)
    site = build_site(config_file)
    assert ArtefactCache(cache).lookup(entry.name) is not None
    assert json.loads((site / "assets/models/digits/model.json").read_text())["format"] == "layers-model"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"train": "sometimes"}, "train"),
        ({"quantize": "int4"}, "quantize"),
        ({"tfjs": "unpkg"}, "tfjs"),
        ({"model_dir": "../outside"}, "model_dir"),
        ({"recipe": {"epochs": "many"}}, "recipe.epochs must be a whole number from 1 to 1,000"),
        ({"recipe": {"quantization": "uint8"}}, "set the top-level `quantize` option"),
        ({"recipe": {"epoch": 3}}, "Unknown recipe key(s) epoch"),
    ],
)
def test_invalid_config_values_name_the_key(tmp_path, options, message) -> None:
    text = build_fails(write_site(tmp_path, options))
    assert message in text
    if message in ("train", "quantize", "tfjs"):
        allowed = {"train": "auto", "quantize": "float16", "tfjs": "local"}[message]
        assert allowed in text  # the allowed values are listed


def test_unknown_placeholder_names_the_page(built_once, tmp_path) -> None:
    directory, _, _, _ = built_once
    config_file = write_site(tmp_path, cache_dir=directory / "cache", pages={"notes/a.md": "{{ digit_model.accurasy }}"})
    assert "notes/a.md uses the unknown placeholder {{ digit_model.accurasy }}" in build_fails(config_file)


def test_missing_node_modules_says_what_to_do(tmp_path) -> None:
    text = build_fails(write_site(tmp_path, {"node_modules": str(tmp_path / "nowhere")}))
    assert "TF.js is not installed" in text and "tfjs: cdn" in text and "set `node_modules:`" in text
    # `nowhere` is not named node_modules: npm installs into nowhere/node_modules, so say to point there.
    assert f"npm install --prefix {tmp_path / 'nowhere'} --save-exact @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0" in text
    assert f"set `node_modules: {tmp_path / 'nowhere' / 'node_modules'}`" in text


def test_cdn_mode_uses_the_pinned_url_and_its_integrity(built_once, tmp_path) -> None:
    import base64
    import hashlib

    local = (ROOT / "node_modules/@tensorflow/tfjs/dist/tf.es2017.min.js").read_bytes()
    assert runtime.CDN_INTEGRITY == "sha384-" + base64.b64encode(hashlib.sha384(local).digest()).decode()
    assert runtime.RUNTIME_BYTES == len(local)
    assert "@4.22.0/" in runtime.CDN_URL
    directory, _, _, _ = built_once
    site = build_site(write_site(tmp_path, {"tfjs": "cdn"}, cache_dir=directory / "cache"))
    assert not (site / "assets/digit-model/tfjs/tf.es2017.min.js").exists()
    config = (site / "assets/digit-model/js/site-config.js").read_text()
    assert f'tfjsSrc = "{runtime.CDN_URL}"' in config and runtime.CDN_INTEGRITY in config
    # The same backends as local: the WASM fallback comes from the same pinned CDN release, with its SRI.
    wasm_script = ROOT / "node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.es2017.min.js"
    wasm_dir = "https://cdn.jsdelivr.net/npm/@tensorflow/tfjs-backend-wasm@4.22.0/dist/"
    assert f'wasmSrc = "{wasm_dir}tf-backend-wasm.es2017.min.js"' in config and f'wasmDir = "{wasm_dir}"' in config
    assert f'wasmIntegrity = "{runtime.integrity_of(wasm_script)}"' in config
    assert not (site / "assets/digit-model/tfjs").exists()


def test_every_pinned_file_matches_the_npm_package(tmp_path) -> None:
    """tfjs_files.json (sizes and SRI, read by the wheel build, the bundled check and the CDN mode)
    describes the bytes npm installs from package-lock.json."""
    for file in runtime.RUNTIME_FILES:
        installed = ROOT / "node_modules" / file.package / file.path
        assert installed.stat().st_size == file.bytes, file.path
        assert runtime.integrity_of(installed) == file.integrity, file.path
    lock = json.loads((ROOT / "package-lock.json").read_text())
    for package in runtime.PACKAGES:
        assert lock["packages"][f"node_modules/{package}"]["version"] == runtime.TFJS_VERSION


def test_damaged_bundled_runtime_says_how_to_repair_it(tmp_path) -> None:
    import shutil

    bundled = tmp_path / "tfjs"
    shutil.copytree(runtime.BUNDLED_DIR, bundled)
    (bundled / "tfjs-backend-wasm.wasm").write_bytes(b"\0")
    (bundled / "tf.es2017.min.js").unlink()
    with pytest.raises(PluginError) as caught:
        runtime.resolve_runtime("local", None, "assets/digit-model/", bundled=bundled)
    message = str(caught.value)
    assert f"incomplete in {bundled} (tf.es2017.min.js is missing; tfjs-backend-wasm.wasm differs from the pinned file)" in message
    # This test environment installs the checkout in editable mode: the repair is the bundling script.
    assert f"Run `{sys.executable} {ROOT / 'tools' / 'bundle_runtime.py'}`" in message
    assert "set `tfjs: cdn`" in message and "set `node_modules:`" in message


def test_disabled_plugin_does_nothing(tmp_path) -> None:
    config_file = write_site(tmp_path, {"enabled": False}, pages={"index.md": "# hi"})
    site = build_site(config_file)
    assert not (site / "assets" / "models").exists()
