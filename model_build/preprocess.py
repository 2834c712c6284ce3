"""The canvas preprocessing of the browser tool, in Python (for tests and training checks).

Canvas ink → the 28×28 input the model was trained on, the way MNIST itself was prepared.
The same specification heads `assets/js/preprocess.js` of the plugin; a browser test feeds both
the same drawings and requires |Δ| ≤ 1e-3 per pixel.

1. ink: the canvas alpha channel as 0–1 (strokes are opaque, the background transparent);
2. bounding box of pixels with ink ≥ INK_THRESHOLD;
3. resample the box with area averaging so that its longer side is 20 px (aspect kept, the
   shorter side rounded half up, at least 1 px);
4. paste it into a black 28×28 image, centred by its box;
5. shift by whole pixels so that the centre of mass lands on (14, 14) in pixel indices — where
   every MNIST digit has it, within half a pixel — rounding half up, and never so far that ink
   leaves the image;
6. values are floats 0–1, white digit on black.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SIZE = 28
BOX = 20
INK_THRESHOLD = 0.1


@dataclass(frozen=True)
class Preprocessed:
    box: tuple[int, int, int, int]  # x, y, width, height on the source
    scaled: np.ndarray  # (h', w'), longer side 20
    shift: tuple[int, int]  # whole-pixel centre-of-mass shift (x, y)
    pixels: np.ndarray  # (28, 28) float32 in [0, 1]


def area_weights(input_length: int, output_length: int) -> np.ndarray:
    """(output_length, input_length) matrix: each output cell averages the inputs it covers."""
    weights = np.zeros((output_length, input_length))
    step = input_length / output_length
    for i in range(output_length):
        start, end = i * step, (i + 1) * step
        for j in range(math.floor(start), min(math.ceil(end), input_length)):
            overlap = min(end, j + 1) - max(start, j)
            if overlap > 0:
                weights[i, j] = overlap / step
    return weights


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def preprocess_ink(ink: np.ndarray) -> Preprocessed | None:
    """`ink`: (H, W) floats 0–1. None when nothing is drawn."""
    ys, xs = np.nonzero(ink >= INK_THRESHOLD)
    if len(xs) == 0:
        return None
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()), int(ys.min()), int(ys.max())
    width, height = x1 - x0 + 1, y1 - y0 + 1
    longer = max(width, height)
    scaled_width = max(1, _round_half_up(width * BOX / longer))
    scaled_height = max(1, _round_half_up(height * BOX / longer))
    crop = ink[y0 : y1 + 1, x0 : x1 + 1].astype(np.float64)
    scaled = np.clip(area_weights(height, scaled_height) @ crop @ area_weights(width, scaled_width).T, 0, 1)

    left, top = (SIZE - scaled_width) // 2, (SIZE - scaled_height) // 2
    mass = scaled.sum()
    grid_y, grid_x = np.mgrid[0:scaled_height, 0:scaled_width]
    centre = SIZE / 2  # MNIST's convention, see step 5
    shift_x = _round_half_up(centre - float((scaled * (grid_x + left)).sum() / mass))
    shift_y = _round_half_up(centre - float((scaled * (grid_y + top)).sum() / mass))
    shift_x = min(max(shift_x, -left), SIZE - left - scaled_width)
    shift_y = min(max(shift_y, -top), SIZE - top - scaled_height)

    pixels = np.zeros((SIZE, SIZE), np.float32)
    pixels[top + shift_y : top + shift_y + scaled_height, left + shift_x : left + shift_x + scaled_width] = scaled
    return Preprocessed((x0, y0, width, height), scaled.astype(np.float32), (shift_x, shift_y), pixels)


def preprocess_rgba(rgba: np.ndarray) -> Preprocessed | None:
    """From canvas RGBA bytes (H, W, 4): ink is the alpha channel."""
    return preprocess_ink(rgba[..., 3].astype(np.float64) / 255.0)
