"""The tutorial's browser training set: made fresh through `model_build`, added to the site.

It is built in-process (NumPy only, ~2 s when stale, milliseconds when fresh) and cached in its
own folder under the plugin's cache, so that pruning the model's entries never deletes it and
the other way round.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from model_build.mnist.browser_data import CACHE_SUBDIR
from model_build.mnist.browser_data import DESCRIPTION_JSON as DESCRIPTION

from .config import DigitModelConfig

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


def ensure_tutorial_data(config: DigitModelConfig, cache_dir: Path, data_path: Path | None, data_cache_dir: Path | None,
                         logger: logging.Logger) -> Artefacts:
    """Fresh browser-data artefacts, built first if stale.

    Making them is not training, so it happens whatever the `train` policy says.
    """
    from model_build import ensure_fresh
    from model_build.mnist import BrowserDataConfig, BrowserDataRecipe

    recipe = BrowserDataRecipe(
        BrowserDataConfig(train_images=config.tutorial_train_images, test_images=config.tutorial_test_images),
        data_path=data_path,
        data_cache_dir=data_cache_dir,
    )
    artefacts = ensure_fresh(recipe, cache_dir / CACHE_SUBDIR, train="auto", logger=logger)
    state = "built" if artefacts.built else "fresh"
    logger.info("browser training data %s: %s bytes (fingerprint %s)", state, f"{data_bytes(artefacts):,}",
                artefacts.fingerprint[:12])
    return artefacts


def data_bytes(artefacts: Artefacts) -> int:
    """What the tutorial page downloads for its data: every file of the entry."""
    return sum(artefacts.path(name).stat().st_size for name in artefacts.files)


def tutorial_files(config: MkDocsConfig, artefacts: Artefacts, data_dir: str) -> list[File]:
    """The entry's files as generated site files under `data_dir`."""
    return [File.generated(config, data_dir + name, abs_src_path=str(artefacts.path(name))) for name in artefacts.files]
