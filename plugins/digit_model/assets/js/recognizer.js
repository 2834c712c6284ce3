// One live digit recognizer inside a `.digit-recognizer` element: drawing pad → preprocessing
// → prediction → saliency, and the panels that show them. Every recognizer on a page shares
// one TF.js runtime and one model (tf-runtime.js).

import { element, paintValues } from "./dom.js";
import { DrawingPad } from "./drawing-pad.js";
import { t } from "./i18n.js";
import { inkFromImageData, preprocess, SIZE } from "./preprocess.js";
import { personalState } from "./personal-model.js";
import { predictWithSaliency, saliencyMap } from "./saliency.js";
import * as siteConfig from "./site-config.js";
import { loadModel, upgradeBackend } from "./tf-runtime.js";

export const PANELS = ["canvas", "steps", "input", "probabilities", "saliency", "teach"];

const percent = (p) => `${(100 * p).toFixed(1)}%`;

// Saliency colours: black → red → yellow → white. The 1.5 power keeps the strongest pixels
// bright and lets the faint gradient everywhere else recede.
function heat(value) {
  const v = Math.pow(value, 1.5);
  return [255 * Math.min(1, 3 * v), 255 * Math.min(1, Math.max(0, 3 * v - 1)), 255 * Math.max(0, 3 * v - 2), 255 * Math.min(1, 2 * v)];
}

export class Recognizer {
  /**
   * `options.loadModel(onProgress)` supplies the model (default: the site's model, shared by
   * every recognizer on the page); it resolves to `{ model, backend }`.
   *
   * `options.unsureBelow`: below this top probability the block says it is not sure and shows
   * the two likeliest digits instead of one answer; null: never. Default: the threshold the
   * build chose for the site's model (site-config.js, null for models built before it), and
   * null for a model from `options.loadModel`, whose probabilities nobody calibrated. A
   * `data-unsure-below` attribute on the element overrides both; it is read at every
   * prediction, so a page (or a test) can change it on a live block.
   */
  constructor(root, options = {}) {
    this.root = root;
    this.loadModel = options.loadModel || ((onProgress) => loadModel(undefined, onProgress));
    // The tutorial's blocks bring models of their own: no personal model, nothing to teach.
    this.loadsOwnModel = Boolean(options.loadModel);
    this.unsureBelow = "unsureBelow" in options ? options.unsureBelow : options.loadModel ? null : siteConfig.unsureBelow;
    const panels = (root.dataset.panels || PANELS.join(" ")).split(/[\s,]+/).filter(Boolean);
    this.panels = new Set(panels);
    this.method = root.dataset.saliency === "smoothgrad" ? "smoothgrad" : "gradient";
    this.size = Number(root.dataset.size) || 280;
    root.style.setProperty("--dr-size", `${this.size}px`);
    this.model = null;
    this.frame = null;
    this.busy = false;
    this.dirty = false;
    this.lastResult = null;
    this.#build();
    this.pad = new DrawingPad(this.canvas, { onChange: () => this.schedule() });
    // A reader who draws gets the faster backend (fetched now, not on arrival); every block
    // on the page shares it (a no-op with the full library, which starts on its fastest).
    this.canvas.addEventListener("pointerdown", () => upgradeBackend(), { once: true });
    document.addEventListener("digit-model:backend", (event) => { if (this.model) this.#showBackend(event.detail); });
    this.#setState("loading", t("recognizer.loading"));
    this.presetShown = this.#showPreset(root.dataset);
    this.ready = this.#load();
  }

  /** Start from the block's preset drawing, if it has one (the reader can redraw it). */
  async #showPreset({ presetPixels, presetStrokes }) {
    if (presetPixels) {
      const grey = Uint8Array.from(atob(presetPixels), (c) => c.charCodeAt(0));
      await this.showDigit(Float32Array.from(grey, (v) => v / 255));
    } else if (presetStrokes) {
      // Strokes are written in fractions of the canvas, so they fit any `size`.
      this.pad.setStrokes(JSON.parse(presetStrokes).map((stroke) => stroke.map(([x, y]) => [x * this.size, y * this.size])));
    }
  }

  /** Draw a 28×28 digit (row-major values in 0–1, white ink) as the canvas content. */
  async showDigit(values) {
    const image = new ImageData(SIZE, SIZE);
    values.forEach((value, i) => image.data.set([255, 255, 255, Math.round(255 * value)], i * 4));
    this.pad.setImage(await createImageBitmap(image));
  }

  #build() {
    this.root.replaceChildren();
    this.root.classList.add("dr");
    this.status = element("p", { class: "dr-status", role: "status", "aria-live": "polite" });
    this.progress = element("progress", { class: "dr-progress", max: "100", value: "0" });
    this.canvas = element("canvas", { class: "dr-canvas", width: String(this.size), height: String(this.size), tabindex: "0", "aria-label": t("recognizer.canvas_label") });
    this.overlay = element("canvas", { class: "dr-overlay", width: String(this.size), height: String(this.size), "aria-hidden": "true" });
    const grid = element("div", { class: "dr-grid" });

    const canvasPanel = element("section", { class: "dr-panel dr-panel--canvas" },
      element("div", { class: "dr-canvas-wrap" }, this.canvas, this.overlay));
    const buttons = element("div", { class: "dr-buttons" },
      element("button", { type: "button", class: "md-button", "data-action": "undo", text: t("recognizer.undo") }),
      element("button", { type: "button", class: "md-button", "data-action": "clear", text: t("recognizer.clear") }));
    this.overlayToggle = element("input", { type: "checkbox", checked: "" });
    canvasPanel.append(buttons, element("label", { class: "dr-toggle" }, this.overlayToggle, ` ${t("recognizer.overlay")}`),
      element("p", { class: "dr-hint", text: t("recognizer.keys") }));
    if (!this.panels.has("canvas")) canvasPanel.hidden = true;
    grid.append(canvasPanel);

    // The label is a live region: it changes only between "the model reads" and the "not sure"
    // sentence, so a screen reader hears the doubt without hearing every confident redraw.
    this.topLabel = element("span", { class: "dr-top-label", "aria-live": "polite", text: t("recognizer.top") });
    this.topDigit = element("span", { class: "dr-top-digit", text: "–" });
    this.topConfidence = element("span", { class: "dr-top-confidence", text: t("recognizer.empty") });
    this.bars = element("ol", { class: "dr-bars", start: "0" });
    this.barRows = Array.from({ length: 10 }, (_, digit) => {
      const fill = element("span", { class: "dr-bar-fill" });
      const value = element("span", { class: "dr-bar-value", text: "" });
      const row = element("li", { class: "dr-bar-row" }, element("span", { class: "dr-bar-digit", text: String(digit) }),
        element("span", { class: "dr-bar" }, fill), value);
      this.bars.append(row);
      return { row, fill, value };
    });
    const result = element("section", { class: "dr-panel dr-panel--probabilities" },
      element("p", { class: "dr-top" }, this.topLabel, this.topDigit, this.topConfidence),
      this.bars);
    if (!this.panels.has("probabilities")) result.hidden = true;
    grid.append(result);

    this.stepCanvases = {};
    const steps = element("section", { class: "dr-panel dr-panel--steps" }, element("h4", { text: t("recognizer.steps") }));
    const stepRow = element("div", { class: "dr-steps" });
    const stepLabels = [["box", t("recognizer.step_box")], ["scaled", t("recognizer.step_scaled")],
      ["placed", t("recognizer.step_placed")], ["centred", t("recognizer.step_centred")]];
    for (const [key, label] of stepLabels) {
      this.stepCanvases[key] = element("canvas", { class: "dr-pixels", width: String(SIZE), height: String(SIZE) });
      stepRow.append(element("figure", {}, this.stepCanvases[key], element("figcaption", { text: label })));
    }
    steps.append(stepRow);
    if (!this.panels.has("steps")) steps.hidden = true;
    grid.append(steps);

    this.inputCanvas = element("canvas", { class: "dr-pixels dr-input", width: String(SIZE), height: String(SIZE) });
    const input = element("section", { class: "dr-panel dr-panel--input" },
      element("figure", {}, this.inputCanvas, element("figcaption", { text: t("recognizer.input") })));
    if (!this.panels.has("input")) input.hidden = true;
    grid.append(input);

    this.saliencyCanvas = element("canvas", { class: "dr-pixels dr-saliency", width: String(SIZE), height: String(SIZE) });
    this.methodSelect = element("select", { "aria-label": t("recognizer.method") },
      element("option", { value: "gradient", text: t("recognizer.gradient") }), element("option", { value: "smoothgrad", text: t("recognizer.smoothgrad") }));
    this.methodSelect.value = this.method;
    const saliency = element("section", { class: "dr-panel dr-panel--saliency" },
      element("figure", {}, this.saliencyCanvas, element("figcaption", { text: t("recognizer.saliency") })), this.methodSelect);
    if (!this.panels.has("saliency")) {
      saliency.hidden = true;
      this.overlayToggle.parentElement.hidden = true;
    }
    grid.append(saliency);

    // Teaching the model the reader's handwriting: its code loads only where the panel is shown.
    const teach = element("section", { class: "dr-panel dr-panel--teach" });
    if (this.panels.has("teach") && !this.loadsOwnModel) {
      this.teachPanel = import("./teach.js").then(({ TeachPanel }) => new TeachPanel(this, teach));
    } else {
      teach.hidden = true;
    }
    grid.append(teach);

    this.personalBadge = element("p", { class: "dr-personal", hidden: "", text: t("recognizer.personal") });
    this.backendNote = element("p", { class: "dr-backend" });
    this.root.append(this.status, this.progress, this.personalBadge, grid, this.backendNote);
    document.addEventListener("digit-model:personal", () => {
      this.#showPersonal();
      this.schedule();
    });

    this.root.addEventListener("click", (event) => {
      const action = event.target.closest("[data-action]")?.dataset.action;
      if (action === "undo") this.pad.undo();
      if (action === "clear") this.pad.clear();
    });
    this.root.addEventListener("keydown", (event) => {
      if (event.target.matches("select, input, textarea")) return;
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
        event.preventDefault();
        this.pad.undo();
      } else if (event.key === "Escape" || event.key === "Delete") {
        this.pad.clear();
      }
    });
    this.overlayToggle.addEventListener("change", () => this.schedule());
    this.methodSelect.addEventListener("change", () => {
      this.method = this.methodSelect.value;
      this.schedule();
    });
  }

  async #load() {
    try {
      const { model, backend } = await this.loadModel((fraction) => {
        this.progress.value = Math.round(100 * fraction);
        this.status.textContent = t("recognizer.loading_progress", { percent: Math.round(100 * fraction) });
      });
      this.setModel(model, backend);
      // Milliseconds from navigation to a usable model (read by the browser benchmark).
      this.root.dataset.readyMs = String(Math.round(performance.now()));
      performance.mark("digit-model:ready");
    } catch (error) {
      this.progress.hidden = true;
      this.#setState("error", this.#failureText(error));
      this.root.dataset.error = error.message || String(error);
    }
  }

  /** The reader's sentence for a failed model load (tf-runtime's ModelLoadError names the file). */
  #failureText(error) {
    const failed = (message) => t("recognizer.failed", { message });
    if (error.reason === "http") return failed(t("recognizer.failed_status", { file: error.file, status: error.status }));
    if (error.reason === "network") return t("recognizer.failed_offline", { file: error.file });
    if (error.reason === "mismatch") return failed(t("recognizer.failed_mismatch", { file: error.file }));
    return failed(error.message || String(error));
  }

  /** Predict with `model` from now on (the tutorial swaps in each model the reader trains). */
  setModel(model, backend) {
    this.model = model;
    this.progress.hidden = true;
    this.#showBackend(backend);
    this.#showPersonal();
    this.#setState("ready", t("recognizer.ready"));
    this.schedule();
  }

  #showBackend(backend) {
    this.backend = backend;
    this.backendNote.textContent = t("recognizer.backend", { backend });
    this.root.dataset.backend = backend;
  }

  /** The mark that says the reader's personal model answers here (the site's model otherwise). */
  #showPersonal() {
    const active = !this.loadsOwnModel && this.model !== null && personalState().active;
    this.personalBadge.hidden = !active;
    this.root.dataset.personal = active ? "active" : "none";
  }

  #setState(state, message) {
    this.root.dataset.state = state;
    this.status.textContent = message;
    this.status.classList.toggle("dr-status--error", state === "error");
  }

  /** Ask for an update on the next animation frame (at most one per frame). */
  schedule() {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.update();
    });
  }

  async update() {
    if (this.busy) {
      this.dirty = true;
      return;
    }
    this.busy = true;
    try {
      do {
        this.dirty = false;
        await this.#run();
      } while (this.dirty);
    } finally {
      this.busy = false;
    }
  }

  async #run() {
    const steps = preprocess(inkFromImageData(this.pad.imageData()));
    this.#clearOverlay();
    if (!steps) {
      this.#showEmpty();
      return;
    }
    this.#showSteps(steps);
    paintValues(this.inputCanvas, steps.pixels, SIZE, SIZE);
    if (!this.model) return;

    const tf = globalThis.tf;
    const started = performance.now();
    const input = tf.tensor4d(steps.pixels, [1, SIZE, SIZE, 1]);
    try {
      // The default saliency method shares the prediction's forward pass; SmoothGrad (a batch of
      // noisy copies) and a block without the saliency panel predict on their own.
      const fused = this.panels.has("saliency") && this.method === "gradient";
      let probabilities;
      let saliency = null;
      if (fused) {
        ({ probabilities, map: saliency } = await predictWithSaliency(tf, this.model, input));
      } else {
        const output = tf.tidy(() => this.model.predict(input));
        probabilities = await output.data();
        output.dispose();
      }
      let top = 0;
      for (let d = 1; d < 10; d += 1) if (probabilities[d] > probabilities[top]) top = d;
      let second = top === 0 ? 1 : 0;
      for (let d = 0; d < 10; d += 1) if (d !== top && probabilities[d] > probabilities[second]) second = d;
      const threshold = this.#unsureThreshold();
      const unsure = threshold !== null && probabilities[top] < threshold;
      if (this.panels.has("saliency") && !fused) {
        saliency = await saliencyMap(tf, this.model, input, top, this.method);
      }
      const milliseconds = performance.now() - started;
      this.#showPrediction(probabilities, top, unsure ? second : null);
      if (saliency) this.#showSaliency(saliency, steps);
      this.lastResult = { probabilities: Array.from(probabilities), top, second, unsure, pixels: Array.from(steps.pixels), saliency: saliency && Array.from(saliency), milliseconds };
      this.root.dataset.state = "predicted";
      this.root.dispatchEvent(new CustomEvent("digit-recognizer:update", { detail: this.lastResult }));
    } finally {
      input.dispose();
    }
  }

  /** The threshold in force: the element's data-unsure-below if it is a number, else the option's. */
  #unsureThreshold() {
    const attribute = this.root.dataset.unsureBelow;
    const fromAttribute = attribute === undefined || attribute.trim() === "" ? NaN : Number(attribute);
    const value = Number.isFinite(fromAttribute) ? fromAttribute : this.unsureBelow;
    return typeof value === "number" && Number.isFinite(value) ? value : null;
  }

  #showEmpty() {
    this.lastResult = null;
    if (this.model) this.#setState("ready", t("recognizer.ready"));
    this.root.classList.remove("dr-unsure");
    this.topLabel.textContent = t("recognizer.top");
    this.topDigit.textContent = "–";
    this.topConfidence.textContent = t("recognizer.empty");
    for (const { row, fill, value } of this.barRows) {
      fill.style.setProperty("--p", "0");
      value.textContent = "";
      row.classList.remove("dr-bar-row--top", "dr-bar-row--candidate");
    }
    for (const canvas of [this.inputCanvas, this.saliencyCanvas, ...Object.values(this.stepCanvases)]) {
      paintValues(canvas, new Float32Array(SIZE * SIZE), SIZE, SIZE);
    }
  }

  #showSteps(steps) {
    if (!this.panels.has("steps")) return;
    const { box, scaled } = steps;
    // ① the drawing with its box, shrunk to a 28-pixel-wide thumbnail
    const boxCanvas = this.stepCanvases.box;
    boxCanvas.width = SIZE;
    boxCanvas.height = SIZE;
    const context = boxCanvas.getContext("2d");
    context.fillStyle = "#000";
    context.fillRect(0, 0, SIZE, SIZE);
    context.drawImage(this.canvas, 0, 0, SIZE, SIZE);
    context.strokeStyle = "#ff7043";
    context.lineWidth = 1;
    const k = SIZE / this.size;
    context.strokeRect(box.x * k, box.y * k, box.width * k, box.height * k);
    // ② the resampled box, shown on a 20×20 square so its kept aspect ratio is visible
    const square = new Float32Array(20 * 20);
    const dx = Math.floor((20 - scaled.width) / 2);
    const dy = Math.floor((20 - scaled.height) / 2);
    for (let y = 0; y < scaled.height; y += 1) {
      for (let x = 0; x < scaled.width; x += 1) square[(dy + y) * 20 + dx + x] = scaled.pixels[y * scaled.width + x];
    }
    paintValues(this.stepCanvases.scaled, square, 20, 20);
    paintValues(this.stepCanvases.placed, steps.placed, SIZE, SIZE);
    paintValues(this.stepCanvases.centred, steps.pixels, SIZE, SIZE);
  }

  /** One answer, or (`second` not null: the model is not sure) the two likeliest digits. */
  #showPrediction(probabilities, top, second) {
    const unsure = second !== null;
    this.root.classList.toggle("dr-unsure", unsure);
    if (unsure) {
      this.topLabel.textContent = t("recognizer.unsure", { first: top, second });
      this.topDigit.replaceChildren(
        element("span", { class: "dr-candidate", text: String(top) }),
        element("span", { class: "dr-candidate-or", "aria-hidden": "true", text: "/" }),
        element("span", { class: "dr-candidate", text: String(second) }));
      this.topConfidence.textContent = t("recognizer.candidates", {
        first: top, first_percent: percent(probabilities[top]), second, second_percent: percent(probabilities[second]),
      });
    } else {
      this.topLabel.textContent = t("recognizer.top");
      this.topDigit.textContent = String(top);
      this.topConfidence.textContent = t("recognizer.confidence", { percent: percent(probabilities[top]) });
    }
    this.barRows.forEach(({ row, fill, value }, digit) => {
      fill.style.setProperty("--p", String(probabilities[digit]));
      value.textContent = percent(probabilities[digit]);
      row.classList.toggle("dr-bar-row--top", digit === top);
      row.classList.toggle("dr-bar-row--candidate", digit === second);
      row.setAttribute("aria-label", t("recognizer.probability", { digit, percent: percent(probabilities[digit]) }));
    });
  }

  #showSaliency(saliency, steps) {
    // The heat over a dim copy of the input, so the map reads as "on the digit".
    paintValues(this.saliencyCanvas, saliency, SIZE, SIZE, (value, i) => {
      const [r, g, b, a] = heat(value);
      const alpha = a / 255;
      const grey = 70 * steps.pixels[i] * (1 - alpha);
      return [r * alpha + grey, g * alpha + grey, b * alpha + grey, 255];
    });
    if (this.overlayToggle.checked) {
      const heatOnly = document.createElement("canvas");
      paintValues(heatOnly, saliency, SIZE, SIZE, heat);
      const overlay = this.overlay.getContext("2d");
      overlay.imageSmoothingEnabled = true;
      overlay.globalAlpha = 0.75;
      overlay.drawImage(heatOnly, steps.frame.x, steps.frame.y, steps.frame.width, steps.frame.height);
      overlay.globalAlpha = 1;
    }
  }

  #clearOverlay() {
    this.overlay.getContext("2d").clearRect(0, 0, this.overlay.width, this.overlay.height);
  }
}

/** Mount a recognizer once per element (`options`: see the Recognizer constructor). */
export function mountRecognizer(root, options) {
  if (!root.digitRecognizer) root.digitRecognizer = new Recognizer(root, options);
  return root.digitRecognizer;
}
