"""Recipe overrides from a YAML or JSON file, read safely: a bad file is one clear RecipeError."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import RecipeError

YAML_SUFFIXES = (".yml", ".yaml")


def read_mapping_file(path: Path) -> Mapping[str, Any]:
    """The mapping in a recipe file: YAML for .yml/.yaml (safe loader: no tags that run code),
    JSON otherwise. An empty file is an empty mapping."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise RecipeError(f"cannot read the recipe file {path}: {error.strerror or error}.") from error
    except UnicodeDecodeError as error:
        raise RecipeError(
            f"the recipe file {path} is not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset {error.start}); "
            "save it as UTF-8."
        ) from error
    value = _parse_yaml(path, text) if path.suffix in YAML_SUFFIXES else _parse_json(path, text)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise RecipeError(
            f"the recipe file {path} must hold a mapping of recipe keys (such as `epochs: 3`), "
            f"not {type(value).__name__} {_preview(value)}."
        )
    return value


def _parse_yaml(path: Path, text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        where = f" at line {error.problem_mark.line + 1}, column {error.problem_mark.column + 1}" if error.problem_mark else ""
        if isinstance(error, yaml.constructor.ConstructorError):
            raise RecipeError(
                f"the recipe file {path} uses a YAML tag that recipe files do not allow{where} ({error.problem}); "
                "write plain values (numbers, strings, lists, mappings)."
            ) from None
        raise RecipeError(f"the recipe file {path} is not valid YAML{where}: {error.problem}.") from None
    except yaml.YAMLError as error:
        raise RecipeError(f"the recipe file {path} is not valid YAML: {error}.") from None


def _parse_json(path: Path, text: str) -> Any:
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RecipeError(
            f"the recipe file {path} is not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}. "
            "(Name it .yml or .yaml if it is YAML.)"
        ) from None


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
