"""The drawn-digit benchmark: habits and redrawn MNIST test digits, as strokes and as model inputs.

Two generators, balanced over the ten digits:

- writing habits (`habits.STYLES`): `habits_per_digit` samples per digit, shared equally by
  that digit's styles; each style's samples are split 50/50 between validation and test;
- MNIST's *test* split redrawn as strokes (`redraw`): `redrawn_per_digit` digits per class,
  even test indices for validation and odd ones for test, so a given MNIST digit is in the
  same part whatever the seed.

The pen is the page's and is not varied: a reader cannot change its width (21 px), so the
stroke width the model sees varies only through the size the digit is drawn at (100–240 px
tall: 2.3× between the smallest and the largest). `canvas.render_ink` takes a `pen_width` for
a training recipe that wants to vary it.

Every sample has its own random generator, seeded by (seed, generator, style name, sample),
so the same seed gives byte-identical arrays, and adding samples or styles leaves the others
as they were. Strokes go through the page's pad (`canvas.render_ink`) and the page's
preprocessing (`model_build.preprocess`). Generation takes several seconds, so
`load_drawn_benchmark` caches the arrays, keyed by the seed and sizes, this package's code
(and the preprocessing's) and the MNIST test arrays.
"""

from __future__ import annotations

import hashlib
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from ...array_cache import write_npz_atomically
from ...errors import RecipeError
from ...fingerprint import canonical_json, digest_of_files
from ...preprocess import preprocess_ink
from .canvas import render_ink
from .habits import STYLES, Style, styles_of
from .hand import record
from .redraw import image_paths, redraw

log = logging.getLogger(__name__)

#: The seed of the benchmark the project reports (issue 13).
BENCHMARK_SEED = 13
#: The style name of MNIST test digits redrawn as strokes.
REDRAWN_STYLE = "mnist-redrawn"
PARTS = ("validation", "test")
#: Full size: 2,400 habit samples and 1,200 redrawn MNIST test digits, half of each per part.
HABITS_PER_DIGIT = 240
REDRAWN_PER_DIGIT = 120
#: Bump when the cached arrays' layout changes.
_CACHE_FORMAT = 1
#: Stream numbers of the per-sample seeds, so no two uses of one seed share random numbers.
_HABIT, _HABIT_SPLIT, _REDRAWN_PICK, _REDRAWN = 0, 1, 2, 3


@dataclass(frozen=True)
class DrawnDigits:
    """Drawn digits with their strokes. Strokes are stored flat: `points` of every stroke one after
    another, `stroke_ends[k]` = end of stroke k in `points`, `digit_ends[i]` = end of digit i's
    strokes in `stroke_ends` (so digit i's strokes are stroke_ends[digit_ends[i−1]:digit_ends[i]])."""

    labels: np.ndarray  # (N,) uint8
    styles: np.ndarray  # (N,) str: a habit's name or REDRAWN_STYLE
    sources: np.ndarray  # (N,) int32: the MNIST test index, or the habit sample's number within its style
    pixels: np.ndarray  # (N, 28, 28) float32 in [0, 1]: the model's input, white on black
    points: np.ndarray  # (P, 2) float32: (x, y) in canvas pixels
    stroke_ends: np.ndarray  # (S,) int64
    digit_ends: np.ndarray  # (N,) int64

    def __len__(self) -> int:
        return len(self.labels)

    def strokes(self, index: int) -> list[np.ndarray]:
        """Digit `index`'s strokes as (k, 2) arrays of canvas pixels, in drawing order."""
        first = int(self.digit_ends[index - 1]) if index else 0
        ends = self.stroke_ends[first : int(self.digit_ends[index])]
        starts = np.concatenate([[self.stroke_ends[first - 1] if first else 0], ends[:-1]])
        return [self.points[start:end] for start, end in zip(starts, ends)]

    def stroke_lists(self) -> list[list[list[list[float]]]]:
        """Every digit's strokes as nested lists, the shape `DrawingPad.setStrokes` takes."""
        return [[stroke.tolist() for stroke in self.strokes(i)] for i in range(len(self))]

    def style_names(self) -> list[str]:
        """The styles present, in benchmark order (habits as in `STYLES`, then redrawn MNIST)."""
        present = set(self.styles.tolist())
        return [name for name in (*(s.name for s in STYLES), REDRAWN_STYLE) if name in present]


@dataclass(frozen=True)
class DrawnBenchmark:
    """The benchmark's two parts: validation (for every choice) and test (reported only)."""

    validation: DrawnDigits
    test: DrawnDigits
    seed: int

    def parts(self) -> Iterator[tuple[str, DrawnDigits]]:
        yield "validation", self.validation
        yield "test", self.test


@dataclass(frozen=True)
class _Sample:
    label: int
    style: str
    source: int
    strokes: list[np.ndarray]
    pixels: np.ndarray


def drawn_digit_benchmark(test_images: np.ndarray, test_labels: np.ndarray, seed: int = BENCHMARK_SEED,
                          habits_per_digit: int = HABITS_PER_DIGIT,
                          redrawn_per_digit: int = REDRAWN_PER_DIGIT) -> DrawnBenchmark:
    """Generate the benchmark (no cache): `habits_per_digit` habit samples and `redrawn_per_digit`
    redrawn MNIST *test* digits per digit class, half of each in each part.

    `test_images` (N, 28, 28) uint8 and `test_labels` (N,) must be MNIST's test split: the
    redrawn digits' `sources` are indices into it.
    """
    _check_sizes(habits_per_digit, redrawn_per_digit)
    parts: dict[str, list[_Sample]] = {"validation": [], "test": []}
    for style in STYLES:
        count = _share(habits_per_digit, style)
        key = zlib.crc32(style.name.encode())  # seeds follow the name, not the style's place in the list
        chosen_for_validation = _half(count, np.random.default_rng([seed, _HABIT_SPLIT, key]))
        for sample in range(count):
            rng = np.random.default_rng([seed, _HABIT, key, sample])
            strokes = record(style.draw(rng), rng)
            part = "validation" if sample in chosen_for_validation else "test"
            parts[part].append(_drawn(style.digit, style.name, sample, strokes))
    for part, parity in zip(PARTS, (0, 1)):
        indices = _pick_redrawn(test_labels, redrawn_per_digit // 2, parity, seed)
        for index, paths in zip(indices, image_paths(test_images[indices])):
            strokes = redraw(paths, np.random.default_rng([seed, _REDRAWN, int(index)]))
            parts[part].append(_drawn(int(test_labels[index]), REDRAWN_STYLE, int(index), strokes))
    return DrawnBenchmark(_assemble(parts["validation"]), _assemble(parts["test"]), seed)


def load_drawn_benchmark(test_images: np.ndarray, test_labels: np.ndarray, seed: int = BENCHMARK_SEED,
                         cache_dir: Path | str | None = None, habits_per_digit: int = HABITS_PER_DIGIT,
                         redrawn_per_digit: int = REDRAWN_PER_DIGIT) -> DrawnBenchmark:
    """`drawn_digit_benchmark`, read from `cache_dir` when it was generated before with the same
    seed, sizes, generator code and MNIST test arrays (written there otherwise). No cache_dir: no cache."""
    _check_sizes(habits_per_digit, redrawn_per_digit)
    sizes = {"habits_per_digit": habits_per_digit, "redrawn_per_digit": redrawn_per_digit}
    if cache_dir is None:
        return drawn_digit_benchmark(test_images, test_labels, seed, **sizes)
    path = Path(cache_dir) / f"drawn-digits-v{_CACHE_FORMAT}-{cache_key(test_images, test_labels, seed, **sizes)[:16]}.npz"
    cached = _read_cache(path, seed)
    if cached is not None:
        return cached
    log.info("Generating the drawn-digit benchmark (seed %d)", seed)
    benchmark = drawn_digit_benchmark(test_images, test_labels, seed, **sizes)
    _write_cache(path, benchmark)
    return benchmark


def cache_key(test_images: np.ndarray, test_labels: np.ndarray, seed: int, **sizes: int) -> str:
    """SHA-256 over everything the benchmark's bytes depend on."""
    data = hashlib.sha256()
    for array in (test_images, test_labels):
        data.update(f"{array.dtype.str}{array.shape}".encode())
        data.update(np.ascontiguousarray(array).tobytes())
    package = Path(__file__).resolve().parent
    preprocess = package.parent.parent / "preprocess.py"
    code = digest_of_files([*sorted(package.glob("*.py")), preprocess], package.parent.parent)
    description = {"format": _CACHE_FORMAT, "seed": seed, "sizes": dict(sorted(sizes.items())),
                   "code": code, "data": data.hexdigest()}
    return hashlib.sha256(canonical_json(description)).hexdigest()


def _check_sizes(habits_per_digit: int, redrawn_per_digit: int) -> None:
    """Every style needs a sample in each part; redrawn digits come in validation/test halves."""
    richest = max(range(10), key=lambda digit: len(styles_of(digit)))
    least = 2 * len(styles_of(richest))
    if isinstance(habits_per_digit, bool) or not isinstance(habits_per_digit, int) or habits_per_digit < least:
        raise RecipeError(f"drawn-digit benchmark: habits_per_digit must be an integer of at least {least} (every "
                          f"style needs a sample in each part, and the digit {richest} has {least // 2} styles), "
                          f"got {habits_per_digit!r}.")
    if (isinstance(redrawn_per_digit, bool) or not isinstance(redrawn_per_digit, int) or redrawn_per_digit < 0
            or redrawn_per_digit % 2):
        raise RecipeError(f"drawn-digit benchmark: redrawn_per_digit must be an even integer of at least 0 "
                          f"(half of them go to each part), got {redrawn_per_digit!r}.")


def _share(habits_per_digit: int, style: Style) -> int:
    """This style's share of its digit's samples (the first styles take any remainder)."""
    siblings = styles_of(style.digit)
    base, extra = divmod(habits_per_digit, len(siblings))
    return base + (1 if siblings.index(style) < extra else 0)


def _half(count: int, rng: np.random.Generator) -> set[int]:
    """A random half (rounded up) of range(count): the samples that go to validation."""
    return set(rng.permutation(count)[: (count + 1) // 2].tolist())


def _pick_redrawn(labels: np.ndarray, per_digit: int, parity: int, seed: int) -> np.ndarray:
    """`per_digit` test indices of each digit among those of the given parity, sorted."""
    chosen = []
    for digit in range(10):
        candidates = np.flatnonzero((labels == digit) & (np.arange(len(labels)) % 2 == parity))
        rng = np.random.default_rng([seed, _REDRAWN_PICK, digit, parity])
        if per_digit > len(candidates):
            raise RecipeError(f"drawn-digit benchmark: redrawn_per_digit asks for {per_digit} test digits {digit} "
                              f"of {'even' if parity == 0 else 'odd'} index per part; MNIST's test split has {len(candidates)}.")
        chosen.append(rng.choice(candidates, size=per_digit, replace=False))
    return np.sort(np.concatenate(chosen))


def _drawn(label: int, style: str, source: int, strokes: list[np.ndarray]) -> _Sample:
    """A sample's model input: the pad's ink through the page's preprocessing."""
    strokes = [stroke.astype(np.float32) for stroke in strokes]
    result = preprocess_ink(render_ink(strokes))
    if result is None:  # every template draws ink; this would be a generator bug
        raise AssertionError(f"{style} sample {source} left the canvas empty")
    return _Sample(label, style, source, strokes, result.pixels)


def _assemble(samples: list[_Sample]) -> DrawnDigits:
    strokes = [stroke for sample in samples for stroke in sample.strokes]
    return DrawnDigits(
        labels=np.array([s.label for s in samples], np.uint8),
        styles=np.array([s.style for s in samples], dtype="<U32"),
        sources=np.array([s.source for s in samples], np.int32),
        pixels=np.stack([s.pixels for s in samples]).astype(np.float32) if samples else np.zeros((0, 28, 28), np.float32),
        points=np.concatenate(strokes).astype(np.float32) if strokes else np.zeros((0, 2), np.float32),
        stroke_ends=np.cumsum([len(stroke) for stroke in strokes], dtype=np.int64),
        digit_ends=np.cumsum([len(s.strokes) for s in samples], dtype=np.int64),
    )


# -- cache ---------------------------------------------------------------------------------------

_FIELDS = tuple(f.name for f in fields(DrawnDigits))


def _read_cache(path: Path, seed: int) -> DrawnBenchmark | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            parts = [DrawnDigits(**{name: npz[f"{part}_{name}"] for name in _FIELDS}) for part in PARTS]
        for part in parts:
            _check(part)
        return DrawnBenchmark(*parts, seed)
    except Exception as error:  # any damage: generate again rather than fail
        log.warning("Ignoring damaged drawn-digit cache %s (%s); generating again.", path, error)
        return None


def _check(digits: DrawnDigits) -> None:
    count = len(digits.labels)
    if not (digits.pixels.shape == (count, 28, 28) and len(digits.styles) == count == len(digits.sources)
            == len(digits.digit_ends) and digits.points.ndim == 2 and digits.points.shape[1] == 2
            and (not count or (digits.digit_ends[-1] == len(digits.stroke_ends)
                               and digits.stroke_ends[-1] == len(digits.points)))):
        raise ValueError("arrays do not fit together")


def _write_cache(path: Path, benchmark: DrawnBenchmark) -> None:
    arrays = {f"{part}_{name}": getattr(digits, name) for part, digits in benchmark.parts() for name in _FIELDS}
    write_npz_atomically(path, arrays, "the drawn-digit benchmark")
