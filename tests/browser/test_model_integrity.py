"""Redeploys never mix model versions in a reader's browser: every model URL carries the model's
version, and the page checks each weight shard against the hash model.json records before using
it; a missing or foreign file gives an error that names it."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlparse

import pytest

from digit_model.runtime import content_version

from .conftest import TOOL_PATH, read_digits_through_pad

POST_PATH = "blog/mnist-in-the-browser/"
MODEL_DIR = "assets/models/digits/"
#: The files of the model's build; the version is computed over them.
ARTEFACTS = ("model.json", "group1-shard1of1.bin", "metrics.json", "test-sample.json", "test-sample.png",
             "teach-sample.json", "teach-features.bin")
SHARD = re.compile(r".*/group1-shard1of1\.bin(\?.*)?$")
#: A browser without crypto.subtle, as a page served over plain http from a LAN address is.
WITHOUT_WEBCRYPTO = "Object.defineProperty(Crypto.prototype, 'subtle', { get: () => undefined, configurable: true });"


@pytest.fixture(scope="module")
def version(example_site) -> str:
    return content_version([example_site / MODEL_DIR / name for name in ARTEFACTS])


def wait_state(page, state: str, timeout: int = 60_000) -> None:
    page.wait_for_selector(f".digit-recognizer[data-state={state}]", timeout=timeout)


def status(page) -> str:
    return page.locator(".digit-recognizer .dr-status").inner_text()


def open_routed(browser, site_server, path: str, pattern, handler, init_script: str | None = None):
    """A page whose requests matching `pattern` are answered by `handler`; returns (context, page)."""
    context = browser.new_context()
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.route(pattern, handler)
    page.goto(site_server.url + path)
    return context, page


def test_every_model_request_carries_the_models_version(open_page, example_site, version) -> None:
    config = (example_site / "assets/digit-model/js/site-config.js").read_text()
    assert f'export const modelVersion = "{version}";' in config
    assert f'model.json?v={version}"' in config

    page, watch = open_page(POST_PATH)
    for i in range(2):
        page.locator(".digit-recognizer").nth(i).scroll_into_view_if_needed()
    cell = page.locator(".dc-cell").first
    cell.scroll_into_view_if_needed()
    cell.click()  # the confusion explorer fetches the test sample
    page.wait_for_function("() => document.querySelector('.digit-confusion').dataset.loaded !== undefined", timeout=60_000)

    # The model's files (the charts are <img> in the pages' HTML, not fetched by the scripts).
    model_urls = [url for url in watch.urls if any(urlparse(url).path.endswith(f"/{MODEL_DIR}{name}") for name in ARTEFACTS)]
    fetched = {urlparse(url).path.rsplit("/", 1)[-1] for url in model_urls}
    assert fetched == {"model.json", "group1-shard1of1.bin", "test-sample.json", "test-sample.png"}, model_urls
    for url in model_urls:
        assert parse_qs(urlparse(url).query) == {"v": [version]}, url
    assert not watch.errors


def test_a_missing_shard_is_named_with_its_status(browser, site_server) -> None:
    context, page = open_routed(browser, site_server, TOOL_PATH, SHARD, lambda route: route.fulfill(status=404, body="not found"))
    wait_state(page, "error")
    text = status(page)
    assert "模型載入失敗" in text and "group1-shard1of1.bin" in text and "HTTP 404" in text and "重新整理" in text, text
    context.close()


def test_a_missing_model_json_is_named_with_its_status(browser, site_server) -> None:
    model_json = re.compile(r".*/model\.json\?v=[0-9a-f]{12}$")
    context, page = open_routed(browser, site_server, TOOL_PATH, model_json, lambda route: route.fulfill(status=404, body="not found"))
    wait_state(page, "error")
    text = status(page)
    assert text == "模型載入失敗：model.json 回應 HTTP 404。請重新整理頁面。", text
    context.close()


@pytest.mark.parametrize("webcrypto", [True, False], ids=["webcrypto", "pure-js-sha256"])
def test_a_shard_from_another_model_is_refused(browser, site_server, example_site, webcrypto) -> None:
    """Same length, other bytes (what an old cached shard is): refused, and nothing predicted."""
    shard = bytearray((example_site / MODEL_DIR / "group1-shard1of1.bin").read_bytes())
    shard[len(shard) // 2] ^= 0xFF
    context, page = open_routed(
        browser, site_server, TOOL_PATH, SHARD,
        lambda route: route.fulfill(status=200, body=bytes(shard), content_type="application/octet-stream"),
        init_script=None if webcrypto else WITHOUT_WEBCRYPTO,
    )
    assert page.evaluate("() => Boolean(globalThis.crypto?.subtle)") == webcrypto
    wait_state(page, "error", timeout=30_000)
    assert status(page) == (
        "模型載入失敗：group1-shard1of1.bin 與它所屬的模型不符（網站可能在這個頁面開著時更新了）。請重新整理頁面。"
    )
    assert "group1-shard1of1.bin does not match the model it belongs to" in page.get_attribute(".digit-recognizer", "data-error")
    # A drawing gets no prediction: the recognizer has no model.
    page.evaluate(
        """async () => {
          const r = document.querySelector('.digit-recognizer').digitRecognizer;
          r.pad.setStrokes([[[60, 60], [220, 60], [120, 240]]]);
          await r.update();
        }"""
    )
    assert page.evaluate("() => document.querySelector('.digit-recognizer').digitRecognizer.lastResult") is None
    assert page.get_attribute(".digit-recognizer", "data-state") == "error"
    assert page.locator(".dr-top-digit").inner_text() == "–"
    context.close()


@pytest.mark.parametrize("webcrypto", [True, False], ids=["webcrypto", "pure-js-sha256"])
def test_the_verified_model_predicts_mnist_digits(browser, site_server, example_site, mnist, webcrypto) -> None:
    context = browser.new_context()
    if not webcrypto:
        context.add_init_script(WITHOUT_WEBCRYPTO)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(site_server.url + TOOL_PATH)
    wait_state(page, "ready")
    # The model the page runs carries the hashes it was checked against.
    recorded = json.loads((example_site / MODEL_DIR / "model.json").read_text())["userDefinedMetadata"]
    metadata = page.evaluate("() => document.querySelector('.digit-recognizer').digitRecognizer.model.getUserDefinedMetadata()")
    assert metadata == recorded and set(metadata["weightsSha256"]) == {"group1-shard1of1.bin"}
    tops = read_digits_through_pad(page, ".digit-recognizer", mnist.test_images[:20])
    assert sum(top == label for top, label in zip(tops, mnist.test_labels[:20])) >= 18, tops
    assert not errors, errors
    context.close()
