"""MNIST training digits redrawn through the canvas, with habit edits (issue 13, training side)."""

from __future__ import annotations

import numpy as np
import pytest

from model_build.mnist import habit_edits, redrawn_set
from model_build.mnist.drawn.paths import line


def _bbox(paths):
    points = np.concatenate(paths)
    return points.min(axis=0), points.max(axis=0)


# ---- habit edits on pen paths (image pixels, y down) ------------------------------------------


def test_a_seven_gets_a_bar_across_its_stem_at_mid_height() -> None:
    seven = [line((6.0, 4.0), (20.0, 4.0), (10.0, 24.0))]
    edited = habit_edits.cross_seven(seven, np.random.default_rng(0))
    assert edited is not None and len(edited) == 2 and edited[0] is seven[0]
    bar = edited[1]
    (x0, y0), (x1, y1) = bar[0], bar[-1]
    assert 4 + 0.45 * 20 - 1 <= (y0 + y1) / 2 <= 4 + 0.6 * 20 + 1  # mid-height, give or take the tilt
    stem_x = 20 - (((y0 + y1) / 2) - 4) / 20 * 10  # where the stem is at that height
    assert x0 < stem_x < x1  # it crosses the stem


def test_a_seven_edit_needs_one_stroke_at_mid_height() -> None:
    two_strokes = [line((6.0, 4.0), (6.0, 24.0)), line((16.0, 4.0), (16.0, 24.0))]
    assert habit_edits.cross_seven(two_strokes, np.random.default_rng(0)) is None


def test_a_plain_one_gets_a_flag_down_to_the_left_of_its_top() -> None:
    one = [line((14.0, 4.0), (14.0, 24.0))]
    for seed in range(6):
        edited = habit_edits.flag_one(one, np.random.default_rng(seed))
        flag = edited[0]
        assert np.allclose(flag[-1], (14.0, 4.0))  # ends at the top, drawn first
        assert flag[0][0] < 14.0 and flag[0][1] > 4.0  # starts below and to the left
        assert len(edited) in (2, 3)  # sometimes a base bar too
        if len(edited) == 3:
            base = edited[2]
            assert base[0][1] == base[-1][1] == 24.0 and base[0][0] < 14.0 < base[-1][0]


def test_a_one_that_is_already_wide_is_left_alone() -> None:
    flagged = [line((8.0, 9.0), (14.0, 4.0), (14.0, 24.0)), line((7.0, 24.0), (21.0, 24.0))]
    assert habit_edits.flag_one(flagged, np.random.default_rng(0)) is None


def test_an_open_four_gets_its_top_closed_and_a_closed_one_is_left_alone() -> None:
    open_four = [line((8.0, 4.0), (6.0, 16.0), (22.0, 16.0)), line((16.0, 4.0), (16.0, 26.0))]
    closed = habit_edits.close_four(open_four, np.random.default_rng(0))
    assert closed is not None and len(closed) == 3
    bar = closed[2]
    assert np.allclose(bar[0], (8.0, 4.0))  # from the arm's top …
    assert abs(bar[-1][0] - 16.0) <= 0.03 * 22 + 1e-9  # … to the stem
    triangle = [line((16.0, 4.0), (6.0, 16.0), (22.0, 16.0)), line((16.0, 4.0), (16.0, 26.0))]
    assert habit_edits.close_four(triangle, np.random.default_rng(0)) is None  # one top end: closed already


# ---- the redrawn set ---------------------------------------------------------------------------


def test_redrawn_digits_are_deterministic_inked_and_labelled(mnist) -> None:
    images, labels = mnist.train_images[:2000], mnist.train_labels[:2000]
    first = redrawn_set.redrawn_training_set(images, labels, 60, seed=5, edit_rate=1.0, workers=1)
    again = redrawn_set.redrawn_training_set(images, labels, 60, seed=5, edit_rate=1.0, workers=1)
    for name in ("images", "labels", "sources", "edited"):
        assert np.array_equal(getattr(first, name), getattr(again, name))
    assert first.images.dtype == np.uint8 and first.images.shape == (60, 28, 28)
    assert np.array_equal(first.labels, labels[first.sources])
    assert (first.images.reshape(60, -1).max(axis=1) > 200).all()  # every digit drawn
    assert not first.edited[~np.isin(first.labels, list(habit_edits.EDITS))].any()  # only 1, 4 and 7 are edited
    assert first.edited.any()
    unedited = redrawn_set.redrawn_training_set(images, labels, 60, seed=5, edit_rate=0.0, workers=1)
    assert not unedited.edited.any()
    other = redrawn_set.redrawn_training_set(images, labels, 60, seed=6, edit_rate=1.0, workers=1)
    assert not np.array_equal(first.images, other.images)


def test_a_digit_is_redrawn_the_same_whatever_the_set_size(mnist) -> None:
    """Each digit's generator is seeded by its MNIST index, so growing a set keeps the digits made."""
    images, labels = mnist.train_images[:300], mnist.train_labels[:300]
    small = redrawn_set.redrawn_training_set(images, labels, 20, seed=1, edit_rate=0.5, workers=1)
    large = redrawn_set.redrawn_training_set(images, labels, 40, seed=1, edit_rate=0.5, workers=1)
    shared = np.intersect1d(small.sources, large.sources)
    assert len(shared) > 0
    for source in shared:
        assert np.array_equal(small.images[small.sources == source], large.images[large.sources == source])


def test_worker_processes_give_the_same_bytes_as_one_process(mnist, monkeypatch) -> None:
    monkeypatch.setattr(redrawn_set, "_PARALLEL_FROM", 10)
    images, labels = mnist.train_images[:500], mnist.train_labels[:500]
    serial = redrawn_set.redrawn_training_set(images, labels, 40, seed=3, edit_rate=0.5, workers=1)
    parallel = redrawn_set.redrawn_training_set(images, labels, 40, seed=3, edit_rate=0.5, workers=2)
    assert np.array_equal(serial.images, parallel.images) and np.array_equal(serial.edited, parallel.edited)


def test_the_cache_is_used_keyed_and_repaired(mnist, tmp_path, caplog) -> None:
    images, labels = mnist.train_images[:500], mnist.train_labels[:500]
    made = redrawn_set.load_redrawn_training_set(images, labels, 30, 2, 0.3, tmp_path)
    (cached,) = tmp_path.glob("redrawn-train-v*.npz")
    assert np.array_equal(redrawn_set.load_redrawn_training_set(images, labels, 30, 2, 0.3, tmp_path).images, made.images)
    redrawn_set.load_redrawn_training_set(images, labels, 30, 2, 0.4, tmp_path)  # another setting, another file
    assert len(list(tmp_path.glob("redrawn-train-v*.npz"))) == 2
    cached.write_bytes(b"not a zip")
    caplog.set_level("WARNING")
    repaired = redrawn_set.load_redrawn_training_set(images, labels, 30, 2, 0.3, tmp_path)
    assert np.array_equal(repaired.images, made.images)
    assert "Ignoring damaged redrawn-digit cache" in caplog.text
    assert not list(tmp_path.glob(".*.tmp"))


def test_asking_for_more_digits_than_there_are_is_an_error(mnist) -> None:
    with pytest.raises(ValueError, match="cannot redraw 11 training digits out of 10"):
        redrawn_set.pick_sources(mnist.train_labels[:10], 11, seed=0)


def test_workers_end_when_the_build_that_started_them_is_killed(tmp_path, data_cache_dir, mnist) -> None:
    """A killed build (mkdocs stopped mid-redraw) must not leave worker processes behind."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    script = tmp_path / "redraw.py"
    script.write_text(
        "from model_build.mnist.data import load_mnist\n"
        "from model_build.mnist.redrawn_set import redrawn_training_set\n"
        "if __name__ == '__main__':\n"
        f"    data = load_mnist(cache_dir={str(data_cache_dir)!r})\n"
        "    redrawn_training_set(data.train_images, data.train_labels, 20000, 0, 0.3, workers=2)\n"
    )
    build = subprocess.Popen([sys.executable, str(script)], cwd=Path(__file__).resolve().parent.parent)

    def workers() -> set[int]:
        found = set()
        for entry in Path("/proc").iterdir():
            try:
                if (entry.name.isdigit()
                        and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == build.pid
                        and b"spawn_main" in (entry / "cmdline").read_bytes()):
                    found.add(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
        return found

    try:
        deadline = time.monotonic() + 120  # MNIST decode and two interpreter starts, on a loaded machine
        while len(started := workers()) < 2:
            assert build.poll() is None and time.monotonic() < deadline, "the workers never started"
            time.sleep(0.1)
        os.kill(build.pid, signal.SIGKILL)
        build.wait()
        deadline = time.monotonic() + 20  # measured: gone within 0.1 s of the parent's death
        alive = started
        while alive and time.monotonic() < deadline:
            alive = {pid for pid in alive if Path(f"/proc/{pid}").exists()
                     and (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z")}
            time.sleep(0.1)
        assert not alive, f"workers {sorted(alive)} outlived the build"
    finally:
        if build.poll() is None:
            build.kill()
