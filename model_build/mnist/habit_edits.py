"""Writing habits added to MNIST digits at the stroke level, for training (issue 13).

MNIST's writers rarely close a 4's top, cross a 7 or give a 1 a flag and a base; readers of the
page often do. Each edit takes a digit's pen paths (from `drawn.redraw.image_paths`, in image
pixels, y down) and adds the strokes the habit needs where that digit's own strokes are, so
the result keeps its writer's shape. An edit that cannot find what it needs (a 7 whose stem
does not cross mid-height, a 4 whose top is already closed) returns None and the digit is
redrawn unedited.

These edits are the only place habits enter training: the benchmark's stroke templates
(`drawn.habits`) are never trained on, so the benchmark still measures what a template-free
recipe makes of each habit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .drawn.paths import line

Paths = list[np.ndarray]
Edit = Callable[[Paths, np.random.Generator], "Paths | None"]


def _extent(paths: Paths) -> tuple[np.ndarray, np.ndarray, float]:
    points = np.concatenate(paths)
    low, high = points.min(axis=0), points.max(axis=0)
    return low, high, max(float(high[1] - low[1]), 1e-6)


def _crossings(paths: Paths, y: float) -> list[float]:
    """x of every place a path crosses the horizontal line at height y."""
    found = []
    for path in paths:
        a, b = path[:-1], path[1:]
        crossing = (a[:, 1] - y) * (b[:, 1] - y) <= 0
        for (ax, ay), (bx, by) in zip(a[crossing], b[crossing]):
            found.append(float(ax if ay == by else ax + (y - ay) * (bx - ax) / (by - ay)))
    return found


def cross_seven(paths: Paths, rng: np.random.Generator) -> Paths | None:
    """A short bar across the stem a little above or below mid-height (the continental 7)."""
    low, high, height = _extent(paths)
    y = low[1] + rng.uniform(0.45, 0.6) * height
    crossings = _crossings(paths, y)
    if len(crossings) != 1:  # the stem must be the only stroke there
        return None
    half = rng.uniform(0.15, 0.22) * height
    tilt = rng.uniform(-0.04, 0.02) * height
    x = crossings[0]
    return [*paths, line((x - half, y - tilt), (x + half * rng.uniform(0.7, 1.1), y + tilt))]


def flag_one(paths: Paths, rng: np.random.Generator) -> Paths | None:
    """A flag down to the left from the top of a plain 1, sometimes with a base bar."""
    low, high, height = _extent(paths)
    if high[0] - low[0] > 0.35 * height:  # has a flag or a base already, or is no plain stroke
        return None
    points = np.concatenate(paths)
    top = points[points[:, 1].argmin()]
    bottom = points[points[:, 1].argmax()]
    length, angle = rng.uniform(0.16, 0.28) * height, np.radians(rng.uniform(35, 60))
    flag = line((top[0] - length * np.cos(angle), top[1] + length * np.sin(angle)), tuple(top))
    edited = [flag, *paths]
    if rng.random() < 0.5:
        base = rng.uniform(0.18, 0.28) * height
        edited.append(line((bottom[0] - base, bottom[1]), (bottom[0] + base, bottom[1])))
    return edited


def close_four(paths: Paths, rng: np.random.Generator) -> Paths | None:
    """Join the two free stroke ends at the top of an open 4 (its left arm and its stem)."""
    low, high, height = _extent(paths)
    ends = np.array([end for path in paths if len(path) > 1 for end in (path[0], path[-1])])
    if not len(ends):
        return None
    upper = ends[ends[:, 1] <= low[1] + 0.4 * height]
    if len(upper) < 2:
        return None
    left, right = upper[upper[:, 0].argmin()], upper[upper[:, 0].argmax()]
    if right[0] - left[0] < 0.25 * height:
        return None
    # The bar from the arm's top to the stem, at about the stem's top (a square or a slanted top).
    target = (right[0] + rng.uniform(-0.03, 0.03) * height, min(left[1], right[1]) + rng.uniform(-0.02, 0.05) * height)
    return [*paths, line(tuple(left), target)]


#: Which edit applies to which digit.
EDITS: dict[int, Edit] = {1: flag_one, 4: close_four, 7: cross_seven}
