"""Writing habits: one stroke template per way people actually write each digit.

A template draws its own shape parameters (how long a 7's bar is, how closed a 6's loop, where
a 4's bar sits…) within the range people use, and returns the strokes in drawing order, in a
box of height 1 with y growing downwards. Each stroke end that is meant to touch another
stroke says so (`joins`), so that the hand can miss that join (see `hand.join_faults`).

Styles are named `<digit>-<habit>`; the benchmark seeds each style's samples by its name, so
renaming a style changes its samples and adding one changes no other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .hand import PenPath
from .paths import arc, chain, curve, line

Template = Callable[[np.random.Generator], list[PenPath]]


@dataclass(frozen=True)
class Style:
    name: str
    digit: int
    draw: Template
    description: str


def _zero_oval(rng: np.random.Generator) -> list[PenPath]:
    # Anticlockwise from the top, the end overlapping the start a little (or just meeting it).
    width = rng.uniform(0.26, 0.34)
    start = -90 + rng.uniform(-15, 15)
    overlap = rng.uniform(-5, 30)
    return [PenPath(arc((0.0, 0.5), (width, 0.5), start, start - 360 - overlap))]


def _zero_pointed(rng: np.random.Generator) -> list[PenPath]:
    # Down the left side from a pointed top and back up the right, crossing at the top.
    w, cross = rng.uniform(0.27, 0.34), rng.uniform(0.02, 0.08)
    return [PenPath(curve((0.04, -0.02), (-w * 0.8, 0.18), (-w, 0.55), (-w * 0.55, 0.92), (0.0, 1.0),
                          (w * 0.6, 0.9), (w, 0.55), (w * 0.75, 0.2), (-cross, 0.02 + cross)))]


def _one_plain(rng: np.random.Generator) -> list[PenPath]:
    return [PenPath(line((rng.uniform(-0.03, 0.03), 0.0), (0.0, 1.0)))]


def _flag(rng: np.random.Generator) -> tuple[float, float]:
    """Where a 1's flag starts: 0.16–0.28 of the height long, 35–60° below the horizontal.

    Flatter or longer flags (with the sample's slant and rotation on top) turn the 1 into a 7
    for a person too, so they are not drawn.
    """
    length, angle = rng.uniform(0.16, 0.28), np.radians(rng.uniform(35, 60))
    return -length * np.cos(angle), length * np.sin(angle)


def _one_flag(rng: np.random.Generator) -> list[PenPath]:
    return [PenPath(line(_flag(rng), (0.0, 0.0), (0.0, 1.0)))]


def _one_flag_base(rng: np.random.Generator) -> list[PenPath]:
    base, shift = rng.uniform(0.18, 0.28), rng.uniform(-0.04, 0.04)
    return [PenPath(line(_flag(rng), (0.0, 0.0), (0.0, 1.0)), joins=(False, True)),
            PenPath(line((-base + shift, 1.0), (base + shift, 1.0)))]


def _two_top(rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """The shared hump of a 2 (from the upper left, over the top, down the diagonal) and its width."""
    w = rng.uniform(0.5, 0.62)
    return curve((0.04, 0.24), (0.18, 0.04), (w * 0.55, 0.0), (w * 0.95, 0.14), (w * 0.85, 0.4),
                 (w * 0.4, 0.7), (0.02, 0.98)), w


def _two_plain(rng: np.random.Generator) -> list[PenPath]:
    top, w = _two_top(rng)
    end = (w * rng.uniform(1.0, 1.15), 0.98 - rng.uniform(0.0, 0.06))
    return [PenPath(chain(top, line((0.02, 0.98), end)))]


def _two_loop(rng: np.random.Generator) -> list[PenPath]:
    top, w = _two_top(rng)
    size = rng.uniform(0.08, 0.13)
    end = (w * rng.uniform(1.0, 1.15), 0.98 - rng.uniform(0.0, 0.05))
    loop = curve((0.02, 0.98), (-size * 0.6, 0.98 - size * 1.4), (size * 0.4, 0.98 - size * 1.8),
                 (size * 1.2, 0.98 - size * 0.6), (size * 2.5, 0.99), end)
    return [PenPath(chain(top, loop))]


def _three_lower_bowl(rng: np.random.Generator, middle: tuple[float, float], w: float) -> np.ndarray:
    return curve(middle, (w * 0.9, 0.56), (w, 0.8), (w * 0.55, 1.0), (0.0, 0.86 + rng.uniform(-0.04, 0.04)))


def _three_round(rng: np.random.Generator) -> list[PenPath]:
    w = rng.uniform(0.5, 0.6)
    middle = (w * rng.uniform(0.3, 0.45), 0.47)
    upper = curve((0.02, 0.14), (w * 0.45, 0.0), (w * 0.95, 0.12), (w * 0.85, 0.36), middle)
    return [PenPath(chain(upper, _three_lower_bowl(rng, middle, w)))]


def _three_flat_top(rng: np.random.Generator) -> list[PenPath]:
    w = rng.uniform(0.5, 0.62)
    middle = (w * rng.uniform(0.3, 0.45), rng.uniform(0.38, 0.45))
    top = line((0.02, 0.0), (w * 0.98, 0.0), middle)
    return [PenPath(chain(top, _three_lower_bowl(rng, middle, w)))]


def _four_parts(rng: np.random.Generator) -> tuple[float, float, float]:
    """The bar's height, the stem's x and the bar's right end: shared by every 4."""
    bar = rng.uniform(0.55, 0.68)
    stem = rng.uniform(0.38, 0.48)
    return bar, stem, stem + rng.uniform(0.1, 0.2)


def _four_closed_square(rng: np.random.Generator) -> list[PenPath]:
    # The habit the page gets wrong: down (a little to the left) and right; a top bar; a long stem.
    bar, stem, right = _four_parts(rng)
    top = rng.uniform(0.0, 0.06)
    left = rng.uniform(0.0, 0.06)
    return [PenPath(line((left + 0.04, top), (left, bar), (right, bar)), joins=(True, False)),
            PenPath(line((left + 0.04, top), (stem, top + rng.uniform(-0.03, 0.03))), joins=(True, True)),
            PenPath(line((stem, 0.0), (stem - 0.02, 1.0)), joins=(True, False))]


def _four_closed_triangle(rng: np.random.Generator) -> list[PenPath]:
    # The printed 4: from the stem's top down to the left, across; then the stem from the top.
    bar, stem, right = _four_parts(rng)
    return [PenPath(line((stem, 0.0), (0.0, bar), (right, bar)), joins=(True, False)),
            PenPath(line((stem, 0.0), (stem - 0.02, 1.0)), joins=(True, False))]


def _four_open(rng: np.random.Generator) -> list[PenPath]:
    # Down and across, then a stem that starts high and stands apart: the top stays open.
    bar, stem, right = _four_parts(rng)
    lean = rng.uniform(0.0, 0.1)
    return [PenPath(line((lean + 0.02, 0.0), (0.0, bar), (right, bar))),
            PenPath(line((stem + 0.02, rng.uniform(0.0, 0.15)), (stem, 1.0)))]


def _four_one_stroke(rng: np.random.Generator) -> list[PenPath]:
    # Down, across to the stem, up to the top and back down the stem without lifting the pen.
    bar, stem, _ = _four_parts(rng)
    back = rng.uniform(0.0, 0.03)
    return [PenPath(line((0.03, 0.0), (0.0, bar), (stem, bar), (stem + 0.01, 0.05), (stem - back, 1.0)))]


def _five_bowl(rng: np.random.Generator, corner: tuple[float, float]) -> np.ndarray:
    w = rng.uniform(0.52, 0.62)
    return curve(corner, (w * 0.45, 0.38), (w * 0.95, 0.55), (w * 0.92, 0.82), (w * 0.5, 1.0),
                 (0.0, 0.9 + rng.uniform(-0.04, 0.03)))


def _five_two_stroke(rng: np.random.Generator) -> list[PenPath]:
    corner = (rng.uniform(0.02, 0.08), rng.uniform(0.42, 0.5))
    top = (0.1, 0.0)
    flag = (rng.uniform(0.5, 0.62), rng.uniform(-0.03, 0.02))
    return [PenPath(chain(line(top, corner), _five_bowl(rng, corner)), joins=(True, False)),
            PenPath(line(top, flag), joins=(True, False))]


def _five_one_stroke(rng: np.random.Generator) -> list[PenPath]:
    corner = (rng.uniform(0.02, 0.08), rng.uniform(0.42, 0.5))
    flag = (rng.uniform(0.5, 0.62), rng.uniform(-0.03, 0.02))
    return [PenPath(chain(line(flag, (0.1, 0.0), corner), _five_bowl(rng, corner)))]


def _six(rng: np.random.Generator, straight: bool) -> list[PenPath]:
    loop = rng.uniform(0.42, 0.55)  # height of the loop
    w = rng.uniform(0.45, 0.56)
    top = 1.0 - loop
    close = (rng.uniform(0.0, 0.08), 1.0 - loop * rng.uniform(0.45, 0.7))
    if straight:  # a nearly straight stem down to the loop
        stem = line((w * 0.85, 0.0), (w * 0.15, top * 0.9))
        body = curve((w * 0.15, top * 0.9), (0.02, 0.75), (w * 0.4, 1.0), (w, 0.82), (w * 0.85, top + 0.05),
                     (w * 0.35, top + 0.08), close)
        return [PenPath(chain(stem, body))]
    return [PenPath(curve((w, 0.04), (w * 0.45, 0.0), (0.06, top * 0.8), (0.02, 0.76), (w * 0.45, 1.0),
                          (w, 0.8), (w * 0.8, top + 0.06), (w * 0.3, top + 0.06), close))]


def _six_curved(rng: np.random.Generator) -> list[PenPath]:
    return _six(rng, straight=False)


def _six_straight(rng: np.random.Generator) -> list[PenPath]:
    return _six(rng, straight=True)


def _seven_bar(rng: np.random.Generator) -> tuple[float, float]:
    return rng.uniform(0.45, 0.65), rng.uniform(0.1, 0.3)  # bar length, foot x


def _seven_plain(rng: np.random.Generator) -> list[PenPath]:
    bar, foot = _seven_bar(rng)
    return [PenPath(line((0.0, 0.0), (bar, 0.0), (foot, 1.0)))]


def _seven_short_bar(rng: np.random.Generator) -> list[PenPath]:
    # The 7 the reference post saw read as 1: a bar under half the height, a steep stem.
    bar = rng.uniform(0.28, 0.4)
    return [PenPath(line((0.0, rng.uniform(0.0, 0.04)), (bar, 0.0), (bar * rng.uniform(0.2, 0.6), 1.0)))]


def _seven_crossed(rng: np.random.Generator) -> list[PenPath]:
    bar, foot = _seven_bar(rng)
    height = rng.uniform(0.45, 0.58)
    at = bar + (foot - bar) * height  # where the stem passes at that height
    half = rng.uniform(0.15, 0.22)
    return [PenPath(line((0.0, 0.0), (bar, 0.0), (foot, 1.0))),
            PenPath(line((at - half, height), (at + half * rng.uniform(0.7, 1.1), height - 0.02)))]


def _seven_serif(rng: np.random.Generator) -> list[PenPath]:
    # A short tick down at the bar's left end (drawn first, going up), then bar and stem.
    bar, foot = _seven_bar(rng)
    tick = rng.uniform(0.1, 0.18)
    return [PenPath(line((0.0, tick), (0.01, 0.0), (bar, 0.0), (foot, 1.0)))]


def _eight_two_loops(rng: np.random.Generator) -> list[PenPath]:
    split = rng.uniform(0.42, 0.5)  # where the loops meet
    upper_w, lower_w = rng.uniform(0.18, 0.25), rng.uniform(0.22, 0.3)
    start = rng.uniform(-110, -70)
    upper = arc((0.0, split / 2), (upper_w, split / 2), start, start - 360 - rng.uniform(0, 20))
    lower = arc((0.0, (1 + split) / 2), (lower_w, (1 - split) / 2), start, start + 360 + rng.uniform(0, 20))
    return [PenPath(upper), PenPath(lower)]


def _eight_one_stroke(rng: np.random.Generator) -> list[PenPath]:
    # From the upper right, over the top, an S down to the bottom, and back up to the start.
    w, split = rng.uniform(0.2, 0.27), rng.uniform(0.42, 0.5)
    low_w = w * rng.uniform(1.1, 1.3)
    return [PenPath(curve((w * 0.9, 0.1), (0.0, 0.0), (-w, 0.15), (-w * 0.5, split * 0.8), (0.0, split),
                          (low_w, split + 0.22), (low_w * 0.8, 0.92), (0.0, 1.0), (-low_w * 0.9, 0.88),
                          (-low_w, 0.68), (0.0, split), (w * 0.8, split * 0.6), (w, 0.15 + rng.uniform(0.0, 0.1))))]


def _nine_loop(rng: np.random.Generator) -> tuple[np.ndarray, float, float]:
    """The head of a 9, drawn anticlockwise from its upper right; returns it, its x and its height."""
    w, loop = rng.uniform(0.45, 0.55), rng.uniform(0.38, 0.5)
    head = curve((w, 0.08), (w * 0.5, 0.0), (0.02, loop * 0.35), (w * 0.4, loop), (w * 0.95, loop * 0.6),
                 (w, 0.0 + rng.uniform(0.0, 0.06)))
    return head, w, loop


def _nine_straight(rng: np.random.Generator) -> list[PenPath]:
    head, w, _ = _nine_loop(rng)
    return [PenPath(chain(head, line(tuple(head[-1]), (w - rng.uniform(0.0, 0.06), 1.0))))]


def _nine_curved(rng: np.random.Generator) -> list[PenPath]:
    head, w, loop = _nine_loop(rng)
    tail = curve(tuple(head[-1]), (w, loop + 0.15), (w * 0.85, 0.8), (w * 0.5, 1.0), (w * 0.05, 0.95))
    return [PenPath(chain(head, tail))]


def _style(name: str, draw: Template, description: str) -> Style:
    return Style(name, int(name[0]), draw, description)


#: Every habit, grouped by digit (the order of contact sheets and score tables).
STYLES: tuple[Style, ...] = (
    _style("0-oval", _zero_oval, "an oval from the top, anticlockwise, ends overlapping"),
    _style("0-pointed-top", _zero_pointed, "a pointed top where the stroke crosses itself"),
    _style("1-plain", _one_plain, "one straight stroke"),
    _style("1-flag", _one_flag, "a flag up to the top, then the stem, one stroke"),
    _style("1-flag-base", _one_flag_base, "flag and stem, then a base bar"),
    _style("2-plain", _two_plain, "hump, diagonal, flat base with a sharp corner"),
    _style("2-loop", _two_loop, "hump, diagonal, a small loop into the base"),
    _style("3-round", _three_round, "two round bowls meeting at a point"),
    _style("3-flat-top", _three_flat_top, "a flat top bar, a diagonal, a round lower bowl"),
    _style("4-closed-square", _four_closed_square, "down and right; a top bar; a long stem (three strokes)"),
    _style("4-closed-triangle", _four_closed_triangle, "diagonal from the stem's top and across; the stem"),
    _style("4-open", _four_open, "down and across; a separate stem, top open"),
    _style("4-one-stroke", _four_one_stroke, "down, across, up the stem and back down, one stroke"),
    _style("5-two-stroke", _five_two_stroke, "stem and bowl; then the flag"),
    _style("5-one-stroke", _five_one_stroke, "flag leftwards, down, bowl, one stroke"),
    _style("6-curved", _six_curved, "a curved stem into a loop"),
    _style("6-straight", _six_straight, "a straight diagonal stem into a loop"),
    _style("7-plain", _seven_plain, "bar and stem"),
    _style("7-short-bar", _seven_short_bar, "a short bar and a steep stem"),
    _style("7-crossed", _seven_crossed, "bar and stem; a bar across the stem"),
    _style("7-serif", _seven_serif, "a tick at the bar's left end, bar and stem"),
    _style("8-two-loops", _eight_two_loops, "two stacked loops, one stroke each"),
    _style("8-one-stroke", _eight_one_stroke, "one continuous S and back"),
    _style("9-straight", _nine_straight, "a loop, then a straight stem"),
    _style("9-curved", _nine_curved, "a loop, then a stem curving left at the bottom"),
)
STYLE_NAMES: tuple[str, ...] = tuple(style.name for style in STYLES)
BY_NAME: dict[str, Style] = {style.name: style for style in STYLES}


def styles_of(digit: int) -> list[Style]:
    return [style for style in STYLES if style.digit == digit]
