"""The ```digit-recognizer / ```digit-confusion fences: options, errors, and the HTML they give."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest

from digit_model.blocks import (
    PANELS,
    BlockError,
    BlockRenderer,
    MnistPreset,
    RecognizerOptions,
    StrokesPreset,
    find_blocks,
    parse_confusion_options,
    parse_recognizer_options,
)
from model_build.mnist.sample_digits import FIRST_DIGITS, SampleDigits, write_sample_digits
from model_build.png import decode_greyscale_png


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> SampleDigits:
    """A synthetic test sample: 300 'digits' (row r has value r % 256 at pixel r % 784), every
    third one misclassified."""
    directory = tmp_path_factory.mktemp("sample")
    count = 300
    images = np.zeros((count, 28, 28), np.uint8)
    images.reshape(count, -1)[np.arange(count), np.arange(count) % 784] = np.arange(count) % 256
    labels = np.arange(count) % 10
    predicted = np.where(np.arange(count) % 3 == 0, (labels + 1) % 10, labels)
    probabilities = np.full((count, 10), 0.01, np.float32)
    probabilities[np.arange(count), predicted] = 0.91
    write_sample_digits(directory, images, labels, probabilities)
    return SampleDigits.load(directory)


def test_the_sample_holds_the_first_digits_and_every_mistake(sample) -> None:
    first = set(range(FIRST_DIGITS))
    mistakes = {i for i in range(300) if i % 3 == 0}
    assert set(sample.digits) == first | mistakes
    assert sample.mistakes_total == sample.mistakes_included == 100
    digit = sample.digits[201]
    assert (digit.label, digit.predicted, digit.confidence) == (1, 2, 0.91)
    assert digit.pixels[201] == 201 and sum(digit.pixels) == 201


def test_a_bare_fence_is_the_full_tool(sample) -> None:
    assert parse_recognizer_options("", sample) == RecognizerOptions()
    assert RecognizerOptions().panels == PANELS
    assert parse_recognizer_options("\n\n", sample).size == 280


def test_every_option_is_read(sample) -> None:
    options = parse_recognizer_options(
        "panels: [canvas, saliency]\nsize: 200\nsaliency: smoothgrad\npreset: mnist-test-42\n", sample
    )
    assert options == RecognizerOptions(("canvas", "saliency"), 200, "smoothgrad", MnistPreset(42))
    assert parse_recognizer_options("panels: canvas, probabilities", sample).panels == ("canvas", "probabilities")
    strokes = parse_recognizer_options("preset: [[[0.1, 0.2], [0.5, 1]], [[0, 0]]]", sample).preset
    assert strokes == StrokesPreset((((0.1, 0.2), (0.5, 1.0)), ((0.0, 0.0),)))


@pytest.mark.parametrize(
    ("body", "option", "allowed"),
    [
        ("panel: [canvas]", "panel", "the options are panels, size, saliency, preset"),
        ("panels: [canvas, bars]", "panels", "'bars' is not a panel; expected a list drawn from canvas, steps, input, probabilities, saliency"),
        ("panels: []", "panels", "expected a list drawn from"),
        ("size: 2000", "size", "an integer from 160 to 560"),
        ("size: big", "size", "an integer from 160 to 560"),
        ("saliency: occlusion", "saliency", "one of gradient, smoothgrad"),
        ("preset: mnist-train-3", "preset", "mnist-test-<index>"),
        ("preset: mnist-test-250", "preset", "test digit 250 is not in the build's test sample; the sample holds 0–99, or one of the misclassified digits"),
        ("preset: [[[0.1, 1.5]]]", "preset", "x and y between 0 and 1"),
        ("- canvas", None, "the body must be `option: value` lines"),
        ("panels: [canvas", None, "not valid YAML"),
    ],
)
def test_invalid_options_name_the_option_and_what_is_allowed(sample, body, option, allowed) -> None:
    with pytest.raises(BlockError) as caught:
        parse_recognizer_options(body, sample)
    assert caught.value.option == option
    assert allowed in str(caught.value)
    assert str(caught.value).startswith("```digit-recognizer block, ")


def test_the_confusion_block_takes_no_options() -> None:
    parse_confusion_options("")
    with pytest.raises(BlockError, match="option `panels`: this block takes no options"):
        parse_confusion_options("panels: [canvas]")


def test_blocks_are_found_at_top_level_and_nested() -> None:
    markdown = (
        "# Page\n\n```digit-recognizer\nsize: 200\n```\n\ntext\n\n"
        '!!! note\n\n    ```digit-recognizer\n    panels: [canvas]\n    ```\n\n'
        "~~~~digit-confusion\n~~~~\n\n```python\nprint(1)\n```\n"
    )
    blocks = find_blocks(markdown)
    assert [(b.name, b.body, b.line) for b in blocks] == [
        ("digit-recognizer", "size: 200", 3),
        ("digit-recognizer", "panels: [canvas]", 11),
        ("digit-confusion", "", 15),
    ]


def _attributes(html: str) -> dict[str, str]:
    opening = re.match(r"<div([^>]*)>", html).group(1)
    return dict(re.findall(r'([\w-]+)="([^"]*)"', opening))


def test_a_preset_digit_is_embedded_with_its_pixels_and_a_picture(sample) -> None:
    renderer = BlockRenderer("zh-TW", sample)
    html = renderer.render_recognizer(parse_recognizer_options("preset: mnist-test-7\npanels: [canvas]", sample))
    attributes = _attributes(html)
    assert attributes["class"] == "digit-recognizer"
    assert attributes["data-panels"] == "canvas"
    assert attributes["data-preset"] == "mnist-test-7"
    assert base64.b64decode(attributes["data-preset-pixels"]) == sample.digits[7].pixels
    # The no-JS picture is that same digit, as a PNG.
    picture = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    assert decode_greyscale_png(base64.b64decode(picture)).tobytes() == sample.digits[7].pixels
    assert "MNIST 測試集第 7 張，標註為 7" in html and "需要 JavaScript" in html


def test_strokes_and_bare_blocks_have_a_picture_and_a_sentence(sample) -> None:
    renderer = BlockRenderer("en", sample)
    strokes = renderer.render_recognizer(parse_recognizer_options("preset: [[[0.1, 0.1], [0.9, 0.9]]]", sample))
    assert json.loads(_attributes(strokes)["data-preset-strokes"]) == [[[0.1, 0.1], [0.9, 0.9]]]
    assert 'src="data:image/svg+xml,' in strokes and "polyline" in strokes
    bare = renderer.render_recognizer(RecognizerOptions())
    picture = re.search(r'src="data:image/png;base64,([^"]+)"', bare).group(1)
    assert decode_greyscale_png(base64.b64decode(picture)).shape == (28, 280)  # one digit of each class
    assert "It needs JavaScript" in bare


def test_the_confusion_block_is_the_real_matrix_with_buttons_for_mistakes(sample) -> None:
    matrix = [[0] * 10 for _ in range(10)]
    matrix[4][9], matrix[3][3], matrix[7][1] = 6, 1000, 2
    html = BlockRenderer("en", sample, matrix).render_confusion()
    cells = re.findall(r'data-true="(\d)" data-predicted="(\d)"[^>]*>(\d+)</button>', html)
    assert cells == [("4", "9", "6"), ("7", "1", "2")]
    assert '<td class="dc-diagonal">1000</td>' in html
    assert "1,008 test digits" in html
    # ...and a live recognizer to load a mistake into.
    assert 'class="digit-recognizer dc-recognizer" data-panels="canvas probabilities saliency"' in html


def test_the_renderer_speaks_the_language_the_build_sets(sample) -> None:
    renderer = BlockRenderer(sample=sample)  # as the plugin creates it, before it reads the site's config
    assert "It needs JavaScript" in renderer.render_recognizer(RecognizerOptions())
    renderer.language = "zh"  # any Chinese site reads the Traditional Chinese table
    assert "它需要 JavaScript" in renderer.render_recognizer(RecognizerOptions())


def test_the_renderer_survives_a_deep_copy_of_the_markdown_config(sample) -> None:
    import copy

    renderer = BlockRenderer("en", sample)
    config = {"custom_fences": [{"name": "digit-recognizer", "format": renderer.fence_format}]}
    assert copy.deepcopy(config)["custom_fences"][0]["format"].__self__ is renderer


def test_the_sample_reader_rejects_a_mismatched_png(sample, tmp_path) -> None:
    directory = tmp_path / "broken"
    directory.mkdir()
    write_sample_digits(directory, np.zeros((3, 28, 28), np.uint8), np.arange(3), np.eye(3, 10, dtype=np.float32))
    description = json.loads((directory / "test-sample.json").read_text())
    description["indices"].append(99)
    (directory / "test-sample.json").write_text(json.dumps(description))
    with pytest.raises(ValueError, match="expected 784×4"):
        SampleDigits.load(directory)
