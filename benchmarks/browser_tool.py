"""The tool page in headless Chromium: step time per TF.js backend, time to ready, bytes.

    .venv/bin/python benchmarks/browser_tool.py [--steps 50]

Builds the example site with the default recipe (training it first if stale), serves it on
127.0.0.1 without a CSP (so that the WASM backend may start too), and prints:
- for each backend that starts (webgl, wasm, cpu): the median and p90 time of one full step —
  preprocess + predict + saliency + drawing the panels — on a fixed drawing;
- the time from navigation to "ready" (model loaded, backend chosen), median of 5 cold loads;
- the bytes a first visit to the tool page downloads, by kind;
- what the blog post's blocks cost: bytes on opening the post (nothing of the blocks may load
  yet) and after scrolling to each block in turn.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, TOOL_PATH  # noqa: E402

STEP = """async ([backend, steps]) => {
  const r = document.querySelector('.digit-recognizer').digitRecognizer;
  const runtime = await import(new URL('../../assets/digit-model/js/tf-runtime.js', location.href).href);
  if (!(await runtime.useBackend(backend))) return null;
  r.pad.setStrokes([[[62, 56], [218, 56], [126, 238]], [[90, 150], [170, 150]]]);
  for (let i = 0; i < 5; i += 1) await r.update();  // warm-up: shader compilation, first uploads
  const times = [];
  for (let i = 0; i < steps; i += 1) {
    const started = performance.now();
    await r.update();
    times.push(performance.now() - started);
  }
  return {times, top: r.lastResult.top};
}"""


def build_site(directory: Path) -> Path:
    import yaml
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config.update(docs_dir=str(ROOT / "docs"), site_dir=str(directory / "site"))
    config["theme"]["custom_dir"] = str(ROOT / "overrides")
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "digit-model" in plugin:
            plugin["digit-model"].update(cache_dir=str(ROOT / ".cache/plugin/digit-model"), node_modules=str(ROOT / "node_modules"))
    (directory / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    build(load_config(str(directory / "mkdocs.yml")))
    return directory / "site"


POST_PATH = "blog/mnist-in-the-browser/"


def kind_of(request_url: str) -> str:
    return ("model" if "/models/" in request_url else "TF.js" if "/tfjs/" in request_url
            else "our JS/CSS" if "/digit-model/" in request_url else "page + theme")


def post_block_costs(browser, base_url: str) -> None:
    """Bytes of the post on arrival and after scrolling to every block (lazy loading at work)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sizes: list[tuple[str, int]] = []
    page.on("requestfinished", lambda request: sizes.append((request.url, request.sizes()["responseBodySize"])))
    page.goto(base_url + POST_PATH)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)

    def summary() -> str:
        by_kind: dict[str, int] = defaultdict(int)
        for request_url, size in sizes:
            by_kind[kind_of(request_url)] += size
        return f"{sum(by_kind.values()):,} bytes (" + ", ".join(f"{k} {v:,}" for k, v in sorted(by_kind.items())) + ")"

    print(f"blog post on arrival: {summary()}")
    blocks = page.locator(".digit-recognizer")
    for i in range(blocks.count()):
        blocks.nth(i).scroll_into_view_if_needed()
        page.wait_for_function(f"() => document.querySelectorAll('.digit-recognizer')[{i}].dataset.state", timeout=120_000)
    page.wait_for_load_state("networkidle")
    print(f"blog post after scrolling to its {blocks.count()} recognizer blocks: {summary()}")
    context.close()


def main() -> None:
    import functools
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        site = build_site(Path(work))

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *_):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/{TOOL_PATH}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ready_times, chosen = [], None
            bytes_by_kind: dict[str, int] = defaultdict(int)
            for visit in range(5):
                context = browser.new_context()
                page = context.new_page()
                sizes: list[tuple[str, int]] = []
                page.on("requestfinished", lambda request: sizes.append((request.url, request.sizes()["responseBodySize"])))
                page.goto(url)
                page.wait_for_selector(".digit-recognizer[data-state=ready]", timeout=120_000)
                ready_times.append(float(page.get_attribute(".digit-recognizer", "data-ready-ms")))
                chosen = page.get_attribute(".digit-recognizer", "data-backend")
                page.wait_for_load_state("networkidle")
                if visit == 0:
                    for request_url, size in sizes:
                        bytes_by_kind[kind_of(request_url)] += size
                if visit == 4:
                    print(f"TF.js backends on this machine (default choice: {chosen}):")
                    for backend in ("webgl", "wasm", "cpu"):
                        result = page.evaluate(STEP, [backend, args.steps])
                        if result is None:
                            print(f"  {backend:5s}: did not start")
                            continue
                        times = sorted(result["times"])
                        print(f"  {backend:5s}: step median {statistics.median(times):6.1f} ms, "
                              f"p90 {times[int(0.9 * len(times))]:6.1f} ms over {len(times)} steps (predicted {result['top']})")
                context.close()
            post_block_costs(browser, f"http://127.0.0.1:{server.server_address[1]}/")
            browser.close()
        server.shutdown()
    print(f"navigation → ready: median {statistics.median(ready_times):.0f} ms over {len(ready_times)} cold loads "
          f"(min {min(ready_times):.0f}, max {max(ready_times):.0f})")
    total = sum(bytes_by_kind.values())
    print(f"first visit downloads {total:,} bytes: " + ", ".join(f"{k} {v:,}" for k, v in sorted(bytes_by_kind.items())))


if __name__ == "__main__":
    main()
