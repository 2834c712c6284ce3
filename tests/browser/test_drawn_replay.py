"""Drawn-benchmark digits replayed on the tool page as pointer input: the page reads what Keras reads.

The fast version of `benchmarks/drawn_replay.py` (which replays the whole test part): 20 digits
of the benchmark's test part drawn on the pad by PointerEvents, one of them also by the real
mouse, which must give the pad the very same points and the page the very same answers.
"""

from __future__ import annotations

import numpy as np
import pytest

from model_build.mnist.drawn.benchmark import BENCHMARK_SEED, DrawnDigits, drawn_digit_benchmark
from model_build.mnist.drawn.canvas import render_ink
from model_build.preprocess import preprocess_ink

from .conftest import TOOL_PATH
from .pointer_replay import canvas_geometry, replay_with_events, replay_with_mouse, same_replay

#: The smallest benchmark with every style in both parts (50 digits a part, generated in ~0.5 s).
SMALL_BENCHMARK = {"habits_per_digit": 8, "redrawn_per_digit": 2}
COUNT = 20
#: The page's input against the benchmark's stored one (canvas.py's ink → preprocess.py), per pixel,
#: where both found the same box and centring shift: Chromium's antialiasing of the round pen is
#: not canvas.py's. Measured (largest |Δ| per digit): these 20 digits, 16 of them: max 0.026; the
#: full test part, 1,504 of 1,800: median 0.019, max 0.051; validation, 1,464 of 1,800: max 0.049.
ANTIALIASING_TOLERANCE = 0.06
#: Elsewhere Chromium's extreme pixels fall on the other side of the 0.1 ink threshold (round joins
#: and caps drawn ~0.1 px smaller), so the box moves by 1–2 px and sometimes the centring shift by
#: 1 px (|Δ| up to ~0.99). Measured: 4 of these 20; 296 of 1,800 (16 %) in the test part, 336 in
#: validation.
MOST_OTHER_GEOMETRY = COUNT * 3 // 10


@pytest.fixture(scope="module")
def drawn_test_part(mnist) -> DrawnDigits:
    return drawn_digit_benchmark(mnist.test_images, mnist.test_labels, BENCHMARK_SEED, **SMALL_BENCHMARK).test


def shipped_probabilities(site, pixels: np.ndarray) -> np.ndarray:
    from model_build.mnist.build import shipped_model

    model = shipped_model(site / "assets/models/digits")
    return np.asarray(model(pixels[..., np.newaxis], training=False))


def test_drawn_digits_through_the_page_agree_with_keras(open_page, example_site, drawn_test_part) -> None:
    picks = np.linspace(0, len(drawn_test_part) - 1, COUNT).round().astype(int)
    strokes = [drawn_test_part.strokes(int(i)) for i in picks]
    page, watch = open_page(TOOL_PATH, viewport={"width": 1280, "height": 900})
    page.wait_for_selector(".digit-recognizer[data-state=ready]", timeout=60_000)
    geometry = canvas_geometry(page)
    assert geometry["reachable"] and geometry["width"] == geometry["canvasWidth"] == 280, geometry  # CSS px = canvas px

    replay = replay_with_events(page, strokes)
    assert replay.recording_error(strokes).max() < 1e-3  # the pad recorded the points as drawn
    # The real mouse on the digit with the fewest points (~5 s a digit): the same numbers exactly.
    shortest = min(range(COUNT), key=lambda i: sum(len(stroke) for stroke in strokes[i]))
    assert same_replay(replay_with_mouse(page, geometry, [strokes[shortest]]), replay.pick([shortest])) == []

    keras = shipped_probabilities(example_site, replay.pixels)
    assert replay.top.tolist() == keras.argmax(1).tolist()
    assert np.abs(replay.probabilities - keras).max() < 1e-4

    stored = [preprocess_ink(render_ink(s)) for s in strokes]
    assert np.array_equal(np.stack([s.pixels for s in stored]), drawn_test_part.pixels[picks])
    same_geometry = np.array([tuple(replay.box[k]) == s.box and tuple(replay.shift[k]) == s.shift
                              for k, s in enumerate(stored)])
    difference = np.abs(replay.pixels - drawn_test_part.pixels[picks]).reshape(COUNT, -1).max(axis=1)
    print(f"page input vs stored: same box and shift for {same_geometry.sum()} of {COUNT} digits, largest |Δ| among "
          f"them {difference[same_geometry].max():.3f}; largest |Δ| overall {difference.max():.3f}")
    assert difference[same_geometry].max() <= ANTIALIASING_TOLERANCE
    assert (~same_geometry).sum() <= MOST_OTHER_GEOMETRY
    assert np.abs(replay.box - np.array([s.box for s in stored])).max() <= 2
    assert np.abs(replay.shift - np.array([s.shift for s in stored])).max() <= 1
    assert not watch.errors
