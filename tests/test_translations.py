"""The translation tables (plugins/digit_model/locales/) and the module the browser code reads."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from digit_model.translations import (
    BROWSER_NAMESPACES,
    FALLBACK,
    LOCALES,
    PLACEHOLDER,
    Translations,
    table_name,
    translation_module,
    translations_for,
)
from model_build.charts import LABEL_KEYS
from model_build.mnist.drawn.benchmark import REDRAWN_STYLE
from model_build.mnist.drawn.habits import STYLE_NAMES

from .conftest import ROOT, node_executable

TABLES = sorted(path.stem for path in LOCALES.glob("*.json"))
JS_DIR = ROOT / "plugins" / "digit_model" / "assets" / "js"


def read(name: str) -> dict[str, str]:
    return json.loads((LOCALES / f"{name}.json").read_text(encoding="utf-8"))


def test_there_is_a_table_for_each_language_the_site_is_written_in() -> None:
    assert TABLES == ["en", "zh-TW"]


@pytest.mark.parametrize("name", [name for name in TABLES if name != FALLBACK])
def test_every_table_has_the_english_keys_and_placeholders(name) -> None:
    english, other = read(FALLBACK), read(name)
    assert list(other) == list(english)  # same keys, in the same order (easier to review side by side)
    for key, template in english.items():
        assert set(PLACEHOLDER.findall(other[key])) == set(PLACEHOLDER.findall(template)), key


def test_templates_have_no_other_braces() -> None:
    """A `{` that is not a placeholder would read as one in a translator's eyes, but neither
    Python nor JS substitutes it."""
    for name in TABLES:
        for key, template in read(name).items():
            assert "{" not in PLACEHOLDER.sub("", template) and "}" not in PLACEHOLDER.sub("", template), (name, key)


@pytest.mark.parametrize(
    ("language", "table"),
    [("zh-TW", "zh-TW"), ("zh", "zh-TW"), ("zh-CN", "zh-TW"), ("ZH_hant", "zh-TW"), ("en", "en"), ("fr", "en"), ("", "en")],
)
def test_chinese_sites_read_the_traditional_table_and_every_other_site_english(language, table) -> None:
    assert table_name(language) == table
    assert translations_for(language).name == table


def test_a_key_missing_from_a_table_falls_back_to_english(tmp_path) -> None:
    (tmp_path / "en.json").write_text(json.dumps({"a.one": "one", "a.two": "two {n}"}), encoding="utf-8")
    (tmp_path / "zh-TW.json").write_text(json.dumps({"a.one": "一"}), encoding="utf-8")
    translations = Translations.load("zh-TW", tmp_path)
    assert translations.text("a.one") == "一"
    assert translations.text("a.two", n=2) == "two 2"
    assert translations.section("a") == {"one": "一", "two": "two {n}"}


def test_text_fills_placeholders_and_names_what_is_missing() -> None:
    zh = translations_for("zh-TW")
    assert zh.text("blocks.cell", true=4, predicted=9, count=6) == "實際 4、預測 9：6 張"
    assert zh.text("blocks.matrix_caption", total="1,008") == "混淆矩陣：列是實際的數字，欄是模型的預測（1,008 張測試圖）"
    with pytest.raises(KeyError, match=r"`blocks.cell` needs a value for \{count\}"):
        zh.text("blocks.cell", true=4, predicted=9)
    with pytest.raises(KeyError, match="no text `blocks.nothing`"):
        zh.text("blocks.nothing")


def test_the_tables_cover_every_drawing_style_and_chart_label() -> None:
    english = read(FALLBACK)
    assert {key for key in english if key.startswith("styles.")} == {f"styles.{name}" for name in (*STYLE_NAMES, REDRAWN_STYLE)}
    assert {key for key in english if key.startswith("charts.")} == {f"charts.{name}" for name in LABEL_KEYS}
    # English pages name a style by its own name.
    assert all(english[f"styles.{name}"] == name for name in (*STYLE_NAMES, REDRAWN_STYLE))


def test_the_browser_code_uses_exactly_the_browser_keys() -> None:
    """Every key a JS module asks for is in the table (a typo would throw in the reader's browser),
    and every browser key of the table is used."""
    key = re.compile(r'"((?:%s)\.[a-z_]+)"' % "|".join(BROWSER_NAMESPACES))
    used = {match for path in JS_DIR.glob("*.js") for match in key.findall(path.read_text(encoding="utf-8"))}
    browser = {name for name in read(FALLBACK) if name.split(".")[0] in BROWSER_NAMESPACES}
    assert used == browser


def test_no_browser_code_chooses_a_language() -> None:
    for path in JS_DIR.glob("*.js"):
        source = path.read_text(encoding="utf-8")
        assert "documentElement.lang" not in source and 'startsWith("zh")' not in source, path.name


def test_the_module_holds_the_browser_keys_and_runs_with_i18n_js(tmp_path) -> None:
    """The generated translations.js is a valid ES module, and i18n.js fills its templates as
    Translations.text does."""
    zh = translations_for("zh-TW")
    (tmp_path / "translations.js").write_text(translation_module("zh-TW"), encoding="utf-8")
    (tmp_path / "i18n.js").write_bytes((JS_DIR / "i18n.js").read_bytes())
    (tmp_path / "package.json").write_text('{"type": "module"}', encoding="utf-8")  # .js files are ES modules here
    script = (
        'const { text } = await import("./translations.js");'
        'const { t } = await import("./i18n.js");'
        "console.log(JSON.stringify({ keys: Object.keys(text), ready: text['recognizer.ready'],"
        " candidates: t('recognizer.candidates', { first: 4, first_percent: '50.0%', second: 9, second_percent: '40.0%' }),"
        " kept: t('confusion.caption', { truth: 4 }) }));"
    )
    completed = subprocess.run([node_executable(), "--input-type=module", "-e", script], cwd=tmp_path,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["keys"] == [key for key in zh.entries if key.split(".")[0] in BROWSER_NAMESPACES]
    assert result["ready"] == "請在框內寫一個數字（0–9）"
    assert result["candidates"] == zh.text("recognizer.candidates", first=4, first_percent="50.0%", second=9,
                                           second_percent="40.0%") == "4：50.0%，9：40.0%"
    # A value the caller forgot stays visible as its placeholder rather than breaking the block.
    assert result["kept"] == "實際是 4、模型讀成 {predicted} 的測試圖（{count} 張）。點一張放進下面的辨識器："
