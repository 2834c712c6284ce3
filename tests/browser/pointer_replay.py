"""Recorded strokes replayed on the tool page's drawing pad as pointer input, and what the page made of them.

Two ways to drive the pad, for `benchmarks/drawn_replay.py` and `test_drawn_replay.py`:

- `replay_with_mouse`: Playwright's `page.mouse` through every point — real input events, the
  reference, but one CDP round trip per point and the page predicting between them (~5 s a digit);
- `replay_with_events`: the same points as `PointerEvent`s dispatched on the canvas inside the
  page, a batch of digits per call (~40 digits/s). The events carry what a real mouse's carry
  (pointerId 1 = Chromium's mouse, button/buttons, clientX/clientY) and go through the pad's own
  listeners, so the pad records them as a reader's drawing; their coordinates are rounded to
  float32 as Chromium's input pipeline rounds a real pointer's, so both ways give the pad the
  same numbers. `same_replay` checks that on a sample, point for point and pixel for pixel.

Either way the pad is cleared first, and the page's answer is read once it has settled: the
update the last event scheduled (next animation frame) has run and none is pending.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass

import numpy as np

#: `settledResult(r)`: the recognizer's answer for the pad's drawing, with the pad's recorded
#: strokes and the page's own preprocessing geometry (box on the canvas, scaled size, shift).
_SETTLED_RESULT = """
const preprocessModule = import(new URL('../../assets/digit-model/js/preprocess.js', location.href).href);
const base64Floats = (values) => {
  const bytes = new Uint8Array(Float32Array.from(values).buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 1) binary += String.fromCharCode(bytes[i]);
  return btoa(binary);
};
async function settledResult(r) {
  do { await new Promise((resolve) => requestAnimationFrame(resolve)); } while (r.busy || r.frame !== null);
  const { preprocess, inkFromImageData } = await preprocessModule;
  const steps = preprocess(inkFromImageData(r.pad.imageData()));
  const result = r.lastResult;
  return {top: result.top, probabilities: base64Floats(result.probabilities), pixels: base64Floats(result.pixels),
          strokes: r.pad.strokes.map((stroke) => base64Floats(stroke.flatMap((p) => [p.x, p.y]))),
          box: [steps.box.x, steps.box.y, steps.box.width, steps.box.height], shift: [steps.shift.x, steps.shift.y]};
}
"""

#: Where the canvas is, once scrolled into view, and whether a pointer there reaches it.
GEOMETRY = """() => {
  const r = document.querySelector('.digit-recognizer').digitRecognizer;
  const canvas = r.pad.canvas;
  canvas.scrollIntoView({block: 'center', inline: 'center'});
  const rect = canvas.getBoundingClientRect();
  // What a pointer near the corners and at the centre hits (a sticky header? the overlay?).
  // 10 px in: the canvas's corners are rounded (6 px) and no stroke comes that close to an edge.
  const probes = [[10, 10], [rect.width - 10, 10], [10, rect.height - 10], [rect.width - 10, rect.height - 10],
                  [rect.width / 2, rect.height / 2]];
  const reachable = probes.every(([x, y]) => document.elementFromPoint(rect.left + x, rect.top + y) === canvas);
  return {left: rect.left, top: rect.top, width: rect.width, height: rect.height, canvasWidth: canvas.width,
          canvasHeight: canvas.height, reachable, devicePixelRatio: window.devicePixelRatio,
          backend: r.root.dataset.backend};
}"""

_CLEAR = "() => document.querySelector('.digit-recognizer').digitRecognizer.pad.clear()"

_READ = f"""async () => {{
  {_SETTLED_RESULT}
  return settledResult(document.querySelector('.digit-recognizer').digitRecognizer);
}}"""

_DRAW_EVENTS = f"""async (digits) => {{
  {_SETTLED_RESULT}
  const r = document.querySelector('.digit-recognizer').digitRecognizer;
  const canvas = r.pad.canvas;
  const rect = canvas.getBoundingClientRect();
  const sx = rect.width / canvas.width, sy = rect.height / canvas.height;
  // As a real mouse: pointerId 1, button 0 to press and release, −1 while moving; coordinates
  // in float32, as Chromium's input pipeline hands a real pointer's to the page.
  const fire = (type, [x, y], button, buttons) => canvas.dispatchEvent(new PointerEvent(type, {{
    pointerId: 1, pointerType: 'mouse', isPrimary: true, button, buttons, pressure: buttons ? 0.5 : 0,
    clientX: Math.fround(rect.left + x * sx), clientY: Math.fround(rect.top + y * sy), view: window,
    bubbles: true, cancelable: true, composed: true}}));
  const results = [];
  for (const strokes of digits) {{
    r.pad.clear();
    for (const stroke of strokes) {{
      fire('pointerdown', stroke[0], 0, 1);
      for (const point of stroke.slice(1)) fire('pointermove', point, -1, 1);
      fire('pointerup', stroke[stroke.length - 1], 0, 0);
    }}
    results.push(await settledResult(r));
  }}
  return results;
}}"""

#: Digits per `page.evaluate` call when dispatching PointerEvents in the page.
EVENTS_BATCH = 50

Strokes = list[np.ndarray]  # one digit: (k, 2) arrays of canvas pixels, in drawing order


@dataclass
class Replay:
    """What the page did with each replayed digit."""

    top: np.ndarray  # (N,) the page's answer
    probabilities: np.ndarray  # (N, 10) float32, as the page computed them
    pixels: np.ndarray  # (N, 28, 28) float32: the input the page fed its model
    recorded: list[Strokes]  # the points the pad recorded, in canvas pixels
    box: np.ndarray  # (N, 4) the page's bounding box on the canvas: x, y, width, height
    shift: np.ndarray  # (N, 2) the page's centre-of-mass shift
    seconds: float

    def pick(self, indices) -> Replay:
        """The digits at `indices` (the time is the whole replay's)."""
        indices = np.asarray(indices)
        return Replay(self.top[indices], self.probabilities[indices], self.pixels[indices],
                      [self.recorded[i] for i in indices], self.box[indices], self.shift[indices], self.seconds)

    def recording_error(self, replayed: list[Strokes]) -> np.ndarray:
        """(N,) largest |recorded − replayed| coordinate per digit, inf where the pad got another number of points."""
        errors = []
        for recorded, strokes in zip(self.recorded, replayed):
            if [len(s) for s in recorded] != [len(s) for s in strokes]:
                errors.append(np.inf)
            else:
                errors.append(max(float(np.abs(a - b).max()) for a, b in zip(recorded, strokes)))
        return np.array(errors)


def _floats(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), np.float32)


def _replay(results: list[dict], seconds: float) -> Replay:
    return Replay(
        top=np.array([r["top"] for r in results], np.int64),
        probabilities=np.stack([_floats(r["probabilities"]) for r in results]),
        pixels=np.stack([_floats(r["pixels"]).reshape(28, 28) for r in results]),
        recorded=[[_floats(s).astype(np.float64).reshape(-1, 2) for s in r["strokes"]] for r in results],
        box=np.array([r["box"] for r in results], np.int64),
        shift=np.array([r["shift"] for r in results], np.int64),
        seconds=seconds,
    )


def canvas_geometry(page) -> dict:
    """Scroll the canvas into view; its client rect, drawing size, and whether pointers reach it."""
    return page.evaluate(GEOMETRY)


def replay_with_mouse(page, geometry: dict, digits: list[Strokes]) -> Replay:
    """Real input: `page.mouse` down, through every point and up, stroke after stroke (canvas → CSS pixels by
    the canvas's client rect)."""
    origin = np.array([geometry["left"], geometry["top"]])
    scale = np.array([geometry["width"] / geometry["canvasWidth"], geometry["height"] / geometry["canvasHeight"]])
    results = []
    started = time.perf_counter()
    for strokes in digits:
        page.evaluate(_CLEAR)
        for stroke in strokes:
            points = origin + np.asarray(stroke, np.float64) * scale
            page.mouse.move(*points[0])
            page.mouse.down()
            for x, y in points[1:]:
                page.mouse.move(x, y)
            page.mouse.up()
        results.append(page.evaluate(_READ))
    return _replay(results, time.perf_counter() - started)


def replay_with_events(page, digits: list[Strokes]) -> Replay:
    """The same points as PointerEvents dispatched on the canvas, EVENTS_BATCH digits per call."""
    results = []
    started = time.perf_counter()
    for start in range(0, len(digits), EVENTS_BATCH):
        batch = [[np.asarray(stroke, np.float64).tolist() for stroke in strokes]
                 for strokes in digits[start : start + EVENTS_BATCH]]
        results += page.evaluate(_DRAW_EVENTS, batch)
    return _replay(results, time.perf_counter() - started)


def same_replay(a: Replay, b: Replay) -> list[str]:
    """How two replays of the same digits differ: empty when the pad recorded the same points and the
    page gave the same answers, probabilities and inputs, digit for digit."""
    problems = []
    same_points = (len(x) == len(y) and all(np.array_equal(s, t) for s, t in zip(x, y)) for x, y in zip(a.recorded, b.recorded))
    if not all(same_points):
        problems.append("the pad recorded different points")
    if not np.array_equal(a.top, b.top):
        problems.append(f"answers differ on {int((a.top != b.top).sum())} digits")
    if not np.array_equal(a.pixels, b.pixels):
        problems.append(f"inputs differ by up to {float(np.abs(a.pixels - b.pixels).max()):.3g}")
    if not np.array_equal(a.probabilities, b.probabilities):
        problems.append(f"probabilities differ by up to {float(np.abs(a.probabilities - b.probabilities).max()):.3g}")
    return problems
