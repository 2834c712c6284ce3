"""Content hashes for the staleness check.

Everything here is plain Python (hashlib, json, importlib.metadata): the freshness check must
run without importing TensorFlow or even NumPy, so that a fresh build costs milliseconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def canonical_json(value: Any) -> bytes:
    """JSON with sorted keys and no whitespace, so equal values hash equally."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest_of_files(files: Iterable[Path], root: Path) -> str:
    """One SHA-256 over several files: their paths relative to `root` and their contents.

    Paths take part so that moving code between modules changes the digest too.
    """
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def distribution_versions(names: Iterable[str]) -> dict[str, str]:
    """Installed versions of distributions, read from metadata (nothing is imported).

    A name may list alternatives with '|' (`tensorflow-cpu|tensorflow`): the first one installed wins
    and is reported under the first name.
    """
    versions: dict[str, str] = {}
    for spec in names:
        alternatives = spec.split("|")
        found = "not installed"
        for name in alternatives:
            try:
                found = f"{name} {metadata.version(name)}" if len(alternatives) > 1 else metadata.version(name)
                break
            except metadata.PackageNotFoundError:
                continue
        versions[alternatives[0]] = found
    return versions


@dataclass(frozen=True)
class FingerprintInputs:
    """What the artefacts depend on. Any change here makes them stale."""

    recipe: Mapping[str, Any]
    code: str
    data: str
    libraries: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"recipe": dict(self.recipe), "code": self.code, "data": self.data, "libraries": dict(self.libraries)}

    def digest(self) -> str:
        return hashlib.sha256(canonical_json(self.as_dict())).hexdigest()

    def changes_since(self, previous: Mapping[str, Any]) -> list[str]:
        """Human-readable list of what differs from an earlier entry's inputs."""
        changes: list[str] = []
        old_recipe = previous.get("recipe", {})
        keys = sorted(set(old_recipe) | set(self.recipe))
        changed_keys = [k for k in keys if old_recipe.get(k) != self.recipe.get(k)]
        if changed_keys:
            changes.append("recipe (" + ", ".join(changed_keys) + ")")
        if previous.get("code") != self.code:
            changes.append("training code")
        if previous.get("data") != self.data:
            changes.append("data")
        old_libs = previous.get("libraries", {})
        for name in sorted(set(old_libs) | set(self.libraries)):
            if old_libs.get(name) != self.libraries.get(name):
                changes.append(f"{name} {old_libs.get(name, '-')} → {self.libraries.get(name, '-')}")
        return changes
