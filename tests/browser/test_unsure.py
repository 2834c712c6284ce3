"""The "not sure" state of the recognizer (issue 13): below a threshold on the top probability,
the block names the two likeliest digits instead of giving one confident answer.

The build chooses the threshold on validation data and the site's model gets it through
site-config.js; these tests drive it deterministically with the block's `data-unsure-below`
attribute (1.01: every answer is unsure; 0: none is), whatever the trained model answers.
"""

from __future__ import annotations

import json

import numpy as np

from plugins.digit_model.runtime import TfjsRuntime, site_config_module

from .conftest import SCREENSHOTS, SEVEN, TOOL_PATH, draw_with_mouse, wait_ready

#: Predict again and wait until no update is running or scheduled; returns lastResult. Polling
#: the recognizer's own flags, never a fixed delay.
SETTLE = """async (r) => {
  await r.update();
  while (r.busy || r.frame !== null) await new Promise((done) => setTimeout(done, 20));
  return r.lastResult;
}"""


def predict_with_threshold(page, value: str | None) -> dict:
    """Set the tool's `data-unsure-below` (None: remove it), predict again, return lastResult."""
    return page.evaluate(
        f"""async (value) => {{
          const root = document.querySelector(".digit-recognizer");
          if (value === null) delete root.dataset.unsureBelow; else root.dataset.unsureBelow = value;
          return ({SETTLE})(root.digitRecognizer);
        }}""",
        value,
    )


def bars(page) -> tuple[np.ndarray, list[str]]:
    """The probability bars as the reader sees them: fill fractions and the printed percentages."""
    fills = page.locator(".dr-bar-fill").evaluate_all("(fills) => fills.map((f) => Number(f.style.getPropertyValue('--p')))")
    return np.array(fills), page.locator(".dr-bar-value").all_inner_texts()


def drawn_seven(open_page):
    page, watch = open_page(TOOL_PATH, viewport={"width": 1280, "height": 900})
    wait_ready(page)
    assert page.evaluate("document.documentElement.lang").startswith("zh")
    draw_with_mouse(page, SEVEN)
    page.wait_for_selector(".digit-recognizer[data-state=predicted]", timeout=30_000)
    return page, watch


def test_site_config_carries_the_threshold_or_null() -> None:
    runtime = TfjsRuntime("assets/digit-model/tfjs/tf.es2017.min.js", None, ())
    module = site_config_module(runtime, "assets/models/digits/", "assets/digit-model/", unsure_below=0.87)
    assert "export const unsureBelow = 0.87;\n" in module
    assert "export const unsureBelow = null;\n" in site_config_module(runtime, "assets/models/digits/", "assets/digit-model/")


def test_below_the_threshold_the_page_names_the_two_likeliest_digits(open_page) -> None:
    page, watch = drawn_seven(open_page)

    result = predict_with_threshold(page, "1.01")  # no probability reaches 1.01: always unsure
    fills, values = bars(page)
    first, second = (int(d) for d in np.argsort(-fills, kind="stable")[:2])
    assert fills[first] > fills[second] and (result["top"], result["second"], result["unsure"]) == (first, second, True)
    page.wait_for_selector(".digit-recognizer.dr-unsure", timeout=30_000)
    label = page.locator(".dr-top-label")
    assert label.inner_text() == f"不太確定：{first} 還是 {second}？"
    assert label.get_attribute("aria-live") == "polite"  # read out by screen readers
    assert page.locator(".dr-candidate").all_inner_texts() == [str(first), str(second)]
    assert page.locator(".dr-top-confidence").inner_text() == f"{first}：{values[first]}，{second}：{values[second]}"
    assert page.locator(".dr-bar-row--top .dr-bar-digit").inner_text() == str(first)
    assert page.locator(".dr-bar-row--candidate .dr-bar-digit").inner_text() == str(second)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".dr-panel--probabilities").screenshot(path=str(SCREENSHOTS / "unsure-zh.png"))

    result = predict_with_threshold(page, "0")  # every probability reaches 0: never unsure
    assert (result["top"], result["unsure"]) == (first, False)
    page.wait_for_selector(".digit-recognizer:not(.dr-unsure)", timeout=30_000)
    assert page.locator(".dr-top-label").inner_text() == "模型認為是"
    assert page.locator(".dr-top-digit").inner_text() == str(first)
    assert page.locator(".dr-top-confidence").inner_text() == f"信心 {values[first]}"
    assert page.locator(".dr-bar-row--candidate").count() == 0

    predict_with_threshold(page, "1.01")
    page.locator("[data-action=clear]").click()  # an empty pad is neither sure nor unsure
    page.wait_for_selector(".digit-recognizer:not(.dr-unsure)", timeout=30_000)
    assert page.locator(".dr-top-label").inner_text() == "模型認為是"
    assert not watch.errors


def test_without_the_attribute_the_site_model_follows_the_builds_threshold(open_page, example_site) -> None:
    metrics = json.loads((example_site / "assets/models/digits/metrics.json").read_text(encoding="utf-8"))
    # Models built before calibration have no such section: they never say "not sure".
    expected = (metrics.get("calibration") or {}).get("unsure_below")
    page, watch = drawn_seven(open_page)
    config = page.evaluate(
        """async () => {
          const config = await import(new URL("../../assets/digit-model/js/site-config.js", location.href).href);
          return { has: "unsureBelow" in config, value: config.unsureBelow ?? null,
                   recognizer: document.querySelector(".digit-recognizer").digitRecognizer.unsureBelow ?? null };
        }"""
    )
    assert config == {"has": True, "value": expected, "recognizer": expected}

    result = predict_with_threshold(page, None)
    top_probability = result["probabilities"][result["top"]]
    unsure = expected is not None and top_probability < expected
    assert result["unsure"] is unsure
    assert page.locator(".digit-recognizer.dr-unsure").count() == int(unsure)
    assert not watch.errors


def test_models_passed_by_the_page_are_never_unsure_unless_asked(open_page) -> None:
    """The tutorial's recognizer gets its models through `loadModel`: no threshold applies to
    them unless given as an option or an attribute (here the site's model stands in for one)."""
    page, watch = drawn_seven(open_page)
    results = page.evaluate(
        f"""async () => {{
          const {{ Recognizer }} = await import(new URL("../../assets/digit-model/js/recognizer.js", location.href).href);
          const site = document.querySelector(".digit-recognizer").digitRecognizer;
          const pixels = site.lastResult.pixels;
          const loadModel = async () => ({{ model: site.model, backend: site.backend }});
          const make = async (options, attribute) => {{
            const root = document.createElement("div");
            if (attribute !== undefined) root.dataset.unsureBelow = attribute;
            document.body.append(root);
            const r = new Recognizer(root, {{ loadModel, ...options }});
            await r.ready;
            await r.showDigit(pixels);
            const result = await ({SETTLE})(r);
            return {{ threshold: r.unsureBelow, unsure: result.unsure, shown: root.classList.contains("dr-unsure") }};
          }};
          return [await make({{}}), await make({{ unsureBelow: 1.01 }}), await make({{}}, "1.01")];
        }}"""
    )
    assert results == [
        {"threshold": None, "unsure": False, "shown": False},
        {"threshold": 1.01, "unsure": True, "shown": True},
        {"threshold": None, "unsure": True, "shown": True},
    ]
    assert not watch.errors
