"""The drawn-digit benchmark: the pad's renderer, the hand, the skeleton tracer, the split, the cache, the sheets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model_build.cli import main as cli_main
from model_build.errors import RecipeError
from model_build.mnist.data import MnistArrays
from model_build.mnist.drawn import benchmark as benchmark_module
from model_build.mnist.drawn.benchmark import (
    REDRAWN_STYLE,
    DrawnBenchmark,
    drawn_digit_benchmark,
    load_drawn_benchmark,
)
from model_build.mnist.drawn.canvas import CANVAS_SIZE, PEN_WIDTH, render_ink, render_ink_supersampled
from model_build.mnist.drawn.habits import STYLE_NAMES, STYLES
from model_build.mnist.drawn.hand import EDGE_MARGIN, HAND, HandRanges, PenPath, join_faults, pointer_points
from model_build.mnist.drawn.scores import predict, score
from model_build.mnist.drawn.skeleton import simplify, thin, trace
from model_build.png import decode_greyscale_png

#: Small but complete: every style twice or more in each part, two redrawn digits per class and part.
SMALL = {"habits_per_digit": 24, "redrawn_per_digit": 4}
SEED = 7


@pytest.fixture(scope="module")
def small(mnist: MnistArrays) -> DrawnBenchmark:
    return drawn_digit_benchmark(mnist.test_images, mnist.test_labels, SEED, **SMALL)


def _arrays(benchmark: DrawnBenchmark) -> dict[str, np.ndarray]:
    return {f"{part}.{key}": value for part, digits in benchmark.parts() for key, value in digits.__dict__.items()}


# -- the pad's renderer --------------------------------------------------------------------------


def test_pen_is_the_pages() -> None:
    assert PEN_WIDTH == 21.0 and CANVAS_SIZE == 280  # drawing-pad.js: max(2, 280 · 0.075)


@pytest.mark.parametrize("y, edge", [(100.5, None), (100.0, 0.5), (100.25, 0.25)])
def test_horizontal_segment_profile(y: float, edge: float | None) -> None:
    ink = render_ink([np.array([[60.0, y], [220.0, y]])])
    column = ink[:, 140].astype(np.float64)
    assert column.sum() == pytest.approx(PEN_WIDTH, abs=0.01)  # 21 px of ink across the stroke
    assert column[int(y)] == 1.0  # full ink at the centre
    assert _width_at_half(column) == pytest.approx(PEN_WIDTH, abs=0.02)  # 21 px wide at 50 % coverage
    partial = column[(column > 0) & (column < 1)]
    if edge is None:  # the line on a pixel centre: 21 full pixels, no partial ones
        assert len(partial) == 0
    else:  # antialiased edges, as a browser canvas draws them
        assert sorted(np.round(partial, 2)) == sorted({edge, 1 - edge} if edge != 0.5 else [0.5, 0.5])
    # Round caps: the ink reaches half a pen width beyond the end points, not more.
    row = ink[int(y)]
    assert row[60 - 10] > 0 and row[60 - 12] == 0 and row[220 + 10] > 0 and row[220 + 12] == 0


def test_a_tap_is_a_disc_and_alpha_is_bytes() -> None:
    ink = render_ink([np.array([[140.3, 120.7]])])
    assert ink.sum() == pytest.approx(np.pi * (PEN_WIDTH / 2) ** 2, rel=0.01)
    assert np.array_equal(ink * 255, np.round(ink * 255))  # the canvas keeps 8-bit alpha


def test_antialiasing_is_close_to_exact_area_coverage() -> None:
    t = np.linspace(0, 1.6 * np.pi, 40)
    strokes = [np.stack([140 + 70 * np.cos(t), 140 + 100 * np.sin(t)], axis=1),
               np.array([[30.0, 250.0], [250.0, 30.0]]), np.array([[50.0, 60.0]])]
    analytic, exact = render_ink(strokes), render_ink_supersampled(strokes, samples=16)
    assert np.abs(analytic - exact).max() <= 0.06
    assert analytic.sum() == pytest.approx(exact.sum(), rel=0.002)


def test_overlapping_strokes_composite_like_source_over() -> None:
    one = np.array([[100.0, 140.0], [180.0, 140.0]])
    two = np.array([[140.0, 100.0], [140.0, 180.0]])
    ink = render_ink([one, two])
    assert ink.max() == 1.0
    assert ink.sum() < render_ink([one]).sum() + render_ink([two]).sum()  # the crossing is inked once
    # Two antialiased edges on one pixel: a = 1 − (1 − ¼)(1 − ¼), in the canvas's bytes.
    upper, lower = np.array([[60.0, 78.75], [220.0, 78.75]]), np.array([[60.0, 100.25], [220.0, 100.25]])
    assert render_ink([upper])[89, 140] * 255 == 64 and render_ink([lower])[89, 140] * 255 == 64
    assert render_ink([upper, lower])[89, 140] * 255 == 112


def _width_at_half(profile: np.ndarray) -> float:
    """Distance between the two places (pixel centres interpolated) where coverage crosses ½."""
    inked = np.flatnonzero(profile >= 0.5)
    first, last = inked[0], inked[-1]

    def crossing(inside: int, outside: int) -> float:
        a, b = profile[inside], profile[outside]
        return inside + (a - 0.5) / (a - b) * (outside - inside)

    return crossing(last, last + 1) - crossing(first, first - 1)


# -- the hand ------------------------------------------------------------------------------------


def test_pointer_points_are_uneven_and_denser_where_the_hand_slows() -> None:
    path = np.concatenate([np.linspace([40, 40], [240, 40], 400), np.linspace([240, 40], [240, 240], 400)[1:]])
    points = pointer_points(path, np.random.default_rng(0), spacing=8.0, jitter=0.0)
    gaps = np.hypot(*np.diff(points, axis=0).T)
    assert np.allclose(points[0], path[0]) and np.allclose(points[-1], path[-1])
    assert gaps.max() <= 8.0 * (1 + HAND.timing_jitter) + 1e-6
    at_corner = np.hypot(*(points[1:] - [240, 40]).T) < 15
    straight = np.hypot(*(points[1:] - [140, 40]).T) < 30
    assert gaps[at_corner].mean() < 0.6 * gaps[straight].mean()


def test_join_faults_overshoot_or_fall_short_by_their_ranges() -> None:
    path = np.linspace([0.0, 0.0], [100.0, 0.0], 101)
    ranges = HandRanges(join_fault_rate=1.0)
    ends = [join_faults([PenPath(path, joins=(False, True))], np.random.default_rng(seed), ranges)[0].path[-1, 0]
            for seed in range(40)]
    over = [end - 100 for end in ends if end > 100]
    short = [100 - end for end in ends if end < 100]
    assert over and short
    assert all(HAND.overshoot[0] - 1e-6 <= d <= HAND.overshoot[1] + 1e-6 for d in over)
    assert all(HAND.shortfall[0] - 1e-6 <= d <= HAND.shortfall[1] + 1e-6 for d in short)


# -- skeleton tracing ----------------------------------------------------------------------------


def test_tracer_recovers_an_l() -> None:
    image = np.zeros((1, 60, 60), bool)
    image[0, 10:50, 10:15] = True  # the upright, 5 px thick
    image[0, 45:50, 10:45] = True  # the foot
    image[0, 26:30, 6:10] = True  # a bump, which thinning turns into a 4 px spur
    skeleton = thin(image)[0]
    assert len(trace(skeleton, spur_length=0)) == 2  # the spur is there…
    strokes = trace(skeleton, spur_length=6)
    assert len(strokes) == 1  # …and pruned
    line = simplify(strokes[0], 1.0)
    ends = sorted(map(tuple, np.round(line[[0, -1]])))
    assert np.allclose(ends[0], (12, 12), atol=3) and np.allclose(ends[1], (42, 47), atol=3)
    assert len(line) == 3  # one corner, near (12, 47)
    assert np.allclose(line[1], (12, 47), atol=3)


def test_tracer_recovers_a_ring_and_a_cross() -> None:
    rows, cols = np.mgrid[0:80, 0:80]
    radius = np.hypot(rows - 40, cols - 40)
    cross = np.zeros((80, 80), bool)
    cross[37:43, 8:72] = cross[8:72, 37:43] = True
    ring_skeleton, cross_skeleton = thin(np.stack([(radius > 22) & (radius < 28), cross]))

    ring = trace(ring_skeleton)
    assert len(ring) == 1 and len(ring[0]) > 100
    assert np.allclose(ring[0][0], ring[0][-1], atol=1.5)  # closed
    assert np.abs(np.hypot(*(ring[0] - 40).T) - 25).max() < 2

    # A crossing is passed straight through: two strokes, a horizontal and a vertical one.
    strokes = sorted(trace(cross_skeleton), key=lambda s: float(np.ptp(s[:, 0])))
    assert len(strokes) == 2
    vertical, horizontal = strokes
    assert np.ptp(horizontal[:, 0]) > 55 and np.ptp(horizontal[:, 1]) < 4
    assert np.ptp(vertical[:, 1]) > 55 and np.ptp(vertical[:, 0]) < 4


# -- the benchmark -------------------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_digits(mnist: MnistArrays, small: DrawnBenchmark) -> None:
    again = drawn_digit_benchmark(mnist.test_images, mnist.test_labels, SEED, **SMALL)
    first, second = _arrays(small), _arrays(again)
    assert first.keys() == second.keys()
    for key in first:
        assert first[key].dtype == second[key].dtype and first[key].tobytes() == second[key].tobytes(), key
    other = drawn_digit_benchmark(mnist.test_images, mnist.test_labels, SEED + 1, **SMALL)
    assert not np.array_equal(other.validation.points[:100], small.validation.points[:100])
    assert not np.array_equal(other.test.pixels, small.test.pixels)


def test_every_style_in_both_parts_and_the_split_is_stratified(small: DrawnBenchmark) -> None:
    for name in (*STYLE_NAMES, REDRAWN_STYLE):
        counts = [int((part.styles == name).sum()) for _, part in small.parts()]
        assert min(counts) >= 1 and abs(counts[0] - counts[1]) <= 1, (name, counts)
    for style in STYLES:  # each habit sample is in exactly one part
        sources = [set(part.sources[part.styles == style.name].tolist()) for _, part in small.parts()]
        assert not sources[0] & sources[1]
        assert sources[0] | sources[1] == set(range(len(sources[0]) + len(sources[1])))
        assert all((part.labels[part.styles == style.name] == style.digit).all() for _, part in small.parts())
    for _, part in small.parts():  # balanced over the digits
        assert np.bincount(part.labels, minlength=10).min() == np.bincount(part.labels, minlength=10).max()


def test_redrawn_digits_are_mnist_test_digits_split_by_index(mnist: MnistArrays, small: DrawnBenchmark) -> None:
    redrawn = {name: part.styles == REDRAWN_STYLE for name, part in small.parts()}
    validation = small.validation.sources[redrawn["validation"]]
    test = small.test.sources[redrawn["test"]]
    assert (validation % 2 == 0).all() and (test % 2 == 1).all()
    for part, mask in ((small.validation, redrawn["validation"]), (small.test, redrawn["test"])):
        sources = part.sources[mask]
        assert (0 <= sources).all() and (sources < len(mnist.test_images)).all()
        assert np.array_equal(part.labels[mask], mnist.test_labels[sources])
        # The input looks like the test digit it came from, far more than like another one.
        inputs = part.pixels[mask].reshape(len(sources), -1)
        originals = mnist.test_images[sources].reshape(len(sources), -1) / 255.0
        same = [np.corrcoef(a, b)[0, 1] for a, b in zip(inputs, originals)]
        shuffled = [np.corrcoef(a, b)[0, 1] for a, b in zip(inputs, np.roll(originals, 1, axis=0))]
        assert np.median(same) > 0.6 and np.median(same) > np.median(shuffled) + 0.2


def test_strokes_stay_inside_the_canvas_with_their_ink(small: DrawnBenchmark) -> None:
    for _, part in small.parts():
        assert (part.points >= 0).all() and (part.points <= CANVAS_SIZE).all()
        # Jitter may move a point a little past the margin, never the ink off the canvas.
        assert part.points.min() > EDGE_MARGIN - 3.5 and part.points.max() < CANVAS_SIZE - EDGE_MARGIN + 3.5
        for index in range(0, len(part), 7):
            ink = render_ink(part.strokes(index))
            assert ink[[0, -1], :].max() == 0 and ink[:, [0, -1]].max() == 0


def test_inputs_are_preprocessed_like_the_page(small: DrawnBenchmark) -> None:
    from model_build.preprocess import preprocess_ink

    for _, part in small.parts():
        assert part.pixels.shape == (len(part), 28, 28) and part.pixels.dtype == np.float32
        assert part.pixels.min() >= 0 and part.pixels.max() <= 1
        mass = part.pixels.sum(axis=(1, 2))
        rows, cols = np.mgrid[0:28, 0:28]
        centre_y = (part.pixels * rows).sum(axis=(1, 2)) / mass
        centre_x = (part.pixels * cols).sum(axis=(1, 2)) / mass
        assert np.abs(centre_y - 14).max() <= 1.0 and np.abs(centre_x - 14).max() <= 1.0
        # Stored inputs are the stored strokes through the pad and the reference preprocessing.
        for index in (0, len(part) - 1):
            again = preprocess_ink(render_ink(part.strokes(index))).pixels
            assert np.array_equal(again, part.pixels[index])


def test_sizes_are_checked(mnist: MnistArrays) -> None:
    with pytest.raises(RecipeError, match="habits_per_digit"):
        drawn_digit_benchmark(mnist.test_images, mnist.test_labels, habits_per_digit=6, redrawn_per_digit=2)
    with pytest.raises(RecipeError, match="redrawn_per_digit"):
        drawn_digit_benchmark(mnist.test_images, mnist.test_labels, habits_per_digit=8, redrawn_per_digit=3)


def test_cache_is_reused_and_keyed(mnist: MnistArrays, small: DrawnBenchmark, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    images, labels = mnist.test_images, mnist.test_labels
    first = load_drawn_benchmark(images, labels, SEED, tmp_path, **SMALL)
    files = list(tmp_path.glob("drawn-digits-*.npz"))
    assert len(files) == 1
    assert all(np.array_equal(a, b) for a, b in zip(_arrays(first).values(), _arrays(small).values()))

    def must_not_generate(*args, **kwargs):
        raise AssertionError("generated again although the cache holds it")

    monkeypatch.setattr(benchmark_module, "drawn_digit_benchmark", must_not_generate)
    cached = load_drawn_benchmark(images, labels, SEED, tmp_path, **SMALL)
    assert all(np.array_equal(a, b) for a, b in zip(_arrays(cached).values(), _arrays(small).values()))
    # Another seed or other data is another entry; a damaged entry is generated again.
    keys = {benchmark_module.cache_key(images, labels, SEED, **SMALL),
            benchmark_module.cache_key(images, labels, SEED + 1, **SMALL),
            benchmark_module.cache_key(images[::-1], labels[::-1], SEED, **SMALL)}
    assert len(keys) == 3
    files[0].write_bytes(b"not an npz")
    with pytest.raises(AssertionError, match="generated again"):
        load_drawn_benchmark(images, labels, SEED, tmp_path, **SMALL)


def test_scores_per_style_and_confident_errors(small: DrawnBenchmark) -> None:
    part = small.test
    probabilities = np.full((len(part), 10), 0.01, np.float32)
    probabilities[np.arange(len(part)), part.labels] = 0.91
    wrong = np.flatnonzero(part.styles == "4-closed-square")
    probabilities[wrong] = 0.01
    probabilities[wrong, 9] = 0.95  # read as a confident 9…
    probabilities[wrong[1::2], 9] = 0.5  # …or as an unsure one
    scores = score(probabilities, part)
    assert scores.per_style["4-closed-square"]["accuracy"] == 0.0
    assert scores.per_style["4-open"]["accuracy"] == 1.0
    assert scores.confident_errors == len(wrong[::2]) > 0
    assert scores.most_confused[0] == {"true": 4, "predicted": 9, "count": len(wrong)}
    assert scores.accuracy == pytest.approx(1 - len(wrong) / len(part))


@pytest.mark.slow
def test_a_trained_model_reads_most_drawn_digits(trained_model, small: DrawnBenchmark) -> None:
    probabilities = predict(trained_model, small.validation)
    assert probabilities.shape == (len(small.validation), 10)
    assert 0.5 < score(probabilities, small.validation).accuracy < 1.0


def test_cli_writes_one_contact_sheet_per_style(data_cache_dir: Path, tmp_path: Path, capsys) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "data").symlink_to(data_cache_dir, target_is_directory=True)  # MNIST already decoded there
    out = tmp_path / "sheets"
    status = cli_main(["drawn-digits", "--out", str(out), "--cache-dir", str(cache), "--seed", str(SEED),
                       "--habits-per-digit", str(SMALL["habits_per_digit"]),
                       "--redrawn-per-digit", str(SMALL["redrawn_per_digit"])])
    assert status == 0
    names = sorted(path.stem for path in out.glob("*.png"))
    assert names == sorted((*STYLE_NAMES, REDRAWN_STYLE))
    assert f"{len(names)} contact sheets" in capsys.readouterr().out
    sheet = decode_greyscale_png((out / "4-closed-square.png").read_bytes())
    redrawn = decode_greyscale_png((out / f"{REDRAWN_STYLE}.png").read_bytes())
    assert sheet.shape[0] > 56 and redrawn.shape[1] > sheet.shape[1]  # redrawn tiles show the original too
    assert sheet.min() == 0 and sheet.max() == 255
