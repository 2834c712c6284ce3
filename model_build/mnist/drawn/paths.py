"""Ideal pen paths: the shapes a writer means, as dense polylines, before any hand or pointer.

Templates are written in a box of height 1 (y from 0 at the top to 1 at the bottom, as on a
canvas) with key points; these helpers turn key points into dense polylines (spacing
`DENSITY`) that later steps move, distort and sample like a pointer would.
"""

from __future__ import annotations

import numpy as np

#: Spacing of the dense polylines in template units (≈ 1 px on a 200 px digit): fine enough that
#: pointer sampling and the faults never see the polyline's own corners.
DENSITY = 0.005

Point = tuple[float, float]


def line(*points: Point) -> np.ndarray:
    """Straight segments through `points`, with sharp corners (a pen that stops and turns)."""
    key = np.asarray(points, np.float64)
    pieces = [_segment(a, b) for a, b in zip(key[:-1], key[1:])]
    return chain(*pieces)


def curve(*points: Point) -> np.ndarray:
    """A smooth curve through `points` (centripetal Catmull–Rom: no loops or cusps of its own)."""
    key = np.asarray(points, np.float64)
    if len(key) < 3:
        return line(*points)
    # Mirror the end points so the curve starts and ends heading to/from its neighbours.
    padded = np.concatenate([2 * key[:1] - key[1:2], key, 2 * key[-1:] - key[-2:-1]])
    pieces = [_catmull_rom(*padded[i : i + 4]) for i in range(len(key) - 1)]
    return chain(*pieces)


def arc(centre: Point, radii: tuple[float, float], start: float, end: float) -> np.ndarray:
    """An ellipse arc from angle `start` to `end` in degrees.

    0° points right and 90° down (y grows downwards), so increasing angles turn clockwise on
    screen; `end < start` draws anticlockwise.
    """
    (cx, cy), (rx, ry) = centre, radii
    length = abs(np.radians(end - start)) * max(rx, ry)
    angles = np.radians(np.linspace(start, end, max(2, int(np.ceil(length / DENSITY)) + 1)))
    return np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], axis=1)


def chain(*pieces: np.ndarray) -> np.ndarray:
    """One polyline from pieces that each start where the previous one ended."""
    parts = [pieces[0]] + [piece[1:] if np.allclose(piece[0], prev[-1]) else piece
                           for prev, piece in zip(pieces[:-1], pieces[1:])]
    return np.concatenate(parts)


def arc_length(path: np.ndarray) -> np.ndarray:
    """Cumulative length along `path` at each of its points (0 at the first)."""
    steps = np.hypot(*np.diff(path, axis=0).T)
    return np.concatenate([[0.0], np.cumsum(steps)])


def resample(path: np.ndarray, spacing: float) -> np.ndarray:
    """The same path with points every `spacing` along it (both ends kept)."""
    s = arc_length(path)
    count = max(2, int(np.ceil(s[-1] / spacing)) + 1)
    return interpolate(path, s, np.linspace(0.0, s[-1], count))


def interpolate(path: np.ndarray, s: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Points of `path` (with cumulative lengths `s`) at the lengths `at`."""
    return np.stack([np.interp(at, s, path[:, 0]), np.interp(at, s, path[:, 1])], axis=1)


def tangent(path: np.ndarray, at_end: bool, reach: float) -> np.ndarray:
    """Unit direction of travel at the start (backwards, pointing out of the path) or end."""
    s = arc_length(path)
    if at_end:
        inner = interpolate(path, s, np.array([max(s[-1] - reach, 0.0)]))[0]
        vector = path[-1] - inner
    else:
        inner = interpolate(path, s, np.array([min(reach, s[-1])]))[0]
        vector = path[0] - inner
    norm = np.hypot(*vector)
    return vector / norm if norm > 0 else np.zeros(2)


def _segment(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    count = max(2, int(np.ceil(np.hypot(*(b - a)) / DENSITY)) + 1)
    t = np.linspace(0.0, 1.0, count)[:, None]
    return a + t * (b - a)


def _catmull_rom(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, p3: np.ndarray) -> np.ndarray:
    """The centripetal Catmull–Rom piece from p1 to p2 (Barry–Goldman's pyramid)."""
    def knot(a: np.ndarray, b: np.ndarray) -> float:
        return max(float(np.hypot(*(b - a))) ** 0.5, 1e-6)

    t0, t1 = 0.0, knot(p0, p1)
    t2 = t1 + knot(p1, p2)
    t3 = t2 + knot(p2, p3)
    count = max(2, int(np.ceil(np.hypot(*(p2 - p1)) * 1.5 / DENSITY)) + 1)
    t = np.linspace(t1, t2, count)[:, None]
    a1 = (t1 - t) / (t1 - t0) * p0 + (t - t0) / (t1 - t0) * p1
    a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
    a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
    b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
    b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
    return (t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2
