"""The simulated reader: one person's drawings of one digit, as the page's model inputs and as strokes."""

from __future__ import annotations

import numpy as np
import pytest

from model_build.mnist.drawn.canvas import CANVAS_SIZE, render_ink
from model_build.mnist.drawn.reader import make_reader, reader_drawings
from model_build.preprocess import preprocess_ink

STYLE = "4-closed-square"
COUNT = 6


def mean_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute pixel difference over every pair (one from `a`, one from `b`, not the same drawing)."""
    pairs = [np.abs(x - y).mean() for i, x in enumerate(a) for j, y in enumerate(b) if a is not b or i < j]
    return float(np.mean(pairs))


def test_deterministic_and_shaped():
    inputs, strokes = reader_drawings(STYLE, COUNT, 3, person_seed=1)
    again, strokes_again = reader_drawings(STYLE, COUNT, 3, person_seed=1)
    assert inputs.dtype == np.float32 and inputs.shape == (COUNT, 28, 28)
    assert inputs.min() >= 0.0 and inputs.max() <= 1.0 and inputs.max() > 0.5
    assert np.array_equal(inputs, again) and strokes == strokes_again
    assert len(strokes) == COUNT and all(len(drawing) == 3 for drawing in strokes)  # the habit's three strokes
    points = np.array([point for drawing in strokes for stroke in drawing for point in stroke])
    assert points.shape[1] == 2 and points.min() > 0.0 and points.max() < 1.0  # canvas fractions
    # Drawing i does not depend on how many are asked for.
    fewer, fewer_strokes = reader_drawings(STYLE, 2, 3, person_seed=1)
    assert np.array_equal(fewer, inputs[:2]) and fewer_strokes == strokes[:2]
    assert reader_drawings(STYLE, 0, 3)[0].shape == (0, 28, 28)


def test_default_person_is_the_seed():
    inputs, _ = reader_drawings(STYLE, 2, 5)
    assert np.array_equal(inputs, reader_drawings(STYLE, 2, 5, person_seed=5)[0])


def test_person_fixed_drawings_vary():
    one, _ = reader_drawings(STYLE, COUNT, 3, person_seed=1)
    other_seed, _ = reader_drawings(STYLE, COUNT, 4, person_seed=1)
    person, same = make_reader(STYLE, 1), make_reader(STYLE, 1)
    assert all(np.array_equal(a.path, b.path) for a, b in zip(person.paths, same.paths))
    assert (person.height, person.slant, person.join_faults) == (same.height, same.slant, same.join_faults)
    assert not np.array_equal(one[0], one[1])  # two drawings by one person differ…
    assert not np.array_equal(one, other_seed)  # …and another seed draws them differently
    others = [reader_drawings(STYLE, 1, 3, person_seed=person)[0][0] for person in range(2, 2 + COUNT)]
    within = mean_distance(one, one)
    between = mean_distance(one, np.stack(others))
    assert between > 1.5 * within, (within, between)  # …but far less than two people's do


def test_unknown_style():
    with pytest.raises(ValueError, match="unknown style"):
        reader_drawings("4-backwards", 1, 0)


def test_strokes_redrawn_give_the_inputs():
    inputs, strokes = reader_drawings("7-crossed", 2, 9, person_seed=2)
    ink = render_ink([np.asarray(stroke, np.float64) * CANVAS_SIZE for stroke in strokes[0]])
    assert np.array_equal(preprocess_ink(ink).pixels, inputs[0])
