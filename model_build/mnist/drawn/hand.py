"""How a reader's hand and a pointer turn an ideal shape into recorded canvas points.

A sample goes through these steps, each with ranges seen in real drawings on the page, none
extreme (every result must stay legible as its digit):

1. `place`: the template's box is scaled to the digit's height, stretched in width (aspect),
   sheared (slant), rotated and put near the canvas centre (off-centre placement);
2. `warp`: the whole shape bent by a smooth random displacement (nobody's curves are the
   template's: bowls lean, bars tilt, loops come out lopsided);
3. faults, each at a modest rate: `join_faults` (a stroke end meant to touch another stroke
   overshoots it or falls short), `wobble` (an unsteady hand), `stray_mark` (an accidental tap
   or flick beside the digit);
4. `fit_inside`: shifted (and if need be shrunk) so that the ink stays on the canvas;
5. `pointer_points`: sampled the way pointer events arrive: at a steady event rate from a hand
   that slows down at the ends of a stroke and in corners, so points are uneven in spacing;
   then each point gets a little sensor jitter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .canvas import CANVAS_SIZE, PEN_WIDTH
from .paths import arc_length, interpolate, resample, tangent

#: Intended paths stay this far from the canvas edge, so the pen's round end is never clipped,
#: even after the pointer's jitter (a few pixels at most).
EDGE_MARGIN = PEN_WIDTH / 2 + 4


@dataclass(frozen=True)
class HandRanges:
    """The ranges every random variation is drawn from (uniform unless said otherwise)."""

    #: Height of the digit's pen path in canvas pixels (the ink is one pen width taller).
    height: tuple[float, float] = (100.0, 240.0)
    #: Width multiplier, log-uniform in ±this (0.84–1.20).
    aspect_log: float = 0.18
    #: Shear x += slant · (height above the centre): positive leans to the right.
    slant: tuple[float, float] = (-0.12, 0.3)
    #: Rotation in degrees, either way.
    rotation: float = 10.0
    #: Largest displacement of the smooth warp, as a fraction of the digit's height.
    warp: tuple[float, float] = (0.0, 0.06)
    #: Wavelength of the warp's waves, as a multiple of the digit's height.
    warp_wavelength: tuple[float, float] = (0.7, 1.6)
    #: Off-centre placement of the digit's centre, pixels, each axis.
    offset: float = 30.0
    #: Distance between pointer events at the hand's full speed, pixels.
    spacing: tuple[float, float] = (3.0, 9.0)
    #: Event-to-event irregularity of the pointer's timing, ± fraction.
    timing_jitter: float = 0.3
    #: Standard deviation of the per-point sensor jitter, pixels.
    jitter: tuple[float, float] = (0.2, 0.7)
    #: Chance that a digit is drawn with an unsteady hand, and the wobble's size.
    wobble_rate: float = 0.3
    wobble_amplitude: tuple[float, float] = (1.5, 4.0)
    wobble_wavelength: tuple[float, float] = (30.0, 80.0)
    #: Chance, per stroke end meant to touch another stroke, that it misses the join.
    join_fault_rate: float = 0.3
    overshoot: tuple[float, float] = (4.0, 16.0)
    shortfall: tuple[float, float] = (4.0, 18.0)
    #: Chance of an accidental mark beside the digit, and how far outside the digit it lands.
    stray_rate: float = 0.08
    stray_distance: tuple[float, float] = (14.0, 30.0)


HAND = HandRanges()


@dataclass(frozen=True)
class PenPath:
    """One intended stroke: a dense polyline, and whether each end is meant to touch another stroke."""

    path: np.ndarray  # (n, 2) float64
    joins: tuple[bool, bool] = (False, False)  # (start, end)


def place(paths: Sequence[np.ndarray], rng: np.random.Generator, hand: HandRanges = HAND) -> list[np.ndarray]:
    """Template-unit paths → canvas pixels: size, aspect, slant, rotation and placement drawn at random."""
    points = np.concatenate(paths)
    low, high = points.min(axis=0), points.max(axis=0)
    centre = (low + high) / 2
    scale = rng.uniform(*hand.height) / max(high[1] - low[1], 1e-6)
    aspect = np.exp(rng.uniform(-hand.aspect_log, hand.aspect_log))
    shear = rng.uniform(*hand.slant)
    angle = np.radians(rng.uniform(-hand.rotation, hand.rotation))
    offset = rng.uniform(-hand.offset, hand.offset, size=2)
    cos, sin = np.cos(angle), np.sin(angle)
    # x' = aspect·x − shear·y (y grows downwards, so a positive shear moves the top to the right)
    matrix = np.array([[cos, -sin], [sin, cos]]) @ np.array([[aspect, -shear], [0.0, 1.0]]) * scale
    target = CANVAS_SIZE / 2 + offset
    return [(path - centre) @ matrix.T + target for path in paths]


def warp(paths: Sequence[np.ndarray], rng: np.random.Generator, hand: HandRanges = HAND) -> list[np.ndarray]:
    """Bend the drawing with a smooth displacement field: two plane waves per axis, in random
    directions, whose largest combined displacement is `warp` × the drawing's height."""
    points = np.concatenate(paths)
    height = float(np.ptp(points[:, 1])) or 1.0
    amplitude = rng.uniform(*hand.warp) * height
    if amplitude == 0:
        return list(paths)
    heading = rng.uniform(0, 2 * np.pi, size=(2, 2))
    directions = np.stack([np.cos(heading), np.sin(heading)], axis=-1)  # (axis, wave, 2)
    wavelength = rng.uniform(*hand.warp_wavelength, size=(2, 2)) * height
    phase = rng.uniform(0, 2 * np.pi, size=(2, 2))
    weight = rng.dirichlet([2.0, 2.0], size=2)  # how the amplitude is shared by an axis' two waves

    def displaced(path: np.ndarray) -> np.ndarray:
        angle = 2 * np.pi * np.einsum("nd,awd->naw", path, directions) / wavelength + phase
        return path + amplitude * np.einsum("naw,aw->na", np.sin(angle), weight)

    return [displaced(path) for path in paths]


def join_faults(strokes: Sequence[PenPath], rng: np.random.Generator, hand: HandRanges = HAND) -> list[PenPath]:
    """Stroke ends meant to touch another stroke overshoot it or stop short, each at `join_fault_rate`."""
    faulty = []
    for stroke in strokes:
        path = stroke.path
        for at_end, is_join in ((False, stroke.joins[0]), (True, stroke.joins[1])):
            if not is_join or rng.random() >= hand.join_fault_rate:
                continue
            if rng.random() < 0.5:
                path = _extend(path, at_end, rng.uniform(*hand.overshoot))
            else:
                path = _trim(path, at_end, rng.uniform(*hand.shortfall))
        faulty.append(PenPath(path, stroke.joins))
    return faulty


def wobble(paths: Sequence[np.ndarray], rng: np.random.Generator, hand: HandRanges = HAND) -> list[np.ndarray]:
    """At `wobble_rate`, every stroke sways sideways along its length (one unsteady hand)."""
    if rng.random() >= hand.wobble_rate:
        return list(paths)
    amplitude = rng.uniform(*hand.wobble_amplitude)
    wavelength = rng.uniform(*hand.wobble_wavelength)
    swayed = []
    for path in paths:
        path = resample(path, 1.0)
        s = arc_length(path)
        if s[-1] < 2:
            swayed.append(path)
            continue
        direction = np.gradient(path, axis=0)
        normal = np.stack([-direction[:, 1], direction[:, 0]], axis=1)
        normal /= np.maximum(np.hypot(*normal.T), 1e-9)[:, None]
        # Two incommensurate sines, so the sway does not look like a regular wave.
        phase = rng.uniform(0, 2 * np.pi, size=2)
        sway = amplitude * (0.7 * np.sin(2 * np.pi * s / wavelength + phase[0])
                            + 0.3 * np.sin(2 * np.pi * s / (wavelength * 0.43) + phase[1]))
        swayed.append(path + sway[:, None] * normal)
    return swayed


def fit_inside(paths: Sequence[np.ndarray], margin: float = EDGE_MARGIN, size: int = CANVAS_SIZE) -> list[np.ndarray]:
    """Shift the drawing the least so every point lies in [margin, size − margin]; shrink it first if it cannot fit."""
    points = np.concatenate(paths)
    low, high = points.min(axis=0), points.max(axis=0)
    room = size - 2 * margin
    factor = min(1.0, room / max(float((high - low).max()), 1e-6))
    centre = (low + high) / 2
    paths = [(path - centre) * factor + centre for path in paths]
    low, high = centre - (centre - low) * factor, centre + (high - centre) * factor
    shift = np.maximum(margin - low, 0.0) - np.maximum(high - (size - margin), 0.0)
    return [path + shift for path in paths]


def stray_mark(paths: Sequence[np.ndarray], rng: np.random.Generator, hand: HandRanges = HAND) -> list[np.ndarray]:
    """At `stray_rate`, add a tap or a short flick (≤ 8 px) just outside the digit's box."""
    if rng.random() >= hand.stray_rate:
        return list(paths)
    points = np.concatenate(paths)
    low, high = points.min(axis=0), points.max(axis=0)
    side = rng.integers(4)  # left, right, top, bottom
    along = rng.uniform(0.15, 0.85)
    distance = rng.uniform(*hand.stray_distance)
    axis = 0 if side < 2 else 1
    spot = low + along * (high - low)
    spot[axis] = low[axis] - distance if side % 2 == 0 else high[axis] + distance
    if rng.random() < 0.5:
        mark = spot[None, :]
    else:
        heading = rng.uniform(0, 2 * np.pi)
        length = rng.uniform(2.0, 8.0)
        mark = spot + np.linspace(0, length, int(rng.integers(2, 4)))[:, None] * [np.cos(heading), np.sin(heading)]
    return [*paths, np.clip(mark, EDGE_MARGIN, CANVAS_SIZE - EDGE_MARGIN)]


def pointer_points(path: np.ndarray, rng: np.random.Generator, hand: HandRanges = HAND, *,
                   spacing: float, jitter: float) -> np.ndarray:
    """The points pointer events would record along `path` (canvas pixels), rounded to 1/100 px.

    The hand's speed along the path is highest mid-stroke and drops near both ends and in
    corners (where people slow down to turn); events arrive at a nearly steady rate, so
    the spacing between recorded points follows the speed. A corner met at speed is cut a
    little, as a real pointer does.
    """
    if len(path) < 2 or arc_length(path)[-1] < 1e-6:
        points = path[:1].copy()
    else:
        fine = resample(path, 1.0)
        s = arc_length(fine)
        speed = _speed_profile(fine, s)
        elapsed = np.concatenate([[0.0], np.cumsum(np.diff(s) / ((speed[1:] + speed[:-1]) / 2))])
        # One event interval moves `spacing` px at full speed (speed 1); intervals vary a little.
        intervals = spacing * rng.uniform(1 - hand.timing_jitter, 1 + hand.timing_jitter,
                                          size=int(elapsed[-1] / (spacing * (1 - hand.timing_jitter))) + 2)
        times = np.cumsum(intervals)
        times = np.concatenate([[0.0], times[times < elapsed[-1]], [elapsed[-1]]])
        points = interpolate(fine, s, np.interp(times, elapsed, s))
    points = points + rng.normal(0.0, jitter, size=points.shape)
    return np.round(np.clip(points, 0.0, CANVAS_SIZE), 2)


def _speed_profile(path: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Relative hand speed (0.2–1) at each point of a 1-px-spaced path."""
    heading = np.unwrap(np.arctan2(*np.diff(path, axis=0).T[::-1]))
    turn = np.abs(np.diff(heading, prepend=heading[0], append=heading[-1]))  # per point, radians
    window = 12  # px: how far ahead and behind a corner the hand is already slower
    total = np.concatenate([[0.0], np.cumsum(turn)])
    index = np.arange(len(turn))
    # Radians turned within ±12 px of each point.
    turning = total[np.minimum(index + window + 1, len(turn))] - total[np.maximum(index - window, 0)]
    corner = 1.0 / (1.0 + 1.5 * turning)
    to_end = np.minimum(s, s[-1] - s)
    ease = 0.35 + 0.65 * np.clip(to_end / 25.0, 0.0, 1.0)
    return np.clip(corner * ease, 0.2, 1.0)


def _extend(path: np.ndarray, at_end: bool, length: float) -> np.ndarray:
    """The path continued straight on past one end by `length` pixels."""
    direction = tangent(path, at_end, reach=8.0)
    steps = np.linspace(0.0, length, max(2, int(length) + 1))[1:, None] * direction
    return np.concatenate([path, path[-1] + steps]) if at_end else np.concatenate([(path[0] + steps)[::-1], path])


def _trim(path: np.ndarray, at_end: bool, length: float) -> np.ndarray:
    """The path stopped `length` pixels early at one end (never more than 40 % of it)."""
    s = arc_length(path)
    length = min(length, 0.4 * s[-1])
    keep = (s <= s[-1] - length) if at_end else (s >= length)
    cut = interpolate(path, s, np.array([s[-1] - length if at_end else length]))
    return np.concatenate([path[keep], cut]) if at_end else np.concatenate([cut, path[keep]])


def record(strokes: Sequence[PenPath], rng: np.random.Generator, hand: HandRanges = HAND, *,
           faults: bool = True) -> list[np.ndarray]:
    """Intended strokes (template units) → the points the page would record, stroke by stroke.

    `faults=False` leaves out the warp, join faults, wobble and stray marks (for shapes that carry their
    writer's own faults already, such as redrawn MNIST digits).
    """
    placed = place([stroke.path for stroke in strokes], rng, hand)
    if faults:
        placed = warp(placed, rng, hand)
    pen_paths = [PenPath(path, stroke.joins) for path, stroke in zip(placed, strokes)]
    if faults:
        pen_paths = join_faults(pen_paths, rng, hand)
    paths = [stroke.path for stroke in pen_paths]
    if faults:
        paths = wobble(paths, rng, hand)
    paths = fit_inside(paths)
    if faults:
        paths = stray_mark(paths, rng, hand)
    # One reader, one pointer: the event spacing and the jitter hold for the whole digit.
    spacing, jitter = rng.uniform(*hand.spacing), rng.uniform(*hand.jitter)
    return [pointer_points(path, rng, hand, spacing=spacing, jitter=jitter) for path in paths]
