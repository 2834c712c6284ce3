"""The tutorial's browser training set on the site side: which pages need it, and its size.

The set itself is a `model_build` recipe (`browser-data`), made fresh by `site_models`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mkdocs.structure.files import Files
from model_build.mnist.browser_data import DESCRIPTION_JSON as DESCRIPTION

if TYPE_CHECKING:
    from model_build import Artefacts


#: The tutorial block as pages write it: an element whose class list holds `digit-tutorial`.
TUTORIAL_BLOCK = re.compile(r"""class\s*=\s*["'](?:[^"']*\s)?digit-tutorial(?=[\s"'])""")


def pages_with_tutorial(files: Files) -> list[str]:
    """The Markdown pages that hold a tutorial block (their source is read once, here)."""
    found = []
    for file in files.documentation_pages():
        try:
            text = file.content_string
        except (OSError, UnicodeDecodeError):
            continue  # MkDocs reports an unreadable page itself when it renders it
        if TUTORIAL_BLOCK.search(text):
            found.append(file.src_uri)
    return found


def data_bytes(artefacts: Artefacts) -> int:
    """What the tutorial page downloads for its data: every file of the entry."""
    return sum(artefacts.path(name).stat().st_size for name in artefacts.files)
