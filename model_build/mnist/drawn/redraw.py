"""Digit images turned into pen strokes, and redrawn on the canvas as a reader would draw them.

An image (28 × 28, 0 = background) is upsampled 3× (bilinear, so the skeleton follows the
stroke's middle rather than its pixel staircase), cut at half ink, thinned and traced into
polylines (`skeleton`); the polylines are simplified, scaled into the canvas at a reader's
size and placement, and recorded like pointer events (`hand.record`, without the habit
faults: the original writer's own slips are in the shape already).

Generic on purpose: the benchmark redraws MNIST's test split only; a training recipe may
redraw the training split the same way.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .hand import HAND, HandRanges, PenPath, record
from .paths import resample
from .skeleton import simplify, thin, trace

#: Upsampling before thinning: 3 is enough for a smooth centre line and keeps thinning cheap.
UPSAMPLE = 3
#: Ink level (of 1) above which an upsampled pixel belongs to the stroke.
INK_LEVEL = 0.4
#: Spurs shorter than this (in image pixels) are thinning artefacts, not strokes.
SPUR_LENGTH = 1.6
#: RDP tolerance, image pixels: removes the staircase, keeps the corners.
TOLERANCE = 0.3
#: A redrawn digit keeps its writer's slant and proportions: only size, placement and a
#: little rotation and stretch change (slant fixed at 0 here means "no slant added").
REDRAW_HAND: HandRanges = replace(HAND, aspect_log=0.06, rotation=4.0, slant=(0.0, 0.0))
#: Images thinned together: bounds the memory of a batch (about 7 KB each).
_BATCH = 2000


def skeletons(images: np.ndarray) -> np.ndarray:
    """(N, 28·UPSAMPLE, 28·UPSAMPLE) bool skeletons of uint8 images (N, 28, 28)."""
    out = []
    for start in range(0, len(images), _BATCH):
        batch = images[start : start + _BATCH].astype(np.float32) / 255.0
        rows = _upsampling_matrix(batch.shape[1])
        cols = _upsampling_matrix(batch.shape[2])
        smooth = np.einsum("ij,njk,lk->nil", rows, batch, cols, optimize=True)
        out.append(thin(smooth >= INK_LEVEL))
    return np.concatenate(out) if out else np.zeros((0, 28 * UPSAMPLE, 28 * UPSAMPLE), bool)


def skeleton_paths(skeleton: np.ndarray) -> list[np.ndarray]:
    """Polylines of one skeleton in the original image's pixel coordinates (pixel centres at integers)."""
    strokes = trace(skeleton, spur_length=SPUR_LENGTH * UPSAMPLE, reach=2.0 * UPSAMPLE)
    return [(simplify(stroke, TOLERANCE * UPSAMPLE) + 0.5) / UPSAMPLE - 0.5 for stroke in strokes]


def image_paths(images: np.ndarray) -> list[list[np.ndarray]]:
    """The pen paths of each image (N, 28, 28) uint8, in image pixel coordinates."""
    return [skeleton_paths(skeleton) for skeleton in skeletons(images)]


def redraw(paths: list[np.ndarray], rng: np.random.Generator, hand: HandRanges = REDRAW_HAND) -> list[np.ndarray]:
    """Image-coordinate pen paths → recorded canvas strokes, at a reader's size and place."""
    # Dense (0.05 image px ≈ 0.5 canvas px) so that the pointer sampling sees a smooth path.
    dense = [resample(path, 0.05) if len(path) > 1 else path for path in paths]
    return record([PenPath(path) for path in dense], rng, hand, faults=False)


def _upsampling_matrix(length: int) -> np.ndarray:
    """(length·UPSAMPLE, length) bilinear weights; output pixel centres sampled between input centres."""
    position = (np.arange(length * UPSAMPLE) + 0.5) / UPSAMPLE - 0.5
    low = np.clip(np.floor(position), 0, length - 1).astype(int)
    high = np.clip(low + 1, 0, length - 1)
    weight = np.clip(position - low, 0.0, 1.0)
    matrix = np.zeros((len(position), length), np.float32)
    matrix[np.arange(len(position)), low] += 1 - weight
    matrix[np.arange(len(position)), high] += weight
    return matrix
