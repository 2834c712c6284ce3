"""Contact sheets: one PNG per style, so a person can check that every sample reads as its digit.

Each sheet is a grid of samples (validation first, then test), `COLUMNS` per row. A sample is
a tile of panels side by side, separated by mid grey:

- for redrawn MNIST digits only, first the original MNIST test digit (white on black, 2×);
- the drawing as the reader sees it on the page's canvas: dark ink on light, the whole
  280 × 280 canvas shrunk 5× (so placement and size are visible too);
- the 28 × 28 input the model gets after the page's preprocessing (white on black, 2×).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...png import encode_greyscale_png
from .benchmark import BENCHMARK_SEED, REDRAWN_STYLE, DrawnBenchmark, DrawnDigits, load_drawn_benchmark
from .canvas import CANVAS_SIZE, render_ink

COLUMNS = 6
PANEL = 56  # pixels: 280 / 5 and 28 × 2
_SHRINK = CANVAS_SIZE // PANEL
_GAP, _TILE_GAP = 2, 8
_GREY = 128


def write_contact_sheets(benchmark: DrawnBenchmark, directory: Path, per_style: int = 48,
                         test_images: np.ndarray | None = None) -> list[Path]:
    """`<style>.png` in `directory` for every style, `per_style` samples each; the paths written.

    `test_images`: MNIST's test images, to show the original beside each redrawn digit.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for style in benchmark.validation.style_names():
        panels = []
        for _, part in benchmark.parts():
            for index in np.flatnonzero(part.styles == style):
                if len(panels) < per_style:
                    panels.append(_tile(part, int(index), test_images if style == REDRAWN_STYLE else None))
        path = directory / f"{style}.png"
        path.write_bytes(encode_greyscale_png(_grid(panels)))
        written.append(path)
    return written


def write_benchmark_sheets(directory: Path, seed: int | None = None, data_path: Path | None = None,
                           cache_dir: Path | None = None, per_style: int = 48, **sizes: int) -> list[Path]:
    """Load MNIST, generate the benchmark (or read it from `cache_dir`, where the decoded MNIST
    is cached too), write its contact sheets. `sizes`: as `drawn_digit_benchmark` takes them."""
    from ..data import load_mnist

    mnist = load_mnist(data_path, cache_dir)
    benchmark = load_drawn_benchmark(mnist.test_images, mnist.test_labels,
                                     BENCHMARK_SEED if seed is None else seed, cache_dir=cache_dir, **sizes)
    return write_contact_sheets(benchmark, directory, per_style, mnist.test_images)


def _tile(digits: DrawnDigits, index: int, originals: np.ndarray | None) -> np.ndarray:
    """One sample's panels side by side, uint8."""
    ink = render_ink(digits.strokes(index))
    drawing = 1.0 - ink.reshape(PANEL, _SHRINK, PANEL, _SHRINK).mean(axis=(1, 3))
    panels = [drawing, _double(digits.pixels[index])]
    if originals is not None:
        panels.insert(0, _double(originals[int(digits.sources[index])] / 255.0))
    gap = np.full((PANEL, _GAP), _GREY / 255.0)
    row = [panels[0]]
    for panel in panels[1:]:
        row += [gap, panel]
    return np.round(np.concatenate(row, axis=1) * 255).astype(np.uint8)


def _double(pixels: np.ndarray) -> np.ndarray:
    return np.repeat(np.repeat(pixels, 2, axis=0), 2, axis=1)


def _grid(tiles: list[np.ndarray]) -> np.ndarray:
    height, width = tiles[0].shape
    rows = -(-len(tiles) // COLUMNS)
    sheet = np.full((rows * (height + _TILE_GAP) + _TILE_GAP, COLUMNS * (width + _TILE_GAP) + _TILE_GAP), _GREY, np.uint8)
    for number, tile in enumerate(tiles):
        top = _TILE_GAP + (number // COLUMNS) * (height + _TILE_GAP)
        left = _TILE_GAP + (number % COLUMNS) * (width + _TILE_GAP)
        sheet[top : top + height, left : left + width] = tile
    return sheet
