"""Driving the recognizer's teach panel from Playwright: shared by tests/browser/test_teach.py and
benchmarks/teach_handwriting.py. Drawings are strokes in canvas fractions, drawn by the page's
own pad (`DrawingPad.setStrokes`), so the page computes the model's input itself."""

from __future__ import annotations

#: Every drawing made on the page: the strokes, drawn by the page's own pad, then a prediction.
READ = """async ([strokes]) => {
  const r = document.querySelector(".digit-recognizer").digitRecognizer;
  const answers = [];
  for (const drawing of strokes) {
    r.pad.setStrokes(drawing.map((stroke) => stroke.map(([x, y]) => [x * r.size, y * r.size])));
    await r.update();
    while (r.busy || r.frame !== null) await new Promise((done) => setTimeout(done, 10));
    answers.push(r.lastResult.top);
  }
  return answers;
}"""
TEACH = """async ([strokes, label]) => {
  const r = document.querySelector(".digit-recognizer").digitRecognizer;
  const panel = await r.teachPanel;
  for (const drawing of strokes) {
    r.pad.setStrokes(drawing.map((stroke) => stroke.map(([x, y]) => [x * r.size, y * r.size])));
    await r.update();
    while (r.busy || r.frame !== null) await new Promise((done) => setTimeout(done, 10));
    document.querySelector(`.dr-teach-digit[data-digit="${label}"]`).click();
    while (panel.busy) await new Promise((done) => setTimeout(done, 10));
  }
  return panel.corrections.length;
}"""
#: Click "fine-tune" (or, with settings, call the panel's tune with them), record the gaps
#: between animation frames meanwhile, wait for the result.
TUNE = """async ([settings]) => {
  const panel = await document.querySelector(".digit-recognizer").digitRecognizer.teachPanel;
  const gaps = [];
  let last = performance.now();
  let running = true;
  const tick = (now) => { gaps.push(now - last); last = now; if (running) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  const started = performance.now();
  if (settings) panel.tune(settings); else document.querySelector(".dr-teach-tune").click();
  await new Promise((done) => setTimeout(done, 0));
  while (panel.busy) await new Promise((done) => setTimeout(done, 20));
  running = false;
  return { active: panel.section.dataset.personal === "active", report: panel.lastReport,
           wallMs: performance.now() - started, maxGap: Math.max(...gaps),
           error: panel.section.dataset.error || null, tuneMs: Number(panel.section.dataset.tuneMs) };
}"""


def read(page, drawings) -> list[int]:
    """The page's answer for each drawing."""
    return page.evaluate(READ, [drawings])


def teach(page, drawings, label: int) -> int:
    """Draw each drawing and press `label` in the teach panel; returns the corrections saved."""
    return page.evaluate(TEACH, [drawings, label])


def tune(page, settings: dict | None = None) -> dict:
    """Press "fine-tune" (or tune with fineTune `settings`) and wait: {active, report, wallMs,
    maxGap, error, tuneMs}."""
    return page.evaluate(TUNE, [settings])
