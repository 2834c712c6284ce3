"""The digit-recognition tool page in a real Chromium, under a strict CSP."""

from __future__ import annotations

import json
from urllib.parse import urlparse

import numpy as np
import pytest

from model_build.preprocess import preprocess_rgba

from .conftest import (
    CSP, FLAGGED_ONE, SCREENSHOTS, SEVEN, TOOL_PATH, ZERO, SiteServer, draw_with_mouse, draw_with_touch,
    read_digits_through_pad, recognizer, wait_ready,
)

def wait_prediction(page) -> dict:
    page.wait_for_selector(".digit-recognizer[data-state=predicted]", timeout=30_000)
    # A function, not a string: under the page's CSP, Playwright cannot eval string predicates.
    page.wait_for_function("() => !document.querySelector('.digit-recognizer').digitRecognizer.busy")
    return recognizer(page, "r.lastResult")


def test_mouse_drawing_gives_a_prediction_and_a_saliency_map(open_page) -> None:
    page, watch = open_page(TOOL_PATH)
    wait_ready(page)
    draw_with_mouse(page, SEVEN)
    result = wait_prediction(page)
    assert result["top"] == 7
    assert abs(sum(result["probabilities"]) - 1) < 1e-3
    assert page.locator(".dr-top-digit").inner_text() == "7"
    saliency = np.array(result["saliency"])
    assert saliency.max() == pytest.approx(1.0) and (saliency > 0.05).sum() >= 10
    assert not watch.errors


def test_touch_drawing_gives_a_prediction(open_page) -> None:
    page, watch = open_page(TOOL_PATH, has_touch=True, is_mobile=True, viewport={"width": 360, "height": 740})
    wait_ready(page)
    scroll_before = page.evaluate("scrollY")
    draw_with_touch(page, ZERO)
    result = wait_prediction(page)
    assert result["top"] == 0
    assert np.array(result["saliency"]).max() == pytest.approx(1.0)
    assert page.evaluate("scrollY") == scroll_before  # touch-action: none, the page did not scroll
    assert not watch.errors


def test_undo_and_clear_by_button_and_keyboard(open_page) -> None:
    page, _ = open_page(TOOL_PATH)
    wait_ready(page)
    draw_with_mouse(page, FLAGGED_ONE + SEVEN)
    wait_prediction(page)
    assert recognizer(page, "r.pad.strokes.length") == 2
    page.locator(".dr-canvas").focus()
    page.keyboard.press("Control+z")
    assert recognizer(page, "r.pad.strokes.length") == 1
    page.locator("[data-action=undo]").click()
    page.wait_for_selector(".digit-recognizer[data-state=ready]")
    draw_with_mouse(page, SEVEN)
    wait_prediction(page)
    page.locator(".dr-canvas").press("Escape")
    page.wait_for_selector(".digit-recognizer[data-state=ready]")
    draw_with_mouse(page, SEVEN)
    wait_prediction(page)
    page.locator("[data-action=clear]").click()
    page.wait_for_selector(".digit-recognizer[data-state=ready]")
    assert recognizer(page, "r.pad.strokes.length") == 0


def test_empty_canvas_shows_no_prediction(open_page) -> None:
    page, _ = open_page(TOOL_PATH)
    wait_ready(page)
    page.wait_for_timeout(300)
    assert page.locator(".dr-top-digit").inner_text() == "–"
    assert recognizer(page, "r.lastResult") is None
    assert all(text == "" for text in page.locator(".dr-bar-value").all_inner_texts())


def test_failed_model_load_shows_the_error_state(open_page, browser, site_server) -> None:
    context = browser.new_context()
    page = context.new_page()
    uncaught: list[str] = []
    page.on("pageerror", lambda error: uncaught.append(str(error)))
    page.route("**/model.json*", lambda route: route.fulfill(status=404, body="not found"))
    page.goto(site_server.url + TOOL_PATH)
    page.wait_for_selector(".digit-recognizer[data-state=error]", timeout=60_000)
    status = page.locator(".dr-status").inner_text()
    assert "模型載入失敗" in status and "404" in status and "重新整理" in status
    # The download main.js started early fails into the block's message, not into the console.
    page.wait_for_load_state("networkidle")
    assert not uncaught, uncaught
    context.close()


def test_tfjs_the_model_and_our_modules_are_fetched_once_though_started_early(open_page, site_server, example_site) -> None:
    """main.js starts TF.js, model.json and its shards (named in site-config.js) beside the
    recognizer's modules, which it preloads together: each file still arrives once."""
    shards = json.loads((example_site / "assets/models/digits/model.json").read_text())["weightsManifest"][0]["paths"]
    config = (example_site / "assets/digit-model/js/site-config.js").read_text()
    assert f"export const modelWeightFiles = {json.dumps(shards)};" in config
    before = len(site_server.requests)
    page, watch = open_page(TOOL_PATH)
    wait_ready(page)
    page.wait_for_load_state("networkidle")
    requested = site_server.requests[before:]
    names = [path.rsplit("/", 1)[-1] for path in requested]
    for name in ("tf-light.min.js", "model.json", *shards):
        assert names.count(name) == 1, (name, names)
    modules = [path for path in requested if "/assets/digit-model/js/" in path]
    assert {"recognizer.js", "tf-runtime.js", "tf-loader.js", "model-files.js", "site-config.js"} <= {path.rsplit("/", 1)[-1] for path in modules}
    assert len(modules) == len(set(modules)), sorted(modules)
    assert page.locator("link[rel=modulepreload]").count() > 0
    assert not watch.errors


def test_strict_csp_no_console_errors_no_third_party_requests(open_page, site_server) -> None:
    for path in (TOOL_PATH, "", "blog/mnist-in-the-browser/"):
        page, watch = open_page(path)
        if path == TOOL_PATH:
            wait_ready(page)
            draw_with_mouse(page, SEVEN)
            wait_prediction(page)
        else:
            page.wait_for_load_state("networkidle")
        assert watch.errors == [], (path, watch.errors)
        hosts = {urlparse(url).netloc for url in watch.urls if not url.startswith(("data:", "blob:"))}
        assert hosts == {urlparse(site_server.url).netloc}, (path, hosts)


def test_page_and_python_preprocess_drawings_identically(open_page) -> None:
    page, _ = open_page(TOOL_PATH)
    wait_ready(page)
    for strokes in (SEVEN, FLAGGED_ONE, ZERO, [[(0.1, 0.1), (0.3, 0.15)]], [[(0.6, 0.1), (0.62, 0.9)]]):
        page.locator("[data-action=clear]").click()
        draw_with_mouse(page, strokes)
        result = wait_prediction(page)
        width, height, rgba = recognizer(page, "(() => { const d = r.pad.imageData(); return [d.width, d.height, Array.from(d.data)]; })()")
        reference = preprocess_rgba(np.array(rgba, np.uint8).reshape(height, width, 4))
        difference = np.abs(reference.pixels.reshape(-1) - np.array(result["pixels"]))
        assert difference.max() <= 1e-3, (strokes, difference.max())


def test_mnist_digits_through_the_page_agree_with_keras(open_page, example_site, mnist) -> None:
    from model_build.mnist.build import shipped_model
    from model_build.mnist.evaluate import predict_probabilities

    count = 300
    images, labels = mnist.test_images[:count], mnist.test_labels[:count]
    model = shipped_model(example_site / "assets/models/digits")
    keras_top = predict_probabilities(model, images).argmax(1)

    page, watch = open_page(TOOL_PATH)
    wait_ready(page)
    page_top = read_digits_through_pad(page, ".digit-recognizer", images)
    agreement = float((np.array(page_top) == keras_top).mean())
    print(f"page vs Keras on {count} MNIST test digits: {agreement:.1%} agree; "
          f"page accuracy {(np.array(page_top) == labels).mean():.1%}, Keras {(keras_top == labels).mean():.1%}")
    assert agreement >= 0.99
    assert not watch.errors


@pytest.mark.parametrize("scheme", ["default", "slate"])
@pytest.mark.parametrize(("name", "viewport"), [("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 360, "height": 780})])
def test_screenshots_and_phone_layout(open_page, scheme, name, viewport) -> None:
    page, watch = open_page(TOOL_PATH, viewport=viewport, color_scheme="dark" if scheme == "slate" else "light",
                            has_touch=name == "phone", is_mobile=name == "phone")
    wait_ready(page)
    draw_with_mouse(page, SEVEN) if name == "desktop" else draw_with_touch(page, SEVEN)
    wait_prediction(page)
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == scheme
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px"
    canvas = page.locator(".dr-canvas").bounding_box()
    assert canvas["width"] >= 200 and canvas["x"] >= 0 and canvas["x"] + canvas["width"] <= viewport["width"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"tool-{name}-{scheme}.png"), full_page=True)
    assert not watch.errors


def test_backends_fall_back_and_wasm_runs_where_the_csp_allows_it(browser, example_site_full) -> None:
    """With the full library (`tfjs_build: full`): headless Chromium has only an emulated WebGL,
    which the page skips; where WASM may compile, the page runs WASM; each backend predicts the same."""
    server = SiteServer(example_site_full, csp=CSP.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'"))
    try:
        for url, expected in ((server.url, "wasm"),):
            context = browser.new_context()
            page = context.new_page()
            page.goto(url + TOOL_PATH)
            wait_ready(page)
            assert page.get_attribute(".digit-recognizer", "data-backend") == expected
            assert f"TF.js 後端：{expected}" in page.locator(".dr-backend").inner_text()
            draw_with_mouse(page, SEVEN)
            tops = {}
            for backend in ("wasm", "cpu", "webgl"):
                started = page.evaluate(
                    """async (name) => (await import(new URL('../../assets/digit-model/js/tf-runtime.js', location.href).href)).useBackend(name)""",
                    backend,
                )
                assert started, backend
                tops[backend] = page.evaluate("async () => { const r = document.querySelector('.digit-recognizer').digitRecognizer; await r.update(); return r.lastResult.top; }")
            assert set(tops.values()) == {7}, tops
            context.close()
    finally:
        server.close()


def test_the_light_build_starts_on_the_cpu_and_moves_to_wasm_when_the_reader_draws(browser, example_site) -> None:
    """Where WASM may compile: the page loads the light build (not one byte of the full library),
    is ready on the CPU backend without fetching a .wasm binary, and moves to WASM when the reader
    starts drawing, with the same answer."""
    server = SiteServer(example_site, csp=CSP.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'"))
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(server.url + TOOL_PATH)
        wait_ready(page)
        assert page.get_attribute(".digit-recognizer", "data-backend") == "cpu"
        assert page.evaluate("() => tf.build.name") == "light"

        def fetched() -> list[str]:
            return [path.rsplit("/", 1)[-1] for path in server.requests if "/tfjs/" in path]

        assert fetched() == ["tf-light.min.js"]
        assert page.evaluate("() => 'wasm' in tf") is False  # its WASM backend is not on the page yet
        # The phases the README and benchmarks/browser_tool.py read: each marked once, in order.
        marks = page.evaluate("""() => ['digit-model:start', 'digit-model:tfjs', 'digit-model:ready']
            .map((name) => performance.getEntriesByName(name).map((mark) => mark.startTime))""")
        assert [len(times) for times in marks] == [1, 1, 1], marks
        assert marks[0][0] <= marks[1][0] <= marks[2][0], marks
        draw_with_mouse(page, SEVEN)
        page.wait_for_function("() => document.querySelector('.digit-recognizer').dataset.backend === 'wasm'", timeout=30_000)
        assert "TF.js 後端：wasm" in page.locator(".dr-backend").inner_text()
        page.evaluate("() => document.querySelector('.digit-recognizer').digitRecognizer.update()")
        on_wasm = wait_prediction(page)
        assert on_wasm["top"] == 7
        assert fetched()[:2] == ["tf-light.min.js", "tf-light-wasm.min.js"], fetched()
        assert len(fetched()) == 3 and fetched()[2].endswith(".wasm"), fetched()
        assert page.evaluate(
            "async () => (await import(new URL('../../assets/digit-model/js/tf-runtime.js', location.href).href)).useBackend('cpu')")
        page.evaluate("() => document.querySelector('.digit-recognizer').digitRecognizer.update()")
        on_cpu = wait_prediction(page)
        assert on_cpu["top"] == 7
        assert max(abs(a - b) for a, b in zip(on_cpu["probabilities"], on_wasm["probabilities"])) < 1e-4
        context.close()
    finally:
        server.close()


def test_strict_csp_keeps_the_light_build_on_the_cpu_when_the_reader_draws(open_page) -> None:
    page, watch = open_page(TOOL_PATH)
    wait_ready(page)
    draw_with_mouse(page, SEVEN)
    assert wait_prediction(page)["top"] == 7
    page.wait_for_timeout(500)  # the attempt to start WASM has failed by now (it fails at once under this CSP)
    assert page.get_attribute(".digit-recognizer", "data-backend") == "cpu"
    # Found out before downloading anything: neither the WASM part nor a binary was fetched.
    assert not [url for url in watch.urls if url.endswith((".wasm", "tf-light-wasm.min.js"))], watch.urls
    assert not watch.errors


def test_strict_csp_falls_back_to_cpu(open_page) -> None:
    page, watch = open_page(TOOL_PATH)
    wait_ready(page)
    assert page.get_attribute(".digit-recognizer", "data-backend") == "cpu"
    assert not watch.errors
