"""The tutorial page in headless Chromium: train the tutorial's CNN N times, print what it reached.

    .venv/bin/python benchmarks/browser_training.py [--runs 5] [--site site/]

Builds the example site (training the blog's model first if stale; or uses `--site`, an
already built site), serves it on 127.0.0.1 under the tests' strict CSP, opens the tutorial
page and presses "train" `--runs` times in the same tab. For each run it prints the final
validation accuracy (1,000 held-out digits), the test accuracy (all 2,000), the seconds for
100 batches with validation, the mean milliseconds of one training batch, the longest gap
between two animation frames while training (how long the page was unresponsive at worst),
and the backend; then the spread over the runs.

Headless Chromium's WebGL is software-emulated, which the page skips: this measures the CPU
backend (with the page's filter-gradient kernel), the slowest case a reader meets.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from browser_tool import build_site  # noqa: E402  (the sibling benchmark's site build)

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, SiteServer  # noqa: E402

TUTORIAL_PATH = "tutorial/train-in-browser/"
RUN = """async () => {
  const root = document.querySelector('.digit-tutorial');
  const watch = { maxGap: 0, last: performance.now(), counting: false };
  const tick = (now) => {
    if (watch.counting) watch.maxGap = Math.max(watch.maxGap, now - watch.last);
    watch.last = now;
    if (root.dataset.state !== 'done' && root.dataset.state !== 'error') requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  root.querySelector('[data-action=train]').click();
  while (!['done', 'error', 'stopped'].includes(root.dataset.state)) {
    watch.counting = root.dataset.state === 'training';
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { ...root.dataset, maxGap: watch.maxGap };
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--site", type=Path, help="an already built site (default: build the example site)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as temp:
        site = args.site or build_site(Path(temp))
        server = SiteServer(site)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page()
                page.goto(server.url + TUTORIAL_PATH)
                page.wait_for_selector(".digit-tutorial[data-state=idle]", timeout=60_000)
                results = []
                for run in range(1, args.runs + 1):
                    result = page.evaluate(RUN)
                    if result["state"] != "done":
                        sys.exit(f"run {run}: {result['state']}: {result.get('error')}")
                    results.append(result)
                    print(
                        f"run {run}: validation {float(result['valAccuracy']):.3f}, test {float(result['testAccuracy']):.4f}, "
                        f"{int(result['trainMs']) / 1000:.1f} s, {float(result['msPerBatch']):.0f} ms/batch, "
                        f"longest frame gap {result['maxGap']:.0f} ms, backend {result['backend']}",
                        flush=True,
                    )
                browser.close()
        finally:
            server.close()

    def spread(key: str, scale: float = 1.0) -> str:
        values = [float(result[key]) * scale for result in results]
        return f"min {min(values):.3f}, median {statistics.median(values):.3f}, max {max(values):.3f}"

    print(f"\n{len(results)} runs of 100 batches × 64 digits on {results[0]['backend']}:")
    print(f"  validation accuracy  {spread('valAccuracy')}")
    print(f"  test accuracy        {spread('testAccuracy')}")
    print(f"  seconds              {spread('trainMs', 1e-3)}")
    print(f"  ms per batch         {spread('msPerBatch')}")
    print(f"  longest frame gap ms {spread('maxGap')}")


if __name__ == "__main__":
    main()
