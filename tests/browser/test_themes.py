"""The plugin on MkDocs's built-in themes, not only Material: a tiny site per theme, built for
real and opened in Chromium, where a recognizer block must load the model and predict."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config

from ..conftest import TINY_RECIPE
from .conftest import CSP, SiteServer

PAGE = """# Digits

The model reads {{ digit_model.shipped_accuracy }} of the test digits.

```digit-recognizer
preset: mnist-test-0
panels: [canvas, probabilities]
```
"""


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for every theme's site: the tiny model trains once."""
    return tmp_path_factory.mktemp("theme-model-cache")


def build_theme_site(directory: Path, theme: dict, cache: Path) -> Path:
    config = {
        "site_name": "Theme check",
        "theme": theme,
        # Search in English: MkDocs's Chinese search support needs a segmenter the page lacks.
        "plugins": [{"search": {"lang": ["en"]}}, {"digit-model": {
            "recipe": dict(TINY_RECIPE), "cache_dir": str(cache),
        }}],
    }
    (directory / "docs").mkdir()
    (directory / "docs" / "index.md").write_text(PAGE, encoding="utf-8")
    (directory / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    loaded = load_config(str(directory / "mkdocs.yml"))
    build(loaded)
    return Path(loaded.site_dir)


@pytest.mark.parametrize(
    ("theme", "language", "expected_text"),
    [
        ({"name": "mkdocs"}, "en", "The model reads"),
        ({"name": "readthedocs"}, "en", "The model reads"),
        ({"name": "mkdocs", "locale": "zh_TW"}, "zh", "模型認為"),
    ],
    ids=["mkdocs", "readthedocs", "mkdocs-zh_TW"],
)
def test_a_builtin_theme_site_runs_a_recognizer(browser, tmp_path, model_cache, theme, language, expected_text) -> None:
    # highlight.js comes from a CDN in both built-in themes; this site has no code to highlight.
    site = build_theme_site(tmp_path, {**theme, "highlightjs": False}, model_cache)
    html = (site / "index.html").read_text(encoding="utf-8")
    assert 'class="digit-recognizer"' in html and "digit_model." not in html
    # The built-in themes write small inline scripts of their own, so the strict policy is
    # relaxed for them only: our code must still need nothing but 'self'.
    server = SiteServer(site, csp=CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'"))
    context = browser.new_context()
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server.url)
        page.wait_for_function(
            "() => { const r = document.querySelector('.digit-recognizer');"
            " return r && r.dataset.state === 'predicted' && !r.digitRecognizer.busy; }",
            timeout=60_000,
        )
        result = page.evaluate("() => document.querySelector('.digit-recognizer').digitRecognizer.lastResult")
        assert 0 <= result["top"] <= 9 and abs(sum(result["probabilities"]) - 1) < 1e-3
        assert page.evaluate("() => document.documentElement.lang").startswith(language)
        assert expected_text in page.locator(".digit-recognizer").inner_text()
        assert errors == []
    finally:
        context.close()
        server.close()
