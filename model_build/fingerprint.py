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
#: `distribution_versions`' value for a distribution that is not installed.
NOT_INSTALLED = "not installed"
#: The value of an input this machine cannot see (see `FingerprintInputs.unavailable`).
UNAVAILABLE = "unavailable here"
#: The inputs a recipe may be unable to see here. The recipe and the code are always known: they
#: are what this process runs.
MAY_BE_UNAVAILABLE = ("data", "libraries")


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
    and is reported under the first name. One installed under none of its names is `NOT_INSTALLED`.
    """
    versions: dict[str, str] = {}
    for spec in names:
        alternatives = spec.split("|")
        found = NOT_INSTALLED
        for name in alternatives:
            try:
                found = f"{name} {metadata.version(name)}" if len(alternatives) > 1 else metadata.version(name)
                break
            except metadata.PackageNotFoundError:
                continue
        versions[alternatives[0]] = found
    return versions


def not_installed(versions: Mapping[str, str]) -> list[str]:
    """The names that `distribution_versions` found under none of their alternatives."""
    return [name for name, version in versions.items() if version == NOT_INSTALLED]


def library_label(name: str, version: str) -> str:
    """`keras 3.15.1` for an entry of `distribution_versions` (`tensorflow-cpu 2.21.0` already says its name)."""
    return version if " " in version else f"{name} {version}"


@dataclass(frozen=True)
class FingerprintInputs:
    """What the artefacts depend on. Any change here makes them stale.

    `unavailable` names the inputs this machine cannot see, each with why (a sentence that says
    what to install or provide): the data when no copy of it is here, the libraries when one the
    build needs is not installed (then the versions here say nothing about how an entry was
    made, so none of them is compared). Their values here are placeholders (`UNAVAILABLE`, or
    `NOT_INSTALLED` versions). The digest still covers them, so a key computed here never equals
    the key of a machine that sees everything; `changes_since` skips them, so an entry whose
    other inputs are equal may stand in (see `pipeline.check_freshness`). An input a recipe
    cannot see is one it cannot build from: no entry is ever made with one unavailable, and
    `unavailable` is recorded in no manifest.
    """

    recipe: Mapping[str, Any]
    code: str
    data: str
    libraries: Mapping[str, str] = field(default_factory=dict)
    unavailable: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.unavailable) - set(MAY_BE_UNAVAILABLE))
        if unknown:
            raise ValueError(f"only {' and '.join(MAY_BE_UNAVAILABLE)} may be unavailable, not {', '.join(unknown)}")

    def as_dict(self) -> dict[str, Any]:
        """The inputs as a manifest records them (without `unavailable`: see the class)."""
        return {"recipe": dict(self.recipe), "code": self.code, "data": self.data, "libraries": dict(self.libraries)}

    def digest(self) -> str:
        return hashlib.sha256(canonical_json(self.as_dict())).hexdigest()

    def changes_since(self, previous: Mapping[str, Any]) -> list[str]:
        """Human-readable list of what differs from an earlier entry's inputs, among those seen here."""
        changes: list[str] = []
        old_recipe = previous.get("recipe", {})
        keys = sorted(set(old_recipe) | set(self.recipe))
        changed_keys = [k for k in keys if old_recipe.get(k) != self.recipe.get(k)]
        if changed_keys:
            changes.append("recipe (" + ", ".join(changed_keys) + ")")
        if previous.get("code") != self.code:
            changes.append("training code")
        if "data" not in self.unavailable and previous.get("data") != self.data:
            changes.append("data")
        if "libraries" not in self.unavailable:
            old_libs = previous.get("libraries", {})
            for name in sorted(set(old_libs) | set(self.libraries)):
                if old_libs.get(name) != self.libraries.get(name):
                    changes.append(f"{name} {old_libs.get(name, '-')} → {self.libraries.get(name, '-')}")
        return changes

    def uncompared(self, previous: Mapping[str, Any]) -> str:
        """What an earlier entry that stands in for these inputs was made with that this machine cannot check.

        E.g. `built with tensorflow-cpu 2.21.0, which is not installed here; its data is not here to compare`.
        """
        notes: list[str] = []
        if "libraries" in self.unavailable:
            old_libs = previous.get("libraries", {})
            for name, old in sorted(old_libs.items()):
                here = self.libraries.get(name, NOT_INSTALLED)
                if old != here and old != NOT_INSTALLED:
                    where = "which is not installed here" if here == NOT_INSTALLED else f"here {library_label(name, here)}"
                    notes.append(f"built with {library_label(name, str(old))}, {where}")
        if "data" in self.unavailable:
            notes.append("its data is not here to compare")
        return "; ".join(notes)
