"""Markdown blocks in real tiny MkDocs sites: the plugin registers the fences by itself."""

from __future__ import annotations

import re

import pytest
import yaml

from .conftest import build_fails, build_site, write_site

PAGE = """# Blocks

```digit-recognizer
```

```digit-recognizer
panels: [canvas, probabilities]
preset: mnist-test-3
size: 200
```

```digit-confusion
```
"""
#: A block inside an admonition (needs the site's `admonition` extension).
NESTED = """
!!! example "Nested"

    ```digit-recognizer
    preset: mnist-test-5
    ```
"""


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """One cache for the module: the tiny model trains once."""
    return tmp_path_factory.mktemp("cache")


def test_blocks_render_without_any_markdown_extensions_configured(tmp_path, cache_dir) -> None:
    config_file = write_site(tmp_path, pages={"index.md": PAGE}, cache_dir=cache_dir)
    assert "markdown_extensions" not in yaml.safe_load(config_file.read_text())
    html = (build_site(config_file) / "index.html").read_text(encoding="utf-8")
    blocks = re.findall(r'<div class="digit-recognizer(?: [^"]*)?"([^>]*)>', html)
    assert len(blocks) == 3  # bare, preset, and the one inside the confusion explorer
    assert 'data-panels="canvas steps input probabilities saliency teach"' in blocks[0]
    assert 'data-preset="mnist-test-3"' in blocks[1] and 'data-size="200"' in blocks[1]
    assert html.count('class="dc-cell"') >= 1 and "digit-confusion" in html
    assert html.count('class="digit-recognizer__fallback"') == 3
    assert "```" not in html


def test_the_sites_own_custom_fences_are_kept(tmp_path, cache_dir) -> None:
    config_file = write_site(tmp_path, pages={"index.md": PAGE + NESTED + "\n```mermaid\ngraph LR; a-->b\n```\n"}, cache_dir=cache_dir)
    config = yaml.safe_load(config_file.read_text())
    config["markdown_extensions"] = [
        "admonition",
        {"pymdownx.superfences": {"custom_fences": [{"name": "mermaid", "class": "mermaid", "format": "!!python/name:pymdownx.superfences.fence_code_format"}]}},
    ]
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True).replace("'!!python/name:pymdownx.superfences.fence_code_format'", "!!python/name:pymdownx.superfences.fence_code_format"))
    html = (build_site(config_file) / "index.html").read_text(encoding="utf-8")
    assert '<pre class="mermaid"><code>graph LR; a--&gt;b</code></pre>' in html
    assert 'data-preset="mnist-test-3"' in html
    assert re.search(r'<div class="admonition example">.*?<div class="digit-recognizer"[^>]*data-preset="mnist-test-5"', html, re.S)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("saliency: occlusion", "option `saliency`: got 'occlusion'; expected one of gradient, smoothgrad"),
        ("preset: mnist-test-99999", "option `preset`: test digit 99999 is not in the build's test sample; the sample holds 0–99"),
        ("colour: red", "option `colour`: unknown option; the options are panels, size, saliency, preset"),
    ],
)
def test_an_invalid_option_fails_the_build_naming_page_option_and_what_is_allowed(tmp_path, cache_dir, body, expected) -> None:
    page = f"# Post\n\nSome text.\n\n```digit-recognizer\n{body}\n```\n"
    config_file = write_site(tmp_path, pages={"index.md": "# Home\n", "posts/bad.md": page}, cache_dir=cache_dir)
    message = build_fails(config_file)
    assert f"digit-model: docs/posts/bad.md, line 5: ```digit-recognizer block, {expected}" in message
