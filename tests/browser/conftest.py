"""Browser tests: the example site built with a small recipe, served on 127.0.0.1 with a strict
Content-Security-Policy, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

from ..conftest import ROOT, TINY_DRAWN_BENCHMARK

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
#: No inline scripts, nothing from other hosts. (WASM compilation would need 'wasm-unsafe-eval':
#: under this policy the WASM backend cannot start, and the page falls back to another.)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'"
)
#: The real recipe, shortened to two epochs (~10 s): a model as robust as the shipped one is
#: needed for the page-versus-Keras comparison on real MNIST digits to mean something. The
#: drawn-digit benchmark's figures are not under test here: its smallest size saves 12–40 s.
#: The blog's network on MNIST's scans: trains in ~10 s and reads the tests' strokes reliably; the
#: canvas network has the same layer types, so the page runs it the same way.
BROWSER_RECIPE = {"epochs": 2, "network": "blog", "redrawn_training": {"images": 0}, "drawn_benchmark": TINY_DRAWN_BENCHMARK}
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


#: Pages only the tests need (two blocks on a page, a block below the fold), added under test-pages/.
TEST_PAGES = Path(__file__).resolve().parent / "pages"


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's site (mkdocs.yml, docs/, overrides/) plus TEST_PAGES, built with BROWSER_RECIPE."""
    return _build_example_site(tmp_path_factory.mktemp("example-site"))


@pytest.fixture(scope="session")
def example_site_full(example_site: Path) -> Path:
    """The same site with `tfjs_build: full` (every page loads the whole library: WebGL and WASM
    backends too), from the same model cache, so no second training."""
    return _build_example_site(example_site.parent, tfjs_build="full", site="site-full")


def _build_example_site(work: Path, site: str = "site", **options) -> Path:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    if not (work / "docs").exists():
        shutil.copytree(ROOT / "docs", work / "docs")
        shutil.copytree(TEST_PAGES, work / "docs" / "test-pages")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config["docs_dir"] = str(work / "docs")
    config["site_dir"] = str(work / site)
    config["theme"]["custom_dir"] = str(ROOT / "overrides")
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "digit-model" in plugin:
            plugin["digit-model"].update(recipe=BROWSER_RECIPE, cache_dir=str(work / "cache"), **options)
    config_file = work / f"mkdocs-{site}.yml"
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    build(load_config(str(config_file)))
    return work / site


class SiteServer:
    """A loopback static server that sends the CSP header and records every path it serves."""

    def __init__(self, directory: Path, csp: str = CSP) -> None:
        self.requests: list[str] = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def end_headers(self) -> None:
                self.send_header("Content-Security-Policy", csp)
                self.send_header("Cache-Control", "no-store")
                super().end_headers()

            def do_GET(self) -> None:
                server.requests.append(self.path.split("?")[0])
                super().do_GET()

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(directory)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def site_server(example_site: Path) -> Iterator[SiteServer]:
    server = SiteServer(example_site)
    yield server
    server.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: `make test` installs Debian's chromium (apt-get install chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageWatch:
    """Console errors, page errors and every request URL a page made."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        self.urls: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("request", lambda request: self.urls.append(request.url))


@pytest.fixture
def open_page(browser, site_server):
    """Open a site path in a fresh context; returns (page, PageWatch)."""
    contexts = []

    def open_(path: str, **context_options):
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        watch = PageWatch(page)
        page.goto(site_server.url + path)
        return page, watch

    yield open_
    for context in contexts:
        context.close()


TOOL_PATH = "tools/digit-recognition/"


def read_digits_through_pad(page, selector: str, images) -> list[int]:
    """Put each uint8 28×28 image on the drawing pad of the recognizer at `selector` (through the
    page's own preprocessing) and return the digit the page reads for each."""
    return page.evaluate(
        """async ([selector, digits]) => {
          const r = document.querySelector(selector).digitRecognizer;
          const tops = [];
          for (const pixels of digits) {
            await r.showDigit(pixels.map((v) => v / 255));
            await r.update();
            tops.push(r.lastResult.top);
          }
          return tops;
        }""",
        [selector, images.reshape(len(images), -1).tolist()],
    )


# Strokes in canvas fractions: a "7" and a "1" with a flag, as a person would draw them.
SEVEN = [[(0.22, 0.2), (0.78, 0.2), (0.45, 0.85)]]
FLAGGED_ONE = [[(0.38, 0.3), (0.55, 0.15), (0.55, 0.85)]]
ZERO = [[(0.5 + 0.22 * np.sin(t), 0.5 - 0.32 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 24)]]


def wait_ready(page) -> None:
    page.wait_for_selector(".digit-recognizer[data-state=ready]", timeout=60_000)


def recognizer(page, expression: str):
    return page.evaluate(f"(() => {{ const r = document.querySelector('.digit-recognizer').digitRecognizer; return {expression}; }})()")


def _interpolate(stroke, steps=8):
    points = []
    for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
        points += [(x0 + (x1 - x0) * t / steps, y0 + (y1 - y0) * t / steps) for t in range(steps)]
    return points + [stroke[-1]]


def draw_with_mouse(page, strokes) -> None:
    box = page.locator(".dr-canvas").bounding_box()
    for stroke in strokes:
        points = _interpolate(stroke)
        page.mouse.move(box["x"] + points[0][0] * box["width"], box["y"] + points[0][1] * box["height"])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.up()


def draw_with_touch(page, strokes) -> None:
    box = page.locator(".dr-canvas").bounding_box()
    cdp = page.context.new_cdp_session(page)
    for stroke in strokes:
        points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in _interpolate(stroke)]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
        for x, y in points[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
