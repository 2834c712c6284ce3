"""A content-addressed store of build outputs.

Layout of a cache directory::

    <root>/<fingerprint>/            one published entry: the outputs plus manifest.json
    <root>/.staging-<fp>-<pid>-<n>/  an entry being built (never read; swept on the next build)
    <root>/.lock                     held while building, so two builds never race

Entries are the directories named by a 64-digit hex fingerprint; anything else under the root
(such as the decoded-data cache the CLI and the plugin keep in `<root>/data/`) is left alone.

An entry is published by renaming a finished, fsynced staging directory into place, which is
atomic on POSIX: a reader sees the whole entry or none of it, and a killed build leaves only a
staging directory behind. `manifest.json` is written last and lists every file's SHA-256.

Reading never raises on a damaged entry: a manifest that is not a well-formed one for its
fingerprint, a file that does not match it, or files the owner's `verify` check refuses make
the entry unusable (logged once, then rebuilt). Writing turns any OSError about the cache's own
files (read-only, full, immutable, a file in the way) into one `CacheError` that names the path,
the system's reason and what to do.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
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
from typing import IO, Any, TypeVar

from .errors import CacheError, IncompleteArtefactsError
from .fingerprint import sha256_file

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
#: What `examine` reports for a fingerprint that was never published (as opposed to damaged).
MISSING = "missing"
_STAGING_PREFIX = ".staging-"
_TRASH_PREFIX = ".trash-"
_FINGERPRINT = _SHA256 = re.compile(r"[0-9a-f]{64}")
#: A manifest takes ~100 bytes per file: anything much bigger is not one of ours.
_MANIFEST_MAX_BYTES = 1 << 20
#: OSErrors that carry no file name yet concern the files being written (write, fsync, flock).
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO, errno.ENOLCK})
_OPTION = "`cache_dir` (plugin option) or --cache-dir (command line)"
_REMEDIES = {
    errno.ENOSPC: f"Free space on that disk, or choose a {_OPTION} on another one.",
    errno.EDQUOT: f"Free space within your disk quota, or choose a {_OPTION} elsewhere.",
    errno.EROFS: f"That file system is mounted read-only: choose a writable {_OPTION}.",
    errno.EEXIST: f"Something other than a folder is at that path: remove it, or choose another {_OPTION}.",
    errno.ENOTDIR: f"Something other than a folder is at that path: remove it, or choose another {_OPTION}.",
}
_DEFAULT_REMEDY = (
    f"Choose a writable {_OPTION}, or make this one writable "
    "(its owner, permissions and mount; `lsattr -d` shows an immutable flag)."
)

#: Why an entry (its manifest well-formed, its files matching it) is not usable, or None.
Verifier = Callable[["CacheEntry"], "str | None"]

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


def is_plain_file_name(name: object) -> bool:
    """A name that stays inside its directory: no separator, not `.` or `..`, not empty."""
    return isinstance(name, str) and name not in ("", ".", "..") and not any(c in name for c in "/\\\0")


def manifest_problem(manifest: Any, fingerprint: str) -> str | None:
    """Why `manifest` (parsed JSON) is not a well-formed manifest for `fingerprint`, or None."""
    if not isinstance(manifest, dict):
        return f"{MANIFEST_NAME} holds {_json_kind(manifest)}, not an object"
    missing = [key for key in ("manifest_version", "fingerprint", "inputs", "files") if key not in manifest]
    if missing:
        return f"{MANIFEST_NAME} lacks {', '.join(missing)}"
    version = manifest["manifest_version"]
    if isinstance(version, bool) or version != MANIFEST_VERSION:
        return f"{MANIFEST_NAME} has version {version!r}, expected {MANIFEST_VERSION}"
    if manifest["fingerprint"] != fingerprint:
        return f"{MANIFEST_NAME} is for {str(manifest['fingerprint'])[:12]}"
    if not isinstance(manifest["inputs"], dict):
        return f"{MANIFEST_NAME} inputs must be an object, not {_json_kind(manifest['inputs'])}"
    files = manifest["files"]
    if not isinstance(files, dict):
        return f"{MANIFEST_NAME} files must map file names to SHA-256 hashes, not {_json_kind(files)}"
    for name, digest in files.items():
        if not is_plain_file_name(name) or name == MANIFEST_NAME:
            return f"{MANIFEST_NAME} lists {name!r}, which is not a file name an entry may hold"
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            return f"{MANIFEST_NAME} records {_json_kind(digest)} for {name}, not a SHA-256"
    return None


class _Unusable(Exception):
    """Why a directory is not a usable entry (internal: readers turn it into None)."""


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _reports_os_errors(action: str) -> Callable[[_Method], _Method]:
    """Turn an OSError about the cache's files into one CacheError: path, reason, what to do.

    Every method that writes to the cache goes through this, so no call site handles OSError
    itself. An OSError about a file outside the cache (a build reading its input data) passes
    through unchanged: it is not the cache's to explain.
    """

    def decorate(method: _Method) -> _Method:
        @functools.wraps(method)
        def wrapper(self: ArtefactCache, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except OSError as error:
                if not self._concerns_cache(error):
                    raise
                raise CacheError(self._explain(error, action)) from error

        return wrapper  # type: ignore[return-value]

    return decorate


class ArtefactCache:
    """Publishes and finds entries by fingerprint under one root directory.

    `verify(entry)` is the owner's check of an entry (for the pipeline, the recipe's: every
    declared file present, each one well-formed). It runs on every lookup, after the hashes
    matched, and on every new entry before it is published; it must be cheap.
    """

    def __init__(self, root: Path, verify: Verifier | None = None) -> None:
        self.root = Path(root)
        self.verify = verify
        self._staging_counter = itertools.count()
        #: Unusable entries already logged by this object, so one check warns once per entry.
        self._reported: set[Path] = set()

    # -- reading -------------------------------------------------------------------------------

    def lookup(self, fingerprint: str) -> CacheEntry | None:
        """The entry for `fingerprint` if it exists and verifies."""
        return self.examine(fingerprint)[0]

    def examine(self, fingerprint: str) -> tuple[CacheEntry | None, str | None]:
        """The entry for `fingerprint`, or None and why (`MISSING` if nothing was published there).

        An unusable entry is logged as a WARNING naming its directory, once per ArtefactCache.
        """
        directory = self.root / fingerprint
        try:
            return self._verified(directory, fingerprint), None
        except _Unusable as unusable:
            problem = str(unusable)
        if problem != MISSING and directory not in self._reported:
            self._reported.add(directory)
            log.warning("Cache entry %s is unusable (%s); it will be rebuilt.", directory, problem)
        return None, problem

    def latest(self) -> CacheEntry | None:
        """The most recently published entry that still verifies, if any; unusable ones are skipped."""
        return next(self.entries(), None)

    def entries(self) -> Iterator[CacheEntry]:
        """Every entry that verifies, the most recently published first; unusable ones are skipped.

        Lazy: each entry's files are hashed only when the caller asks for it.
        """
        for directory in sorted(self._entry_dirs(), key=lambda d: _mtime(d / MANIFEST_NAME), reverse=True):
            try:
                yield self._verified(directory, directory.name)
            except _Unusable as unusable:
                log.debug("Skipping unusable cache entry %s (%s).", directory, unusable)

    def _entry_dirs(self) -> list[Path]:
        """Published entries only: other things may share the root (the CLI keeps `data/` there)."""
        try:
            return [d for d in self.root.iterdir() if _FINGERPRINT.fullmatch(d.name) and d.is_dir()]
        except OSError:  # no root yet, or not a folder, or unreadable: no entries
            return []

    def _verified(self, directory: Path, fingerprint: str) -> CacheEntry:
        """The entry in `directory`, checked against its manifest and `verify`; else _Unusable."""
        manifest_path = directory / MANIFEST_NAME
        if not manifest_path.is_file():
            raise _Unusable("no manifest" if os.path.lexists(directory) else MISSING)
        try:
            size = manifest_path.stat().st_size
            if size > _MANIFEST_MAX_BYTES:
                raise ValueError(f"{size:,} bytes is too large for a manifest")
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as error:  # ValueError covers JSON and UTF-8
            raise _Unusable(f"{MANIFEST_NAME} is unreadable: {error}") from None
        problem = manifest_problem(manifest, fingerprint)
        if problem is not None:
            raise _Unusable(problem)
        for name, expected in manifest["files"].items():
            path = directory / name
            if not path.is_file():
                raise _Unusable(f"{name} is missing")
            try:
                actual = sha256_file(path)
            except OSError as error:
                raise _Unusable(f"{name} is unreadable: {error.strerror or error}") from None
            if actual != expected:
                raise _Unusable(f"{name} does not match its recorded hash")
        entry = CacheEntry(directory, manifest)
        if self.verify is not None:
            try:
                problem = self.verify(entry)
            except Exception as error:  # a check that cannot run on these files cannot vouch for them
                problem = f"its files could not be checked ({type(error).__name__}: {error})"
            if problem is not None:
                raise _Unusable(problem)
        return entry

    # -- writing -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the cache's build lock (an advisory flock, released even if the process dies)."""
        handle = self._acquire_lock()
        try:
            yield
        finally:
            handle.close()  # closing the descriptor releases the flock

    @_reports_os_errors("locking it")
    def _acquire_lock(self) -> IO[str]:
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / ".lock", "a+")
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                log.info("Another build holds %s; waiting for it to finish.", self.root / ".lock")
                started = time.monotonic()
                fcntl.flock(handle, fcntl.LOCK_EX)
                log.info("Lock acquired after %.1f s.", time.monotonic() - started)
        except BaseException:
            handle.close()
            raise
        return handle

    @_reports_os_errors("writing a new entry")
    def publish(
        self,
        fingerprint: str,
        build: Callable[[Path], None],
        inputs: Mapping[str, Any] | None = None,
    ) -> CacheEntry:
        """Run `build(staging_dir)`, then publish its files atomically as the entry `fingerprint`.

        Call it while holding `lock()`. If `build` raises, the process is killed, the disk fills
        up or `verify` refuses the files, no entry appears, the staging directory is removed
        (or swept by the next build) and earlier entries stay as they were.
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
            self._refuse_unless_complete(CacheEntry(staging, manifest))
            _write_synced(staging / MANIFEST_NAME, json.dumps(manifest, indent=2, ensure_ascii=False).encode())
            for path in staging.iterdir():
                _fsync_path(path)
            _fsync_path(staging)
            final = self.root / fingerprint
            self._move_into_place(staging, final)
            _fsync_path(self.root)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._sweep(_TRASH_PREFIX)
        return CacheEntry(final, manifest)

    def _refuse_unless_complete(self, entry: CacheEntry) -> None:
        """Raise IncompleteArtefactsError, naming what is wrong, unless the built files make an entry."""
        if MANIFEST_NAME in entry.files:
            problem = f"the build wrote {MANIFEST_NAME}, a name the cache keeps for itself"
        else:
            problem = self.verify(entry) if self.verify is not None else None
        if problem is not None:
            raise IncompleteArtefactsError(
                f"Refusing to publish the new entry {entry.fingerprint[:12]} in {self.root}: {problem}. "
                "The recipe's build must write every file it declares, each one well-formed; "
                "nothing was published and earlier entries are unchanged."
            )

    def _move_into_place(self, staging: Path, final: Path) -> None:
        """Rename `staging` to `final`; an entry already there (unusable, or `train: always`) goes to the trash."""
        trash = None
        if os.path.lexists(final):
            trash = self.root / f"{_TRASH_PREFIX}{final.name[:12]}-{os.getpid()}-{next(self._staging_counter)}"
            final.rename(trash)
        try:
            staging.rename(final)
        except OSError:
            if trash is not None:  # put the previous entry back rather than leave nothing
                with contextlib.suppress(OSError):
                    trash.rename(final)
            raise

    @_reports_os_errors("clearing what killed builds left")
    def sweep_leftovers(self) -> None:
        """Remove staging directories of builds that were killed. Call it while holding `lock()`."""
        self._sweep(_STAGING_PREFIX)
        self._sweep(_TRASH_PREFIX)

    def prune(self, keep: int) -> list[str]:
        """Delete all but the `keep` most recent entries; returns the removed fingerprints.

        Best effort: an entry that cannot be deleted (a read-only disk) stays, and nothing raises.
        """
        entries = sorted(self._entry_dirs(), key=_mtime, reverse=True)
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
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        path.unlink()

    # -- explaining filesystem errors ----------------------------------------------------------

    def _concerns_cache(self, error: OSError) -> bool:
        """Whether `error` is about the cache's files: a path in (or above) the root, or a failed write."""
        paths = [os.fsdecode(p) for p in (error.filename, error.filename2) if isinstance(p, (str, bytes, os.PathLike))]
        if not paths:
            return error.errno in _WRITE_ERRNOS
        root = os.path.abspath(self.root)
        return any(_related(os.path.abspath(path), root) for path in paths)

    def _explain(self, error: OSError, action: str) -> str:
        reason = error.strerror or str(error)
        where = f"{os.fsdecode(error.filename)}: " if error.filename is not None else ""
        remedy = _REMEDIES.get(error.errno, _DEFAULT_REMEDY)
        return f"Cannot write to the artefact cache {self.root} while {action}: {where}{reason}. {remedy}"


def _related(path: str, root: str) -> bool:
    """`path` is `root`, inside it, or one of the folders above it (created with parents=True)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep) or root.startswith(path.rstrip(os.sep) + os.sep)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _json_kind(value: Any) -> str:
    """How a JSON value reads in a message: `a list`, `null`, `the string 'x'`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    return {dict: "an object", list: "a list"}.get(type(value), type(value).__name__)


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
