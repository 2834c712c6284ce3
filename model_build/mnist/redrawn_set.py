"""MNIST *training* digits redrawn through the page's canvas: the training side of issue 13.

A network trained on MNIST's scans meets something else on the page: the canvas's round pen of
one width, pointer sampling, the page's own preprocessing. Each digit here is one MNIST training
image turned into pen paths (`drawn.redraw.image_paths`), given a reader's habit now and then
(`habit_edits`), placed on the canvas by a reader's hand (size, slant, warp, wobble, a stray
mark: `drawn.hand.record`), inked by the pad model (`drawn.canvas.render_ink`) and preprocessed
by `model_build.preprocess` — so the model sees in training what the page will hand it.

Only the training split is ever redrawn (the benchmark redraws test digits). Each digit has
its own generator seeded by (seed, its MNIST index), so a set is byte-identical for the same
inputs and growing it keeps the digits already made. Redrawing costs ~4 ms a digit, so sets are
made by a process per core and cached beside the MNIST decode, keyed by the training arrays,
the seed, the sizes and the code of every step.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..array_cache import write_npz_atomically
from ..fingerprint import canonical_json, digest_of_files
from ..preprocess import preprocess_ink
from .drawn.canvas import render_ink
from .drawn.hand import HAND, PenPath, record
from .drawn.paths import resample
from .drawn.redraw import image_paths
from .habit_edits import EDITS

log = logging.getLogger(__name__)

#: A reader's hand for redrawn training digits: MNIST's writers slanted and stretched their digits
#: already, so less of both is added than for the benchmark's upright templates.
TRAINING_HAND = replace(HAND, aspect_log=0.12, slant=(-0.1, 0.15), rotation=8.0)
#: Bump when the cached arrays' layout changes.
_CACHE_FORMAT = 1
#: Stream numbers of the per-digit seeds.
_PICK, _DIGIT = 0, 1
#: Below this many digits, starting worker processes costs more than it saves.
_PARALLEL_FROM = 2_000


@dataclass(frozen=True)
class RedrawnSet:
    """Redrawn training digits as model inputs (×255, uint8, like MNIST's own arrays)."""

    images: np.ndarray  # (N, 28, 28) uint8
    labels: np.ndarray  # (N,) uint8
    sources: np.ndarray  # (N,) int32: index into MNIST's training split
    edited: np.ndarray  # (N,) bool: a habit edit was applied

    def __len__(self) -> int:
        return len(self.labels)


def pick_sources(train_labels: np.ndarray, count: int, seed: int, candidates: np.ndarray | None = None) -> np.ndarray:
    """`count` training indices (from `candidates`, default all), a seeded random choice, sorted."""
    pool = np.arange(len(train_labels)) if candidates is None else np.asarray(candidates)
    if count > len(pool):
        raise ValueError(f"cannot redraw {count:,} training digits out of {len(pool):,}")
    return np.sort(np.random.default_rng([seed, _PICK]).choice(pool, size=count, replace=False))


def redraw_digits(images: np.ndarray, labels: np.ndarray, sources: np.ndarray, seed: int,
                  edit_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Redraw `images` (N, 28, 28 uint8, MNIST indices `sources`): (inputs uint8, edited bool)."""
    out = np.zeros((len(images), 28, 28), np.uint8)
    edited = np.zeros(len(images), bool)
    for i, (paths, label, source) in enumerate(zip(image_paths(images), labels, sources)):
        rng = np.random.default_rng([seed, _DIGIT, int(source)])
        edit = EDITS.get(int(label))
        if edit is not None and rng.random() < edit_rate:
            changed = edit(paths, rng)
            if changed is not None:
                paths, edited[i] = changed, True
        dense = [resample(path, 0.05) if len(path) > 1 else path for path in paths]
        strokes = record([PenPath(path) for path in dense], rng, TRAINING_HAND)
        result = preprocess_ink(render_ink([stroke.astype(np.float32) for stroke in strokes]))
        if result is not None:  # an image with no ink above half level has no paths: stays black
            out[i] = np.rint(result.pixels * 255).astype(np.uint8)
    return out, edited


def redrawn_training_set(train_images: np.ndarray, train_labels: np.ndarray, count: int, seed: int,
                         edit_rate: float, candidates: np.ndarray | None = None,
                         workers: int | None = None) -> RedrawnSet:
    """Redraw `count` training digits chosen by `seed` from `candidates` (no cache)."""
    sources = pick_sources(train_labels, count, seed, candidates)
    images, labels = train_images[sources], train_labels[sources].astype(np.uint8)
    workers = workers or min(2, os.cpu_count() or 1)
    if workers == 1 or count < _PARALLEL_FROM:
        pixels, edited = redraw_digits(images, labels, sources, seed, edit_rate)
    else:
        chunks = np.array_split(np.arange(count), workers * 8)
        jobs = [(images[c], labels[c], sources[c], seed, edit_rate) for c in chunks]
        context = multiprocessing.get_context("spawn")  # never fork a process that may hold TensorFlow's threads
        with _single_threaded_blas(), context.Pool(workers, initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
            results = pool.starmap(redraw_digits, jobs)
        pixels = np.concatenate([r[0] for r in results])
        edited = np.concatenate([r[1] for r in results])
    return RedrawnSet(pixels, labels, sources.astype(np.int32), edited)


def load_redrawn_training_set(train_images: np.ndarray, train_labels: np.ndarray, count: int, seed: int,
                              edit_rate: float, cache_dir: Path | None,
                              candidates: np.ndarray | None = None) -> RedrawnSet:
    """`redrawn_training_set`, read from `cache_dir` when made before from the same inputs."""
    if cache_dir is None:
        return redrawn_training_set(train_images, train_labels, count, seed, edit_rate, candidates)
    key = cache_key(train_images, train_labels, count=count, seed=seed, edit_rate=edit_rate,
                    candidates=None if candidates is None else hashlib.sha256(np.asarray(candidates).tobytes()).hexdigest())
    path = Path(cache_dir) / f"redrawn-train-v{_CACHE_FORMAT}-{key[:16]}.npz"
    cached = _read_cache(path, count)
    if cached is not None:
        return cached
    log.info("Redrawing %s MNIST training digits on the canvas (cached after this build)", f"{count:,}")
    started = time.perf_counter()
    made = redrawn_training_set(train_images, train_labels, count, seed, edit_rate, candidates)
    log.info("Redrew %s training digits in %.0f s (%s with a habit edit)", f"{count:,}",
             time.perf_counter() - started, f"{int(made.edited.sum()):,}")
    write_npz_atomically(path, made.__dict__, "the redrawn training digits")
    return made


def cache_key(train_images: np.ndarray, train_labels: np.ndarray, **settings) -> str:
    """SHA-256 over everything the set's bytes depend on: arrays, settings and code."""
    data = hashlib.sha256()
    for array in (train_images, train_labels):
        data.update(f"{array.dtype.str}{array.shape}".encode())
        data.update(np.ascontiguousarray(array).tobytes())
    here = Path(__file__).resolve().parent
    code_files = [here / "redrawn_set.py", here / "habit_edits.py", *sorted((here / "drawn").glob("*.py")),
                  here.parent / "preprocess.py"]
    description = {"format": _CACHE_FORMAT, "settings": settings, "data": data.hexdigest(),
                   "code": digest_of_files(code_files, here.parent)}
    return hashlib.sha256(canonical_json(description)).hexdigest()


def _read_cache(path: Path, count: int) -> RedrawnSet | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            made = RedrawnSet(**{name: npz[name] for name in ("images", "labels", "sources", "edited")})
        if not (made.images.shape == (count, 28, 28) and made.images.dtype == np.uint8
                and len(made.labels) == len(made.sources) == len(made.edited) == count):
            raise ValueError("arrays do not fit together")
        return made
    except Exception as error:  # any damage: make it again rather than fail the build
        log.warning("Ignoring damaged redrawn-digit cache %s (%s); redrawing again.", path, error)
        return None


def _die_with_parent(parent: int) -> None:
    """Pool initializer: a worker ends when the process that started it ends, however it ends.

    A build killed mid-redraw (mkdocs stopped, its child killed) would otherwise leave workers
    redrawing, then blocked forever writing results nobody reads. Linux only (prctl); elsewhere
    workers end at their next task, when the pool's pipe is gone.
    """
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before the line above ran
        os._exit(1)


@contextmanager
def _single_threaded_blas():
    """Workers inherit the environment at start: one BLAS thread each, since the work is already
    split across the cores and the preprocessing's small products only lose by threading."""
    names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({name: "1" for name in names})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
