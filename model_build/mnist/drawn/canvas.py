"""The page's drawing pad in NumPy: strokes → the canvas's ink (its alpha channel, 0–1).

`assets/js/drawing-pad.js` paints every stroke opaque white with `lineWidth = max(2, width ·
0.075)` (21 px on the 280 px canvas), round caps and joins, straight segments between the
recorded pointer points, and a lone point as a filled disc of the same diameter. What one
stroke inks is therefore the union of "capsules": every point within `width / 2` of the
polyline. Strokes are composited one after another (source-over, opaque colour), and the
canvas keeps 8-bit alpha, which is what `getImageData` hands the preprocessing.

Antialiasing. The canvas (Skia, software-rendered because the pad asks for
`willReadFrequently`) gives each pixel the fraction of its area the stroke's outline covers.
We use the analytic approximation of that area: coverage = clamp(r + ½ − d, 0, 1), with d the
distance from the pixel's centre to the polyline. It is exact for an edge parallel to a pixel
side and off by at most ~0.05 for a 45° edge (the area of a pixel cut by a diagonal line is a
smoothed version of the same ramp); the 21 px pen's edge is nearly straight at pixel scale.
`render_ink_supersampled` computes the exact area (n × n samples per pixel) and the tests
bound the difference. Chromium itself is not exact either: replaying the benchmark through the
page (`benchmarks/drawn_replay.py`) shows its round caps and taps ~0.1 px smaller, and dense
wiggles up to a pixel fuller, than this model. After the preprocessing the inputs then differ
by ≤ 0.05 per pixel for 84 % of digits; for the rest a faint edge pixel crosses the bounding
box's 0.1 ink threshold on one side and not the other, moving the box by 1–2 px. On the test
part this changed no answer (page and Python both 98.50 %); on the validation part, one of
1,800. Distances are computed per segment in the segment's own bounding box, so
the cost is proportional to the ink, not to canvas × segments.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: The recognizer's canvas is `data-size` pixels square, 280 unless a page says otherwise.
CANVAS_SIZE = 280
#: drawing-pad.js: `Math.max(2, canvas.width * 0.075)`.
PEN_WIDTH = max(2.0, CANVAS_SIZE * 0.075)

Stroke = np.ndarray  # (n, 2) float: (x, y) points in canvas pixels, x to the right, y down
Drawing = Sequence[Stroke]


def render_ink(strokes: Drawing, size: int = CANVAS_SIZE, pen_width: float = PEN_WIDTH) -> np.ndarray:
    """The canvas's alpha after painting `strokes`, as float32 0–1 in steps of 1/255."""
    radius = pen_width / 2
    alpha = np.zeros((size, size), np.float32)
    for stroke in strokes:
        coverage, (y0, x0) = _stroke_coverage(np.asarray(stroke, np.float64), radius, size)
        if coverage is not None:
            _composite(alpha, coverage, y0, x0)
    return alpha


def render_ink_supersampled(strokes: Drawing, size: int = CANVAS_SIZE, pen_width: float = PEN_WIDTH,
                            samples: int = 8) -> np.ndarray:
    """Reference renderer: each pixel's exact covered area, estimated on `samples`² points.

    Slow (for tests only); the same compositing as `render_ink`.
    """
    radius = pen_width / 2
    alpha = np.zeros((size, size), np.float32)
    offsets = (np.arange(samples) + 0.5) / samples
    for stroke in strokes:
        points = np.asarray(stroke, np.float64)
        box = _bounding_box(points, radius + 1, size)
        if box is None:
            continue
        y0, y1, x0, x1 = box
        ys = (np.arange(y0, y1)[:, None] + offsets[None, :]).reshape(-1)  # sub-sample rows
        xs = (np.arange(x0, x1)[:, None] + offsets[None, :]).reshape(-1)
        inside = _distance_squared(points, ys, xs, radius + 1) <= radius * radius
        coverage = inside.reshape(y1 - y0, samples, x1 - x0, samples).mean(axis=(1, 3))
        _composite(alpha, coverage, y0, x0)
    return alpha


def _stroke_coverage(points: np.ndarray, radius: float, size: int) -> tuple[np.ndarray | None, tuple[int, int]]:
    """Coverage of one stroke over its bounding box, and the box's top-left pixel."""
    box = _bounding_box(points, radius + 1, size)
    if box is None:
        return None, (0, 0)
    y0, y1, x0, x1 = box
    # Pixel centres sit at integer + ½ in the canvas's coordinates, as in the browser.
    distance = np.sqrt(_distance_squared(points, np.arange(y0, y1) + 0.5, np.arange(x0, x1) + 0.5, radius + 1))
    return np.clip(radius + 0.5 - distance, 0.0, 1.0), (y0, x0)


def _bounding_box(points: np.ndarray, margin: float, size: int) -> tuple[int, int, int, int] | None:
    """Pixel rows y0:y1 and columns x0:x1 that may get ink; None when all of it is off the canvas."""
    low = np.floor(points.min(axis=0) - margin).astype(int)
    high = np.ceil(points.max(axis=0) + margin).astype(int)
    x0, y0 = max(low[0], 0), max(low[1], 0)
    x1, y1 = min(high[0], size), min(high[1], size)
    return None if x0 >= x1 or y0 >= y1 else (y0, y1, x0, x1)


def _distance_squared(points: np.ndarray, ys: np.ndarray, xs: np.ndarray, reach: float) -> np.ndarray:
    """(len(ys), len(xs)): squared distance from each grid point (x, y) to the polyline `points`.

    Only distances up to `reach` are exact: each segment updates just the grid points within its
    own bounding box grown by `reach` (a slice, the grid being regular), and the rest stay inf.
    That is all the coverage needs (it is 0 beyond radius + ½) and keeps the cost proportional
    to the ink.
    """
    out = np.full((len(ys), len(xs)), np.inf)
    if len(points) == 1:  # a tap: the pad paints a disc, the capsule of a zero-length segment
        points = np.concatenate([points, points])
    step_y = ys[1] - ys[0] if len(ys) > 1 else 1.0
    step_x = xs[1] - xs[0] if len(xs) > 1 else 1.0
    for (ax, ay), (bx, by) in zip(points[:-1].tolist(), points[1:].tolist()):
        rows = slice(*_index_range(ys, step_y, min(ay, by) - reach, max(ay, by) + reach))
        cols = slice(*_index_range(xs, step_x, min(ax, bx) - reach, max(ax, bx) + reach))
        if rows.start >= rows.stop or cols.start >= cols.stop:
            continue
        dy = ys[rows, None] - ay
        dx = xs[None, cols] - ax
        ux, uy = bx - ax, by - ay
        length2 = ux * ux + uy * uy
        if length2 > 0:  # nearest point of the segment: the projection, clamped to its ends
            t = np.clip((dx * ux + dy * uy) * (1.0 / length2), 0.0, 1.0)
            ex, ey = dx - t * ux, dy - t * uy
        else:
            ex, ey = dx, dy
        np.minimum(out[rows, cols], ex * ex + ey * ey, out=out[rows, cols])
    return out


def _index_range(centres: np.ndarray, step: float, low: float, high: float) -> tuple[int, int]:
    """The slice of a regular grid of `centres` that falls within [low, high]."""
    start = int(np.ceil((low - centres[0]) / step))
    stop = int(np.floor((high - centres[0]) / step)) + 1
    return max(start, 0), min(max(stop, 0), len(centres))


def _composite(alpha: np.ndarray, coverage: np.ndarray, y0: int, x0: int) -> None:
    """Source-over of opaque ink with `coverage` onto the 8-bit alpha canvas, in place."""
    height, width = coverage.shape
    region = alpha[y0 : y0 + height, x0 : x0 + width]
    combined = region + coverage * (1.0 - region)
    region[...] = np.round(combined * 255.0) / 255.0  # the canvas stores alpha as one byte
