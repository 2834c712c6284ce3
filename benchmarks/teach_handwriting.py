"""Teaching the site's model a reader's handwriting, measured in Chromium on the built site.

    make build && .venv/bin/python benchmarks/teach_handwriting.py [--site site] [--backends cpu wasm]
    .venv/bin/python benchmarks/teach_handwriting.py --anchors 100 300 1000 3000   # choose ANCHOR

For each simulated reader (model_build.mnist.drawn.reader: one person, one habit), in a fresh
browser context on the tool page: the page reads 50 new drawings of that reader, the reader
corrects 5 others, the page fine-tunes, and reads the 50 again. Prints, per reader and backend,
the accuracy on the 50 before and after, the page's own MNIST holdout figure before and after,
the fine-tune time and the longest gap between animation frames while it ran.

`--anchors` is the validation run that chose fine-tune.js's ANCHOR: it tunes with each weight
and prints only validation figures (the check digits, which the page itself uses to limit the
change, and 50 *other* drawings of each reader, drawing seed 3), never the holdout digits or the
drawings the default run reports.

The readers are those the default model misreads most (found with benchmarks/reader_styles.py
on 50 readers per habit) and the tests' reader.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model_build.mnist.drawn.reader import reader_drawings  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, CSP, TOOL_PATH, SiteServer  # noqa: E402
from tests.browser.teaching import read, teach, tune  # noqa: E402

#: (habit, person): each reader's digit is the habit's first character.
READERS = [("7-short-bar", 35), ("9-curved", 43), ("1-flag", 28), ("4-closed-square", 25), ("4-closed-square", 1)]
POLICIES = {"cpu": CSP, "wasm": CSP.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")}
CORRECTION_SEED, TEST_SEED, VALIDATION_SEED = 1, 2, 3


def share(answers: list[int], label: int) -> float:
    return sum(answer == label for answer in answers) / len(answers)


def measure(browser, url: str, backend: str, style: str, person: int, anchor: float | None) -> str:
    """One reader taught on a fresh page: the report line (validation figures only with `anchor`)."""
    label = int(style[0])
    corrections = reader_drawings(style, 5, seed=CORRECTION_SEED, person_seed=person)[1]
    drawing_seed = TEST_SEED if anchor is None else VALIDATION_SEED
    new = reader_drawings(style, 50, seed=drawing_seed, person_seed=person)[1]
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url + TOOL_PATH)
        page.wait_for_selector(".digit-recognizer[data-state=ready]", timeout=60_000)
        actual = page.evaluate("() => document.querySelector('.digit-recognizer').dataset.backend")
        assert actual == backend, f"asked for {backend}, the page runs {actual}"
        before = read(page, new)
        teach(page, corrections, label)
        result = tune(page, None if anchor is None else {"anchor": anchor})
        name = f"{style:<16} p{person:<3} {backend:<5}"
        if result["error"]:
            return f"{name} failed: {result['error']}"
        after = read(page, new)
        report = result["report"]
        if anchor is not None:
            return (f"{anchor:>8g} {name} {share(before, label):>6.0%} → {share(after, label):<5.0%} "
                    f"{report['checkBefore']:>7.2%} → {report['checkAfter']:<7.2%} {report['kept']:>5.0%}")
        return (f"{name} {share(before, label):>6.0%} → {share(after, label):<5.0%} "
                f"{report['holdoutBefore']:>7.2%} → {report['holdoutAfter']:<7.2%} {report['kept']:>5.0%} "
                f"{result['tuneMs']:>7} {result['maxGap']:>8.0f}")
    finally:
        context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="a built site (default: %(default)s)")
    parser.add_argument("--backends", nargs="+", choices=sorted(POLICIES), default=sorted(POLICIES))
    parser.add_argument("--anchors", nargs="+", type=float, help="validation run: tune with each anchor weight")
    args = parser.parse_args()
    if args.anchors:
        print(f"{'anchor':>8} {'reader':<21} {'backend':<5} {'50 other drawings':<15} {'check digits':<17} {'kept':>5}")
    else:
        print(f"{'reader':<21} {'backend':<5} {'50 new drawings':<15} {'MNIST holdout':<17} {'kept':>5} "
              f"{'tune ms':>7} {'max gap ms':>8}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for backend in args.backends:
            server = SiteServer(args.site, csp=POLICIES[backend])
            try:
                for anchor in args.anchors or [None]:
                    for style, person in READERS:
                        print(measure(browser, server.url, backend, style, person, anchor), flush=True)
            finally:
                server.close()
        browser.close()


if __name__ == "__main__":
    main()
