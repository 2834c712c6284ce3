"""Markdown blocks in a real Chromium: sharing, laziness, presets, the confusion explorer, no-JS."""

from __future__ import annotations

import json
from urllib.parse import urlparse

import numpy as np
import pytest

from .conftest import SCREENSHOTS

POST_PATH = "blog/mnist-in-the-browser/"
TWO_BLOCKS = "test-pages/two-blocks/"
BELOW_FOLD = "test-pages/below-fold/"
#: What a recognizer block costs when it starts: its code, TF.js and the model.
LOAD_MARKERS = ("recognizer.js", "/tfjs/", "model.json", ".bin")


@pytest.fixture(scope="module")
def keras_model(example_site):
    """The Keras network with the weights exactly as the site ships them."""
    from model_build.mnist.build import shipped_model

    model = shipped_model(example_site / "assets/models/digits")
    return model


def keras_probabilities(model, images: np.ndarray) -> np.ndarray:
    """Keras's probabilities for one 28×28 image with values 0–255 (uint8 or float)."""
    from model_build.mnist.evaluate import predict_probabilities

    return predict_probabilities(model, images[np.newaxis])[0]


def block_results(page) -> list:
    return page.evaluate(
        "() => [...document.querySelectorAll('.digit-recognizer')].map((r) => r.digitRecognizer && r.digitRecognizer.lastResult)"
    )


def wait_all_predicted(page, count: int) -> None:
    page.wait_for_function(
        f"() => [...document.querySelectorAll('.digit-recognizer')].filter((r) => r.dataset.state === 'predicted' && !r.digitRecognizer.busy).length === {count}",
        timeout=60_000,
    )


def test_two_blocks_share_one_runtime_and_one_model_load(open_page, site_server, example_site) -> None:
    before = len(site_server.requests)
    page, watch = open_page(TWO_BLOCKS)
    wait_all_predicted(page, 2)
    requested = site_server.requests[before:]
    shards = json.loads((example_site / "assets/models/digits/model.json").read_text())["weightsManifest"][0]["paths"]
    for name in ("model.json", *shards, "tf-light.min.js"):
        assert sum(path.endswith("/" + name) for path in requested) == 1, (name, requested)
    assert not watch.errors


def test_a_preset_mnist_digit_gives_the_keras_prediction(open_page, keras_model, mnist) -> None:
    page, watch = open_page(TWO_BLOCKS)
    wait_all_predicted(page, 2)
    for index, result in zip((8, 18), block_results(page)):
        # The page draws the preset on its canvas and preprocesses it like any drawing, so its
        # input is a resampled copy of the MNIST digit: the answer must survive that, and the
        # probabilities must be Keras's for the input the page really computed.
        on_mnist = keras_probabilities(keras_model, mnist.test_images[index])
        page_input = 255 * np.array(result["pixels"], dtype=np.float32).reshape(28, 28)
        on_page_input = keras_probabilities(keras_model, page_input)
        print(f"mnist-test-{index}: page {result['top']} ({max(result['probabilities']):.3f}), "
              f"Keras on MNIST {on_mnist.argmax()} ({on_mnist.max():.3f}), on the page's input "
              f"{on_page_input.max():.3f}, label {mnist.test_labels[index]}")
        assert result["top"] == on_mnist.argmax()
        assert np.abs(np.array(result["probabilities"]) - on_page_input).max() < 1e-4
    assert not watch.errors


def test_a_block_below_the_fold_fetches_nothing_until_scrolled_to(open_page, site_server) -> None:
    before = len(site_server.requests)
    page, watch = open_page(BELOW_FOLD, viewport={"width": 1280, "height": 800})
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)
    early = site_server.requests[before:]
    assert any(path.endswith("/main.js") for path in early)
    assert not [path for path in early if any(marker in path for marker in LOAD_MARKERS)], early
    assert page.get_attribute(".digit-recognizer", "data-state") is None  # not mounted

    page.locator(".digit-recognizer").scroll_into_view_if_needed()
    wait_all_predicted(page, 1)
    late = site_server.requests[before:]
    assert any(path.endswith("model.json") for path in late) and any("/tfjs/" in path for path in late)
    assert not watch.errors


def test_the_post_runs_its_blocks_under_the_strict_csp(open_page, keras_model, mnist, example_site) -> None:
    """Every block of the post, scrolled to in turn, then the confusion explorer clicked: no
    console errors, only requests to this site, and the loaded mistake predicted as Keras does."""
    page, watch = open_page(POST_PATH)
    blocks = page.locator(".digit-recognizer")
    assert blocks.count() == 4  # preprocessing, saliency, the confusion explorer's, teaching
    for i in range(2):  # the preprocessing block (strokes preset) and the saliency block (MNIST preset)
        blocks.nth(i).scroll_into_view_if_needed()
    wait_all_predicted(page, 2)
    steps, saliency = block_results(page)[:2]
    assert steps["top"] == 7  # the small, off-centre crossed 7 of the preset strokes
    assert saliency["top"] == keras_probabilities(keras_model, mnist.test_images[4]).argmax()
    assert saliency["saliency"] is not None and max(saliency["saliency"]) > 0

    sample = json.loads((example_site / "assets/models/digits/test-sample.json").read_text())
    cell = page.locator(".dc-cell").first
    cell.scroll_into_view_if_needed()
    truth, predicted = int(cell.get_attribute("data-true")), int(cell.get_attribute("data-predicted"))
    cell.click()
    page.wait_for_function("() => document.querySelector('.digit-confusion').dataset.loaded !== undefined", timeout=30_000)
    expected = [i for i, t, p in zip(sample["indices"], sample["labels"], sample["predicted"]) if (t, p) == (truth, predicted)]
    shown = [int(i) for i in page.eval_on_selector_all(".dc-digit", "(buttons) => buttons.map((b) => b.dataset.index)")]
    assert shown == expected and expected
    loaded = int(page.get_attribute(".digit-confusion", "data-loaded"))
    assert loaded == expected[0]
    wait_all_predicted(page, 3)
    mistake = block_results(page)[2]
    assert mistake["top"] == keras_probabilities(keras_model, mnist.test_images[loaded]).argmax() == predicted != truth

    assert not watch.errors, watch.errors
    hosts = {urlparse(url).hostname for url in watch.urls if not url.startswith("data:")}
    assert hosts == {"127.0.0.1"}, hosts


def test_without_javascript_blocks_show_a_picture_and_a_sentence(open_page) -> None:
    page, _ = open_page(POST_PATH, java_script_enabled=False)
    fallbacks = page.locator(".digit-recognizer__fallback")
    assert fallbacks.count() == 4
    for i in range(4):
        fallback = fallbacks.nth(i)
        fallback.scroll_into_view_if_needed()
        assert "JavaScript" in fallback.inner_text()
        assert fallback.locator("img").evaluate("(img) => img.complete && img.naturalWidth > 0")
    # The confusion explorer is a readable table even without scripts.
    assert page.locator(".dc-matrix tbody tr").count() == 10


@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_the_post_fits_a_phone_with_its_blocks(open_page, scheme) -> None:
    """At 360 px the post (four recognizers, the confusion table) never scrolls sideways.

    The cell is clicked as soon as it is on screen, usually before the explorer's code has
    loaded: the click must be replayed, not lost."""
    page, watch = open_page(POST_PATH, viewport={"width": 360, "height": 780}, has_touch=True, is_mobile=True,
                            color_scheme="dark" if scheme == "slate" else "light")
    blocks = page.locator(".digit-recognizer")
    for i in range(2):
        blocks.nth(i).scroll_into_view_if_needed()
    wait_all_predicted(page, 2)
    page.locator(".dc-cell").first.click()
    page.wait_for_function("() => document.querySelector('.digit-confusion').dataset.loaded !== undefined", timeout=30_000)
    wait_all_predicted(page, 3)
    teaching = blocks.nth(3)
    teaching.scroll_into_view_if_needed()
    teaching.locator(".dr-teach-digit").first.wait_for(timeout=30_000)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the post scrolls sideways by {overflow}px"
    for i in range(4):
        box = blocks.nth(i).locator(".dr-canvas").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    box = teaching.locator(".dr-panel--teach").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".digit-confusion").screenshot(path=str(SCREENSHOTS / f"post-confusion-phone-{scheme}.png"))
    teaching.screenshot(path=str(SCREENSHOTS / f"post-teach-phone-{scheme}.png"))
    assert not watch.errors
