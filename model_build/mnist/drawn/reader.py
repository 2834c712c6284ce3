"""A simulated reader: one person drawing one digit, their own way, again and again.

The benchmark (`benchmark`) samples a *population*: every sample has its own writer, with their
own proportions, size, slant and faults. Teaching the page one reader's handwriting needs the
opposite: a single person who always writes a digit the same way, with only the small
variation between two drawings of the same hand. `reader_drawings` gives that person's drawings
as the page's model inputs and as strokes.

What belongs to the person (drawn once, from `person_seed`):

- the habit's proportions (`habits.STYLES[…].draw`: how long the bar, where the stem, …) and
  their own lopsidedness (`hand.warp`, in the template's units);
- their size, width (aspect), slant and rotation, from the benchmark's ranges (`hand.HAND`);
- their join habits: each stroke end meant to touch another either always meets it or always
  overshoots / falls short, by a length of their own (`hand.join_faults`' rate and ranges);
- whether their hand is unsteady (`hand.wobble`'s rate, amplitude and wavelength);
- their pointer: event spacing and sensor jitter.

What varies from drawing to drawing (from `seed` and the drawing's number):

- size × e^±0.1, aspect × e^±0.04, slant ± 0.04, rotation ± 2.5° around the person's own
  (clipped to the benchmark's ranges), and the place on the canvas (± 30 px, as the benchmark);
- a slight extra bend (`hand.warp` up to 1.5 % of the height), the join faults' lengths
  (× 0.7–1.3), the wobble's phase, and the pointer's timing and jitter.

There are no stray marks: a reader teaching the page their digits draws them with care.

The strokes are returned as canvas fractions (0–1, the form of a block's `preset` strokes;
`DrawingPad.setStrokes` takes them multiplied by the canvas size), rounded to 1e-6, and the
model inputs are computed *from those fractions* (× `CANVAS_SIZE`, the pad `canvas.render_ink`,
then `model_build.preprocess.preprocess_ink`, as the benchmark does), so drawing the returned
strokes gives exactly the returned inputs.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from ...preprocess import preprocess_ink
from .canvas import CANVAS_SIZE, render_ink
from .habits import BY_NAME, Style
from .hand import HAND, HandRanges, PenPath, _extend, _trim, fit_inside, pointer_points, warp, wobble

#: Stream numbers of the seeds, so the person and their drawings never share random numbers.
_PERSON, _DRAWING = 0, 1
#: Between two drawings of one person (see the module's docstring).
SIZE_LOG = 0.1
ASPECT_LOG = 0.04
SLANT = 0.04
ROTATION = 2.5
WARP = 0.015
FAULT_LENGTH = (0.7, 1.3)
#: Decimals the stroke fractions are rounded to (1e-6 of 280 px: far below the pointer's 0.01 px).
DECIMALS = 6

Strokes = list[list[list[float]]]  # strokes → points → [x, y], canvas fractions


@dataclass(frozen=True)
class Reader:
    """One person's way of writing one style (template units for the shape, canvas pixels for the rest)."""

    style: Style
    person_seed: int
    #: the habit at the person's proportions, bent their way (template units, box height ≈ 1)
    paths: tuple[PenPath, ...] = field(repr=False)
    height: float  # pixels
    aspect: float
    slant: float
    rotation: float  # degrees
    #: (stroke, at_end, length): a join the person misses; length > 0 overshoots, < 0 falls short (pixels)
    join_faults: tuple[tuple[int, bool, float], ...]
    wobble: tuple[float, float] | None  # (amplitude, wavelength) pixels, None for a steady hand
    spacing: float
    jitter: float


def make_reader(style: str, person_seed: int, hand: HandRanges = HAND) -> Reader:
    """The person `person_seed` who writes `style` (a name from `habits.STYLES`)."""
    if style not in BY_NAME:
        raise ValueError(f"unknown style {style!r}; the styles are {', '.join(BY_NAME)}")
    chosen = BY_NAME[style]
    rng = np.random.default_rng([_PERSON, zlib.crc32(style.encode()), person_seed])
    template = chosen.draw(rng)
    bent = warp([stroke.path for stroke in template], rng, hand)
    paths = tuple(PenPath(path, stroke.joins) for path, stroke in zip(bent, template))
    height = rng.uniform(*hand.height)
    aspect = float(np.exp(rng.uniform(-hand.aspect_log, hand.aspect_log)))
    slant = rng.uniform(*hand.slant)
    rotation = rng.uniform(-hand.rotation, hand.rotation)
    faults = []
    for index, stroke in enumerate(paths):
        for at_end, is_join in ((False, stroke.joins[0]), (True, stroke.joins[1])):
            if is_join and rng.random() < hand.join_fault_rate:
                faults.append((index, at_end, rng.uniform(*hand.overshoot) if rng.random() < 0.5
                               else -rng.uniform(*hand.shortfall)))
    unsteady = rng.random() < hand.wobble_rate
    amplitude, wavelength = rng.uniform(*hand.wobble_amplitude), rng.uniform(*hand.wobble_wavelength)
    spacing, jitter = rng.uniform(*hand.spacing), rng.uniform(*hand.jitter)
    return Reader(chosen, person_seed, paths, float(height), aspect, float(slant), float(rotation),
                  tuple(faults), (float(amplitude), float(wavelength)) if unsteady else None,
                  float(spacing), float(jitter))


def draw(reader: Reader, rng: np.random.Generator, hand: HandRanges = HAND) -> Strokes:
    """One drawing by `reader`: the points the page would record, as canvas fractions."""
    low_aspect, high_aspect = np.exp(-hand.aspect_log), np.exp(hand.aspect_log)
    height = float(np.clip(reader.height * np.exp(rng.uniform(-SIZE_LOG, SIZE_LOG)), *hand.height))
    aspect = float(np.clip(reader.aspect * np.exp(rng.uniform(-ASPECT_LOG, ASPECT_LOG)), low_aspect, high_aspect))
    slant = float(np.clip(reader.slant + rng.uniform(-SLANT, SLANT), *hand.slant))
    rotation = float(np.clip(reader.rotation + rng.uniform(-ROTATION, ROTATION), -hand.rotation, hand.rotation))
    offset = rng.uniform(-hand.offset, hand.offset, size=2)
    paths = _place([stroke.path for stroke in reader.paths], height, aspect, slant, rotation, offset)
    paths = warp(paths, rng, HandRanges(warp=(0.0, WARP)))
    for index, at_end, length in reader.join_faults:
        length *= rng.uniform(*FAULT_LENGTH)
        paths[index] = _extend(paths[index], at_end, length) if length > 0 else _trim(paths[index], at_end, -length)
    if reader.wobble is not None:
        amplitude, wavelength = reader.wobble
        paths = wobble(paths, rng, HandRanges(wobble_rate=1.0, wobble_amplitude=(amplitude, amplitude),
                                              wobble_wavelength=(wavelength, wavelength)))
    paths = fit_inside(paths)
    points = [pointer_points(path, rng, hand, spacing=reader.spacing, jitter=reader.jitter) for path in paths]
    return [np.round(stroke / CANVAS_SIZE, DECIMALS).tolist() for stroke in points]


def page_input(strokes: Strokes) -> np.ndarray:
    """The model's (28, 28) float32 input for strokes in canvas fractions: the pad, then the page's preprocessing."""
    result = preprocess_ink(render_ink([np.asarray(stroke, np.float64) * CANVAS_SIZE for stroke in strokes]))
    if result is None:
        raise ValueError("the strokes leave the canvas empty")
    return result.pixels


def reader_drawings(style: str, count: int, seed: int, *, person_seed: int | None = None) -> tuple[np.ndarray, list]:
    """`count` drawings of the digit `style` by one simulated reader.

    Returns (inputs, strokes): inputs (count, 28, 28) float32 in [0, 1], white on black, what the
    page feeds its model for those drawings; strokes, per drawing, the list of strokes, each a
    list of [x, y] in canvas fractions (0–1, y down), in drawing order.

    `person_seed` chooses the person (their proportions, size, slant, join habits, pointer; the
    default is `seed`); `seed` chooses the drawings' small differences. Deterministic; drawing i
    depends only on (style, person_seed, seed, i), so a larger `count` keeps the first drawings.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be a whole number ≥ 0, got {count!r}")
    person = seed if person_seed is None else person_seed
    reader = make_reader(style, person)
    key = zlib.crc32(style.encode())
    strokes = [draw(reader, np.random.default_rng([_DRAWING, key, person, seed, index])) for index in range(count)]
    inputs = np.stack([page_input(drawing) for drawing in strokes]) if strokes else np.zeros((0, 28, 28), np.float32)
    return inputs.astype(np.float32), strokes


def _place(paths: list[np.ndarray], height: float, aspect: float, slant: float, rotation: float,
           offset: np.ndarray) -> list[np.ndarray]:
    """Template units → canvas pixels, as `hand.place` but with the size, aspect, slant, rotation and
    offset given rather than drawn."""
    points = np.concatenate(paths)
    low, high = points.min(axis=0), points.max(axis=0)
    centre = (low + high) / 2
    scale = height / max(high[1] - low[1], 1e-6)
    angle = np.radians(rotation)
    cos, sin = np.cos(angle), np.sin(angle)
    matrix = np.array([[cos, -sin], [sin, cos]]) @ np.array([[aspect, -slant], [0.0, 1.0]]) * scale
    target = CANVAS_SIZE / 2 + offset
    return [(path - centre) @ matrix.T + target for path in paths]
