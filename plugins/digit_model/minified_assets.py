"""Which of the plugin's own assets the site serves minified.

The package build (tools/bundle_runtime.py) minifies every `.js` and `.css` of `assets/` into
`assets-min/` and records, in `assets-min/minified.json`, the SHA-256 of the source each copy
was made from. A copy is served only while its source still has that hash: in a checkout where
someone edits `recognizer.js`, that file is served as written (and the rest stay minified) until
`make setup` runs again, so `mkdocs serve` never shows stale code. Without the folder (a
checkout before its first `make setup`) every asset is served as written.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

MINIFIED_DIR = Path(__file__).resolve().parent / "assets-min"
MINIFIED_STAMP = "minified.json"


def served_assets(assets: Path, minified: Path = MINIFIED_DIR) -> dict[str, Path]:
    """Every file of `assets` (path relative to it, with /) → the file to serve for it."""
    copies = _recorded_copies(minified)
    served: dict[str, Path] = {}
    for path in sorted(assets.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(assets).as_posix()
        copy = minified / name
        current = name in copies and copies[name] == hashlib.sha256(path.read_bytes()).hexdigest()
        served[name] = copy if current and copy.is_file() else path
    return served


def _recorded_copies(minified: Path) -> dict[str, str]:
    """Copy name → the SHA-256 of the source it was made from; empty without a readable stamp."""
    try:
        stamp = json.loads((minified / MINIFIED_STAMP).read_text(encoding="utf-8"))
        return {name: entry["source_sha256"] for name, entry in stamp["files"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
