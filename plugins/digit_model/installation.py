"""How this package was installed, so that a hint's command works where it is printed.

A checkout of the repository (editable install), a wheel file (PEP 610's `direct_url.json`
names it) and an index install each need a different command; a hint that names the wrong
one would not fix anything.
"""

from __future__ import annotations

import json
import shlex
import sys
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

DISTRIBUTION = "mkdocs-digit-model"
PACKAGE_DIR = Path(__file__).resolve().parent


def checkout_root() -> Path | None:
    """The repository this package runs from (plugins/digit_model in a checkout), or None."""
    root = PACKAGE_DIR.parent.parent
    return root if PACKAGE_DIR.parent.name == "plugins" and (root / "pyproject.toml").is_file() else None


def installed_from() -> Path | None:
    """The wheel file this package was installed from, if pip recorded one that still exists."""
    for distribution in metadata.distributions(name=DISTRIBUTION):
        try:
            url = json.loads(distribution.read_text("direct_url.json") or "{}").get("url", "")
        except (ValueError, AttributeError):
            continue
        path = Path(unquote(urlparse(url).path)) if url.startswith("file://") else None
        if path is not None and path.is_file():
            return path
    return None


def pip_install_command(extra: str | None = None, *, reinstall: bool = False) -> str:
    """`python -m pip install …` of this package (with `extra`) from where it came from, run by
    the interpreter that runs MkDocs now (another `pip` on the PATH may belong elsewhere)."""
    suffix = f"[{extra}]" if extra else ""
    checkout, wheel = checkout_root(), installed_from()
    if checkout is not None:
        requirement = f"-e {shlex.quote(f'{checkout}{suffix}')}"
    elif wheel is not None:
        requirement = shlex.quote(f"{wheel}{suffix}")
    else:
        requirement = shlex.quote(f"{DISTRIBUTION}{suffix}")
    options = " --force-reinstall --no-deps" if reinstall else ""
    return f"{shlex.quote(sys.executable)} -m pip install{options} {requirement}"
