"""Markdown blocks for authors: ```digit-recognizer and ```digit-confusion fences.

They are `pymdownx.superfences` custom fences, the mechanism Material uses for Mermaid: the
fence body holds YAML options, and the block renders to an element that the browser code
(assets/js/main.js) brings to life when it comes near the viewport. The HTML written here is
also what a reader without JavaScript sees, so every block carries a static picture and a
sentence.
"""

from __future__ import annotations

import base64
import html
import json
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from model_build.mnist.sample_digits import IMAGE_SIZE, SampleDigits
from model_build.png import greyscale_png

from .translations import Translations, translations_for

RECOGNIZER_FENCE = "digit-recognizer"
CONFUSION_FENCE = "digit-confusion"
FENCES = (RECOGNIZER_FENCE, CONFUSION_FENCE)
PANELS = ("canvas", "steps", "input", "probabilities", "saliency", "teach")
SALIENCY_METHODS = ("gradient", "smoothgrad")
SIZE_RANGE = (160, 560)
DEFAULT_SIZE = 280
PRESET_PATTERN = re.compile(r"mnist-test-(\d+)")
#: The live block inside the confusion explorer: enough to see what the model makes of a mistake.
CONFUSION_PANELS = ("canvas", "probabilities", "saliency")


class BlockError(ValueError):
    """An invalid block option; the message says which option and what is allowed."""

    def __init__(self, fence: str, option: str | None, message: str) -> None:
        self.fence, self.option = fence, option
        where = f"option `{option}`" if option else "options"
        super().__init__(f"```{fence} block, {where}: {message}")


@dataclass(frozen=True)
class StrokesPreset:
    #: Strokes as lists of (x, y) points in fractions of the canvas (0–1).
    strokes: tuple[tuple[tuple[float, float], ...], ...]


@dataclass(frozen=True)
class MnistPreset:
    index: int


@dataclass(frozen=True)
class RecognizerOptions:
    """A ```digit-recognizer block; a bare fence gives the full tool."""

    panels: tuple[str, ...] = PANELS
    size: int = DEFAULT_SIZE
    saliency: str = "gradient"
    preset: MnistPreset | StrokesPreset | None = None


OPTION_HELP = {
    "panels": f"a list drawn from {', '.join(PANELS)} (default: all of them)",
    "size": f"the canvas size in CSS pixels, an integer from {SIZE_RANGE[0]} to {SIZE_RANGE[1]} (default {DEFAULT_SIZE})",
    "saliency": f"one of {', '.join(SALIENCY_METHODS)} (default gradient)",
    "preset": "mnist-test-<index> (a digit of the build's test sample) or a list of strokes, "
    "each a list of [x, y] points with x and y between 0 and 1 (default: an empty canvas)",
}


def _read_options(fence: str, source: str) -> Mapping[str, Any]:
    if not source.strip():
        return {}
    try:
        value = yaml.safe_load(source)
    except yaml.YAMLError as error:
        raise BlockError(fence, None, f"the body is not valid YAML ({str(error).splitlines()[0]}); write `option: value` lines") from None
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BlockError(fence, None, "the body must be `option: value` lines, e.g. `panels: [canvas, probabilities]`")
    return value


def parse_recognizer_options(source: str, sample: SampleDigits | None) -> RecognizerOptions:
    """Validate a ```digit-recognizer body; raises BlockError naming the option and what is allowed."""
    options = _read_options(RECOGNIZER_FENCE, source)
    unknown = sorted(set(map(str, options)) - set(OPTION_HELP))
    if unknown:
        raise BlockError(RECOGNIZER_FENCE, unknown[0], f"unknown option; the options are {', '.join(OPTION_HELP)}")
    values: dict[str, Any] = {}
    if "panels" in options:
        values["panels"] = _panels(options["panels"])
    if "size" in options:
        size = options["size"]
        if isinstance(size, bool) or not isinstance(size, int) or not SIZE_RANGE[0] <= size <= SIZE_RANGE[1]:
            raise BlockError(RECOGNIZER_FENCE, "size", f"got {size!r}; expected {OPTION_HELP['size']}")
        values["size"] = size
    if "saliency" in options:
        if options["saliency"] not in SALIENCY_METHODS:
            raise BlockError(RECOGNIZER_FENCE, "saliency", f"got {options['saliency']!r}; expected {OPTION_HELP['saliency']}")
        values["saliency"] = options["saliency"]
    if options.get("preset") is not None:
        values["preset"] = _preset(options["preset"], sample)
    return RecognizerOptions(**values)


def _panels(value: Any) -> tuple[str, ...]:
    names = value.replace(",", " ").split() if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
        raise BlockError(RECOGNIZER_FENCE, "panels", f"got {value!r}; expected {OPTION_HELP['panels']}")
    wrong = [name for name in names if name not in PANELS]
    if wrong:
        raise BlockError(RECOGNIZER_FENCE, "panels", f"{wrong[0]!r} is not a panel; expected {OPTION_HELP['panels']}")
    return tuple(dict.fromkeys(names))


def _preset(value: Any, sample: SampleDigits | None) -> MnistPreset | StrokesPreset:
    if isinstance(value, str):
        match = PRESET_PATTERN.fullmatch(value.strip())
        if not match:
            raise BlockError(RECOGNIZER_FENCE, "preset", f"got {value!r}; expected {OPTION_HELP['preset']}")
        index = int(match.group(1))
        if sample is None or index not in sample.digits:
            allowed = sample.describe_indices() if sample else "none (the build emitted no test sample)"
            raise BlockError(
                RECOGNIZER_FENCE, "preset", f"test digit {index} is not in the build's test sample; the sample holds {allowed}"
            )
        return MnistPreset(index)
    strokes = _strokes(value)
    if strokes is None:
        raise BlockError(RECOGNIZER_FENCE, "preset", f"got {value!r}; expected {OPTION_HELP['preset']}")
    return StrokesPreset(strokes)


def _strokes(value: Any) -> tuple[tuple[tuple[float, float], ...], ...] | None:
    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1

    if not isinstance(value, list) or not value:
        return None
    strokes = []
    for stroke in value:
        if not isinstance(stroke, list) or not stroke:
            return None
        if not all(isinstance(p, list) and len(p) == 2 and number(p[0]) and number(p[1]) for p in stroke):
            return None
        strokes.append(tuple((float(x), float(y)) for x, y in stroke))
    return tuple(strokes)


def parse_confusion_options(source: str) -> None:
    options = _read_options(CONFUSION_FENCE, source)
    if options:
        raise BlockError(CONFUSION_FENCE, str(next(iter(options))), "this block takes no options; leave its body empty")


# --- Finding blocks in a page's Markdown (to validate them with the page's name) -------------

_FENCE = re.compile(
    r"^(?P<indent>[ \t>]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<name>digit-recognizer|digit-confusion)[ \t]*\n"
    r"(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


@dataclass(frozen=True)
class FoundBlock:
    name: str
    body: str
    line: int


def find_blocks(markdown: str) -> list[FoundBlock]:
    """Our fences in a Markdown text, bodies dedented (as in admonitions, tabs, lists)."""
    found = []
    for match in _FENCE.finditer(markdown):
        indent = match.group("indent")
        lines = [line[len(indent):] if line.startswith(indent) else line.lstrip(" \t>") for line in match.group("body").splitlines()]
        found.append(FoundBlock(match.group("name"), "\n".join(lines), markdown.count("\n", 0, match.start()) + 1))
    return found


# --- Rendering --------------------------------------------------------------------------------


def _png_data_uri(pixels: bytes, width: int, height: int) -> str:
    return "data:image/png;base64," + base64.b64encode(greyscale_png(pixels, width, height)).decode("ascii")


def _strokes_svg_data_uri(strokes: StrokesPreset) -> str:
    lines = "".join(
        f'<polyline points="{" ".join(f"{100 * x:.1f},{100 * y:.1f}" for x, y in stroke)}"/>' for stroke in strokes.strokes
    )
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><rect width="100" height="100"/>'
        f'<g fill="none" stroke="#fff" stroke-width="7.5" stroke-linecap="round" stroke-linejoin="round">{lines}</g></svg>'
    )
    return "data:image/svg+xml," + urllib.parse.quote(svg)


def _attributes(values: Mapping[str, str]) -> str:
    return "".join(f' {name}="{html.escape(value, quote=True)}"' for name, value in values.items())


@dataclass
class BlockRenderer:
    """Renders our fences; holds the build's test sample and confusion matrix (set per build)."""

    language: str = "en"
    sample: SampleDigits | None = None
    confusion: Sequence[Sequence[int]] = field(default_factory=list)

    def __deepcopy__(self, memo: dict) -> BlockRenderer:
        # Markdown configs get copied around (e.g. by other plugins); the renderer is shared state
        # of this build, not configuration, so copies refer to the same object.
        return self

    @property
    def translations(self) -> Translations:
        """The words of the site's language (`language` is set once per build)."""
        return translations_for(self.language)

    def fence_format(self, source: str, language: str, class_name: str, options: Mapping, md: Any, **kwargs: Any) -> str:
        """The `format` callable for pymdownx.superfences."""
        from pymdownx.superfences import SuperFencesException

        try:
            if language == CONFUSION_FENCE:
                parse_confusion_options(source)
                return self.render_confusion()
            return self.render_recognizer(parse_recognizer_options(source, self.sample))
        except BlockError as error:
            # Blocks are validated per page before rendering (with the page's name); this only
            # guards fences the page scan could not see. Superfences re-raises this type.
            raise SuperFencesException(str(error)) from error

    def render_recognizer(self, options: RecognizerOptions, extra_class: str = "") -> str:
        words = self.translations
        data = {
            "class": f"digit-recognizer {extra_class}".strip(),
            "data-panels": " ".join(options.panels),
            "data-size": str(options.size),
            "data-saliency": options.saliency,
        }
        preset = options.preset
        if isinstance(preset, MnistPreset):
            digit = self.sample.digits[preset.index]
            data["data-preset"] = f"mnist-test-{preset.index}"
            data["data-preset-pixels"] = base64.b64encode(digit.pixels).decode("ascii")
            data["data-preset-label"] = str(digit.label)
            picture = self._picture(_png_data_uri(digit.pixels, IMAGE_SIZE, IMAGE_SIZE),
                                    words.text("blocks.digit_alt", index=preset.index, label=digit.label), square=True)
            sentence = f'{words.text("blocks.no_js")} {words.text("blocks.mnist", index=preset.index, label=digit.label)}'
        elif isinstance(preset, StrokesPreset):
            data["data-preset-strokes"] = json.dumps([[list(point) for point in stroke] for stroke in preset.strokes], separators=(",", ":"))
            picture = self._picture(_strokes_svg_data_uri(preset), words.text("blocks.strokes_alt"), square=True)
            sentence = f'{words.text("blocks.no_js")} {words.text("blocks.strokes")}'
        else:
            picture = self._sample_strip()
            sentence = words.text("blocks.no_js")
        return (
            f"<div{_attributes(data)}><div class=\"digit-recognizer__fallback\">{picture}"
            f"<p>{html.escape(sentence)}</p></div></div>"
        )

    def _picture(self, src: str, alt: str, square: bool) -> str:
        size = ' width="112" height="112"' if square else ' width="280" height="28"'
        return f'<img class="digit-recognizer__picture" src="{html.escape(src, quote=True)}" alt="{html.escape(alt, quote=True)}"{size}>'

    def _sample_strip(self) -> str:
        """One test digit of each class side by side: the no-JS picture of a bare block."""
        if self.sample is None:
            return ""
        first_of_each: dict[int, bytes] = {}
        for index in sorted(self.sample.digits):
            digit = self.sample.digits[index]
            if digit.label == digit.predicted:
                first_of_each.setdefault(digit.label, digit.pixels)
        if len(first_of_each) < 10:
            return ""
        rows = b"".join(
            b"".join(first_of_each[label][y * IMAGE_SIZE : (y + 1) * IMAGE_SIZE] for label in range(10)) for y in range(IMAGE_SIZE)
        )
        return self._picture(_png_data_uri(rows, 10 * IMAGE_SIZE, IMAGE_SIZE), self.translations.text("blocks.sample_alt"), square=False)

    def render_confusion(self) -> str:
        """The real confusion matrix as a table whose mistake cells are buttons, and a live block."""
        words, matrix = self.translations, self.confusion
        worst = max((count for t, row in enumerate(matrix) for p, count in enumerate(row) if t != p), default=0)
        total = sum(map(sum, matrix))
        head = "".join(f'<th scope="col">{p}</th>' for p in range(10))
        rows = []
        for t, row in enumerate(matrix):
            cells = []
            for p, count in enumerate(row):
                if t == p:
                    cells.append(f'<td class="dc-diagonal">{count}</td>')
                elif count == 0:
                    cells.append('<td class="dc-zero">·</td>')
                else:
                    heat = 1 + min(4, int(5 * count / max(worst, 1)))  # five CSS shades, no inline style (CSP)
                    label = words.text("blocks.cell", true=t, predicted=p, count=count)
                    cells.append(
                        f'<td class="dc-heat-{heat}"><button type="button" class="dc-cell" data-true="{t}" '
                        f'data-predicted="{p}" aria-label="{html.escape(label, quote=True)}" title="{html.escape(label, quote=True)}">{count}</button></td>'
                    )
            rows.append(f'<tr><th scope="row">{t}</th>{"".join(cells)}</tr>')
        table = (
            f'<table class="dc-matrix"><caption>{html.escape(words.text("blocks.matrix_caption", total=f"{total:,}"))}</caption>'
            f'<thead><tr><th scope="col"><span class="dc-axis">{words.text("blocks.truth")} ＼ {words.text("blocks.predicted")}</span></th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>'
        )
        live = self.render_recognizer(RecognizerOptions(panels=CONFUSION_PANELS), extra_class="dc-recognizer")
        return (
            f'<div class="digit-confusion"><div class="dc-matrix-wrap">{table}</div>'
            f'<p class="dc-hint">{html.escape(words.text("blocks.confusion_hint"))}</p>'
            f'<div class="dc-detail" aria-live="polite"></div>{live}</div>'
        )
