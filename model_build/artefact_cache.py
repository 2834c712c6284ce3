"""A content-addressed store of build outputs.

Layout of a cache directory::

    <root>/<fingerprint>/            one published entry: the outputs plus manifest.json
    <root>/.staging-<fp>-<pid>-<n>/  an entry being built (never read; swept on the next build)
    <root>/.lock                     held while building, so two builds never race

Entries are the directories named by a 64-digit hex fingerprint; anything else under the root
(such as the decoded-data cache the CLI and the plugin keep in `<root>/data/`) is left alone.

An entry is published by renaming a finished, fsynced staging directory into place, which is
atomic on POSIX: a reader sees the whole entry or none of it, and a killed build leaves only a
staging directory behind. `manifest.json` is written last and lists every file's SHA-256; an entry
whose files do not match it is treated as absent and rebuilt.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import itertools
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .fingerprint import sha256_file

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
_STAGING_PREFIX = ".staging-"
_TRASH_PREFIX = ".trash-"
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CacheEntry:
    """A published, verified entry."""

    directory: Path
    manifest: Mapping[str, Any]

    @property
    def fingerprint(self) -> str:
        return self.manifest["fingerprint"]

    @property
    def files(self) -> dict[str, str]:
        """File name → SHA-256, as recorded at publish time."""
        return dict(self.manifest["files"])

    @property
    def inputs(self) -> Mapping[str, Any]:
        return self.manifest.get("inputs", {})


class ArtefactCache:
    """Publishes and finds entries by fingerprint under one root directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._staging_counter = itertools.count()

    # -- reading -------------------------------------------------------------------------------

    def lookup(self, fingerprint: str) -> CacheEntry | None:
        """The entry for `fingerprint` if it exists and its files match its manifest."""
        directory = self.root / fingerprint
        problem = self._problem_with(directory, fingerprint)
        if problem is None:
            return CacheEntry(directory, self._read_manifest(directory))
        if directory.exists():
            log.warning("Cache entry %s is unusable (%s); it will be rebuilt.", fingerprint[:12], problem)
        return None

    def latest(self) -> CacheEntry | None:
        """The most recently published entry that still verifies, if any."""
        candidates = sorted(
            (d for d in self._entry_dirs()),
            key=lambda d: (d / MANIFEST_NAME).stat().st_mtime if (d / MANIFEST_NAME).exists() else 0,
            reverse=True,
        )
        for directory in candidates:
            if self._problem_with(directory, directory.name) is None:
                return CacheEntry(directory, self._read_manifest(directory))
        return None

    def _entry_dirs(self) -> Iterator[Path]:
        """Published entries only: other things may share the root (the CLI keeps `data/` there)."""
        if not self.root.is_dir():
            return iter(())
        return (d for d in self.root.iterdir() if d.is_dir() and _FINGERPRINT.fullmatch(d.name))

    @staticmethod
    def _read_manifest(directory: Path) -> dict[str, Any]:
        return json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))

    def _problem_with(self, directory: Path, fingerprint: str) -> str | None:
        """Why `directory` is not a valid entry for `fingerprint`, or None if it is."""
        manifest_path = directory / MANIFEST_NAME
        if not manifest_path.is_file():
            return "no manifest" if directory.exists() else "missing"
        try:
            manifest = self._read_manifest(directory)
            files = manifest["files"]
            recorded = manifest["fingerprint"]
        except (ValueError, KeyError, TypeError) as error:
            return f"unreadable manifest: {error}"
        if recorded != fingerprint:
            return f"manifest is for {str(recorded)[:12]}"
        for name, expected in files.items():
            path = directory / name
            if not path.is_file():
                return f"{name} is missing"
            if sha256_file(path) != expected:
                return f"{name} does not match its recorded hash"
        return None

    # -- writing -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the cache's build lock (an advisory flock, released even if the process dies)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                log.info("Another build holds %s; waiting for it to finish.", self.root / ".lock")
                started = time.monotonic()
                fcntl.flock(handle, fcntl.LOCK_EX)
                log.info("Lock acquired after %.1f s.", time.monotonic() - started)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def publish(
        self,
        fingerprint: str,
        build: Callable[[Path], None],
        inputs: Mapping[str, Any] | None = None,
    ) -> CacheEntry:
        """Run `build(staging_dir)`, then publish its files atomically as the entry `fingerprint`.

        Call it while holding `lock()`. If `build` raises (or the process is killed), no entry
        appears and any previous entries stay as they were.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f"{_STAGING_PREFIX}{fingerprint[:12]}-{os.getpid()}-{next(self._staging_counter)}"
        staging.mkdir()
        try:
            build(staging)
            manifest = {
                "manifest_version": MANIFEST_VERSION,
                "fingerprint": fingerprint,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "inputs": dict(inputs or {}),
                "files": {p.name: sha256_file(p) for p in sorted(staging.iterdir()) if p.is_file()},
            }
            _write_synced(staging / MANIFEST_NAME, json.dumps(manifest, indent=2, ensure_ascii=False).encode())
            for path in staging.iterdir():
                _fsync_path(path)
            _fsync_path(staging)
            final = self.root / fingerprint
            if final.exists():  # an unusable entry found by lookup(): move it out of the way first
                final.rename(self.root / f"{_TRASH_PREFIX}{fingerprint[:12]}-{os.getpid()}")
            staging.rename(final)
            _fsync_path(self.root)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._sweep(_TRASH_PREFIX)
        return CacheEntry(final, manifest)

    def sweep_leftovers(self) -> None:
        """Remove staging directories of builds that were killed. Call it while holding `lock()`."""
        self._sweep(_STAGING_PREFIX)
        self._sweep(_TRASH_PREFIX)

    def prune(self, keep: int) -> list[str]:
        """Delete all but the `keep` most recent entries; returns the removed fingerprints."""
        entries = sorted(self._entry_dirs(), key=lambda d: d.stat().st_mtime, reverse=True)
        removed = []
        for directory in entries[keep:]:
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory.name)
        return removed

    def _sweep(self, prefix: str) -> None:
        if not self.root.is_dir():
            return
        for path in self.root.iterdir():
            if path.name.startswith(prefix):
                shutil.rmtree(path, ignore_errors=True)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_path(path: Path) -> None:
    """fsync a file or a directory (a directory's fsync makes renames inside it durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
