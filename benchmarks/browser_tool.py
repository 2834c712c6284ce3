"""The tool page in headless Chromium, light TF.js build against the full library, in one run.

    .venv/bin/python benchmarks/browser_tool.py [--steps 50] [--loads 9] [--builtin-theme] [--alone]

Builds the example site with the default recipe (training it first if stale) twice, with
`tfjs_build: light` (the default) and `tfjs_build: full`, serves each on 127.0.0.1 without a CSP
(so that the WASM backend may start too), and prints for each:
- the time from navigation to "ready" (model loaded, backend chosen), median and quartiles of
  `--loads` cold loads (the sites' loads alternate, so a slow moment of the machine hits all),
  split by the page's User Timing marks into: navigation → our code first runs (`main.js` finds
  the block: what the theme's HTML, CSS and scripts take before it), → TF.js has run (our modules,
  TF.js's download and evaluation, on a main thread the theme's handlers share), → ready (the
  backend starts, the model is built);
- the bytes a first visit to the tool page downloads, by kind, raw and gzipped (level 6, as a
  host that compresses sends them; the site's files gzipped, not what this server sent), and any
  file a visit fetched more than once (the page starts TF.js and the model early: none may be
  fetched twice);
- for each backend the build holds that starts: the median and p90 time of one full step —
  preprocess + predict + saliency + drawing the panels — on a fixed drawing;
With `--builtin-theme`, a third site joins the alternating loads: the tool page alone, light build,
on MkDocs's own `mkdocs` theme (no highlight.js), to show how much of the time to ready is the
theme's (Material's scripts and layout run before ours). With `--alone`, another: the tool page's
recognizer block alone on a page of its own (no theme: its CSS, the block, `main.js`), served
with the light site — the floor of what our code takes on this machine.
And, for the light site, what the blog post's blocks cost: bytes on opening the post (nothing of
the blocks may load yet) and after scrolling to each block in turn.
"""

from __future__ import annotations

import argparse
import gzip
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


def build_site(directory: Path, tfjs_build: str = "light") -> Path:
    import yaml
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config.update(docs_dir=str(ROOT / "docs"), site_dir=str(directory / "site"))
    config["theme"]["custom_dir"] = str(ROOT / "overrides")
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "digit-model" in plugin:
            plugin["digit-model"].update(cache_dir=str(ROOT / ".cache/plugin/digit-model"), tfjs_build=tfjs_build)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    build(load_config(str(directory / "mkdocs.yml")))
    return directory / "site"


def build_builtin_theme_site(directory: Path) -> Path:
    """The tool page alone on MkDocs's `mkdocs` theme, same recipe and model cache as `build_site`."""
    import shutil

    import yaml
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    digit_model = next(plugin["digit-model"] for plugin in config["plugins"]
                       if isinstance(plugin, dict) and "digit-model" in plugin)
    digit_model.update(cache_dir=str(ROOT / ".cache/plugin/digit-model"), tfjs_build="light")
    docs = directory / "docs"
    (docs / "tools").mkdir(parents=True)
    shutil.copy(ROOT / "docs" / (TOOL_PATH.rstrip("/") + ".md"), docs / "tools")
    site = {
        "site_name": config["site_name"], "docs_dir": str(docs), "site_dir": str(directory / "site"),
        "theme": {"name": "mkdocs", "locale": "zh_TW", "highlightjs": False},
        "plugins": [{"digit-model": digit_model}],
        "markdown_extensions": config["markdown_extensions"],
    }
    (directory / "mkdocs.yml").write_text(yaml.safe_dump(site, allow_unicode=True), encoding="utf-8")
    build(load_config(str(directory / "mkdocs.yml")))
    return directory / "site"


POST_PATH = "blog/mnist-in-the-browser/"


ALONE_PATH = "tools/recognizer-alone/"


def add_block_alone_page(site: Path) -> None:
    """Write ALONE_PATH into the built `site`: the tool page's first recognizer block, our CSS and
    `main.js`, nothing of the theme (same folder depth as the tool page, so relative URLs hold)."""
    import re

    tool_page = (site / TOOL_PATH / "index.html").read_text(encoding="utf-8")
    start = tool_page.index('<div class="digit-recognizer"')
    depth, end = 0, start
    for tag in re.finditer(r"<(/?)div\b[^>]*>", tool_page[start:]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            end = start + tag.end()
            break
    stylesheet = re.search(r'<link rel="stylesheet" href="[^"]*digit-model\.css[^"]*">', tool_page).group(0)
    entry = re.search(r'<script src="[^"]*digit-model/js/main\.js[^"]*" type="module"></script>', tool_page).group(0)
    page = site / ALONE_PATH / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text(f'<!doctype html>\n<html lang="zh-Hant"><head><meta charset="utf-8"><title>recognizer alone</title>\n'
                    f'{stylesheet}</head>\n<body>\n{tool_page[start:end]}\n{entry}\n</body></html>\n', encoding="utf-8")


#: User Timing marks our code sets (main.js, tf-loader.js, recognizer.js), in page order.
PHASES = """() => Object.fromEntries(['digit-model:start', 'digit-model:tfjs', 'digit-model:ready']
  .map((name) => [name.slice(12), performance.getEntriesByName(name)[0]?.startTime ?? null]))"""


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else (values[0],) * 3
    return q1, median, q3


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


class Site:
    """One built site, served on loopback, with what its cold loads measured."""

    def __init__(self, name: str, directory: Path, path: str = TOOL_PATH, time_steps: bool = True) -> None:
        import functools
        import http.server
        import threading

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *_):
                pass

        self.name, self.directory, self.path, self.time_steps = name, directory, path, time_steps
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.ready_ms: list[float] = []
        #: Per cold load: milliseconds from navigation to each mark of PHASES.
        self.phases: list[dict[str, float]] = []
        self.raw: dict[str, int] = defaultdict(int)
        self.gzipped: dict[str, int] = defaultdict(int)
        self.backend = None
        self.after_drawing: dict[str, int] = defaultdict(int)
        self.after_drawing_gzip: dict[str, int] = defaultdict(int)
        self.backend_after_drawing = None
        #: Files (path without query) that one cold load fetched more than once.
        self.fetched_twice: set[str] = set()

    def gzip_size(self, request_url: str) -> int:
        from urllib.parse import unquote, urlparse

        path = unquote(urlparse(request_url).path).lstrip("/")
        file = self.directory / path
        if file.is_dir() or path == "" or path.endswith("/"):
            file = file / "index.html"
        return len(gzip.compress(file.read_bytes(), 6)) if file.is_file() else 0

    def cold_load(self, browser, first: bool) -> None:
        from urllib.parse import urlparse

        context = browser.new_context()
        page = context.new_page()
        sizes: list[tuple[str, int]] = []
        page.on("requestfinished", lambda request: sizes.append((request.url, request.sizes()["responseBodySize"])))
        page.goto(self.base + self.path)
        page.wait_for_selector(".digit-recognizer[data-state=ready]", timeout=120_000)
        self.ready_ms.append(float(page.get_attribute(".digit-recognizer", "data-ready-ms")))
        self.phases.append(page.evaluate(PHASES))
        self.backend = page.get_attribute(".digit-recognizer", "data-backend")
        page.wait_for_load_state("networkidle")
        paths = [urlparse(request_url).path for request_url, _ in sizes]
        self.fetched_twice |= {path for path in paths if paths.count(path) > 1}
        if first:
            for request_url, size in sizes:
                self.raw[kind_of(request_url)] += size
                self.gzipped[kind_of(request_url)] += self.gzip_size(request_url)
            # Then the reader draws one stroke: what that costs (the light build fetches WASM now).
            seen = len(sizes)
            box = page.locator(".dr-canvas").bounding_box()
            page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
            page.mouse.down()
            page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.7, steps=8)
            page.mouse.up()
            page.wait_for_timeout(1500)
            page.wait_for_load_state("networkidle")
            self.backend_after_drawing = page.get_attribute(".digit-recognizer", "data-backend")
            for request_url, size in sizes[seen:]:
                self.after_drawing[kind_of(request_url)] += size
                self.after_drawing_gzip[kind_of(request_url)] += self.gzip_size(request_url)
        context.close()

    def steps(self, browser, steps: int) -> None:
        context = browser.new_context()
        page = context.new_page()
        page.goto(self.base + self.path)
        page.wait_for_selector(".digit-recognizer[data-state=ready]", timeout=120_000)
        print(f"  steps ({self.name}, default backend {self.backend}):")
        for backend in ("webgl", "wasm", "cpu"):
            result = page.evaluate(STEP, [backend, steps])
            if result is None:
                print(f"    {backend:5s}: not in this build, or did not start")
                continue
            times = sorted(result["times"])
            print(f"    {backend:5s}: step median {statistics.median(times):6.1f} ms, "
                  f"p90 {times[int(0.9 * len(times))]:6.1f} ms over {len(times)} steps (predicted {result['top']})")
        context.close()

    def report(self) -> None:
        recognizer = [kind for kind in self.raw if kind != "page + theme"]
        q1, median, q3 = quartiles(self.ready_ms)
        print(f"  {self.name}: navigation → ready median {median:.0f} ms (quartiles {q1:.0f}–{q3:.0f}, min "
              f"{min(self.ready_ms):.0f}, max {max(self.ready_ms):.0f}) over {len(self.ready_ms)} cold loads")
        if all(None not in marks.values() for marks in self.phases):
            theme = statistics.median(marks["start"] for marks in self.phases)
            tfjs = statistics.median(marks["tfjs"] - marks["start"] for marks in self.phases)
            model = statistics.median(marks["ready"] - marks["tfjs"] for marks in self.phases)
            print(f"    phases (medians): navigation → our code runs {theme:.0f} ms, → TF.js has run +{tfjs:.0f}, "
                  f"→ ready +{model:.0f}")
        for kind in sorted(self.raw):
            print(f"    {kind:12s} raw {self.raw[kind]:>10,}  gzip {self.gzipped[kind]:>10,}")
        print(f"    what the recognizer adds (TF.js + model + our JS/CSS): raw {sum(self.raw[k] for k in recognizer):,}, "
              f"gzip {sum(self.gzipped[k] for k in recognizer):,}")
        print(f"    fetched more than once in a visit: {', '.join(sorted(self.fetched_twice)) or 'nothing'}")
        print(f"    a first stroke then fetches raw {sum(self.after_drawing.values()):,}, gzip {sum(self.after_drawing_gzip.values()):,} "
              f"({', '.join(sorted(self.after_drawing)) or 'nothing'}); backend after drawing: {self.backend_after_drawing}")


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--loads", type=int, default=9,
                        help="cold loads of each site (their spread here is ±100 ms: 5 is too few to compare)")
    parser.add_argument("--alone", action="store_true",
                        help="also time the recognizer block alone on a page without a theme (light build)")
    parser.add_argument("--builtin-theme", action="store_true",
                        help="also time the tool page on MkDocs's own theme (light build)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        sites = [Site(name, build_site(Path(work) / name, name)) for name in ("light", "full")]
        if args.builtin_theme:
            sites.append(Site("light, mkdocs theme", build_builtin_theme_site(Path(work) / "builtin")))
        if args.alone:
            add_block_alone_page(sites[0].directory)
            sites.append(Site("light, the block alone", sites[0].directory, ALONE_PATH, time_steps=False))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for visit in range(args.loads):
                for site in sites if visit % 2 == 0 else sites[::-1]:
                    site.cold_load(browser, first=visit == 0)
            for site in sites:
                if site.time_steps:
                    site.steps(browser, args.steps)
            post_block_costs(browser, sites[0].base)
            browser.close()
        for site in sites:
            site.server.shutdown()
    print("first visit of the tool page:")
    for site in sites:
        site.report()


if __name__ == "__main__":
    main()
