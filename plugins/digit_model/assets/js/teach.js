// The "teach" panel of a recognizer: the reader says what a digit really is, the drawing is kept
// in this browser, and with a few of them the model's output layer is fine-tuned here
// (fine-tune.js) into a personal model that every block of the site then uses
// (personal-model.js). Nothing the reader draws leaves the browser.

import { element, paintValues } from "./dom.js";
import { DrawingPad } from "./drawing-pad.js";
import { fineTune, loadTeachSample } from "./fine-tune.js";
import { t } from "./i18n.js";
import * as personal from "./personal-model.js";
import { inkFromImageData, preprocess } from "./preprocess.js";
import * as store from "./personal-store.js";
import * as siteConfig from "./site-config.js";
import { fetchModelFile, loadModel } from "./tf-runtime.js";

/** Corrections needed before fine-tuning is offered. */
export const MINIMUM_CORRECTIONS = 3;
const percent = (p) => `${(100 * p).toFixed(1)}%`;
let samplePromise = null;
/** How much a redrawn copy of a correction varies: as one hand varies between two drawings. */
const VARIATION = { rotation: 8 * Math.PI / 180, scale: 0.1, aspect: 0.08, slant: 0.1, wobble: 0.01 };

/**
 * A copy of `correction` as the reader might draw it again: its strokes turned, scaled, stretched,
 * slanted and shaken a little, drawn by the page's own pad and preprocessed like any drawing.
 * Null for a correction without strokes (a preset image), which the caller warps instead.
 */
function redrawn(correction, random, pad) {
  const points = correction.strokes?.flat() || [];
  if (!points.length) return null;
  const centre = [0, 1].map((axis) => points.reduce((sum, point) => sum + point[axis], 0) / points.length);
  const turn = (random() - 0.5) * 2 * VARIATION.rotation;
  const scale = 1 + (random() - 0.5) * 2 * VARIATION.scale;
  const aspect = Math.exp((random() - 0.5) * 2 * VARIATION.aspect);
  const slant = (random() - 0.5) * 2 * VARIATION.slant;
  const [cos, sin] = [Math.cos(turn), Math.sin(turn)];
  const size = pad.canvas.width;
  pad.setStrokes(correction.strokes.map((stroke) => stroke.map(([x, y]) => {
    const dx = (x - centre[0]) * scale * aspect + slant * (y - centre[1]);
    const dy = (y - centre[1]) * scale / aspect;
    const shake = () => (random() - 0.5) * 2 * VARIATION.wobble;
    return [(centre[0] + cos * dx - sin * dy + shake()) * size, (centre[1] + sin * dx + cos * dy + shake()) * size];
  })));
  return preprocess(inkFromImageData(pad.imageData()))?.pixels || null;
}

function teachSample() {
  if (!samplePromise) {
    samplePromise = loadTeachSample((name) => fetchModelFile(name));
    samplePromise.catch(() => { samplePromise = null; });
  }
  return samplePromise;
}

export class TeachPanel {
  constructor(recognizer, section) {
    this.recognizer = recognizer;
    this.section = section;
    this.corrections = [];
    this.busy = false;
    this.lastReport = null;
    this.#build();
    recognizer.root.addEventListener("digit-recognizer:update", () => this.#showChoices());
    document.addEventListener("digit-model:personal", () => this.#showPersonal());
    this.ready = this.#refresh();
  }

  #build() {
    this.digitButtons = Array.from({ length: 10 }, (_, digit) => element("button", {
      type: "button", class: "md-button dr-teach-digit", "data-digit": String(digit), text: String(digit),
      "aria-label": t("teach.digit_label", { digit }),
    }));
    this.message = element("p", { class: "dr-teach-message", role: "status", "aria-live": "polite" });
    this.list = element("ul", { class: "dr-teach-list" });
    this.count = element("p", { class: "dr-teach-count" });
    this.tuneButton = element("button", { type: "button", class: "md-button md-button--primary dr-teach-tune", text: t("teach.tune") });
    this.progress = element("progress", { class: "dr-teach-progress", max: "100", value: "0", hidden: "" });
    this.report = element("div", { class: "dr-teach-report" });
    this.personalNote = element("p", { class: "dr-teach-personal" });
    this.siteButton = element("button", { type: "button", class: "md-button", text: t("teach.use_site_model") });
    this.eraseButton = element("button", { type: "button", class: "md-button", text: t("teach.erase") });
    this.section.append(
      element("h4", { text: t("teach.title") }),
      element("p", { class: "dr-teach-ask", text: t("teach.ask") }),
      element("div", { class: "dr-teach-digits" }, ...this.digitButtons),
      this.message, this.count, this.list,
      element("div", { class: "dr-buttons" }, this.tuneButton), this.progress, this.report,
      this.personalNote, element("div", { class: "dr-buttons" }, this.siteButton, this.eraseButton),
      element("p", { class: "dr-hint", text: t("teach.privacy") }),
    );
    this.section.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button || this.busy) return;
      if (button.dataset.digit !== undefined) this.correct(Number(button.dataset.digit));
      else if (button.dataset.remove !== undefined) this.remove(Number(button.dataset.remove));
      else if (button === this.tuneButton) this.tune();
      else if (button === this.siteButton) this.#run(() => personal.useSiteModel(globalThis.tf));
      else if (button === this.eraseButton) this.#run(async () => { await personal.eraseEverything(globalThis.tf); await this.#refresh(); });
    });
    this.#showChoices();
  }

  /** Save the drawing on the pad as digit `label`. */
  async correct(label) {
    const result = this.recognizer.lastResult;
    if (!result) return;
    const size = this.recognizer.size;
    const strokes = this.recognizer.pad.strokes.map((stroke) => stroke.map(({ x, y }) => [x / size, y / size]));
    await this.#run(async () => {
      await store.addCorrection({ pixels: result.pixels, strokes, label, predicted: result.top, modelVersion: siteConfig.modelVersion });
      this.message.textContent = t("teach.saved", { label, predicted: result.top });
      await this.#refresh();
    });
  }

  async remove(id) {
    await this.#run(async () => {
      await store.deleteCorrection(id);
      await this.#refresh();
    });
  }

  /** Fine-tune on every saved correction; show before/after; use the result. `settings` are
   * fineTune's (`steps`, `anchor`): the button uses its defaults, benchmarks may compare others. */
  async tune(settings = {}) {
    if (this.corrections.length < MINIMUM_CORRECTIONS) return;
    await this.#run(async () => {
      const tf = globalThis.tf;
      this.progress.hidden = false;
      this.progress.value = 0;
      this.message.textContent = t("teach.tuning");
      const [{ model }, sample] = await Promise.all([loadModel(), teachSample()]);
      const canvas = element("canvas", { width: String(this.recognizer.size), height: String(this.recognizer.size) });
      const pad = new DrawingPad(canvas, { onChange: () => {} });
      const { weights, report } = await fineTune(tf, model, this.corrections, sample, {
        from: personal.siteOutputWeights(),
        augment: (correction, random) => redrawn(correction, random, pad),
        onProgress: (fraction) => { this.progress.value = Math.round(100 * fraction); },
        ...settings,
      });
      await personal.usePersonal(tf, weights, report);
      this.lastReport = report;
      this.section.dataset.tuneMs = String(report.milliseconds);
      this.message.textContent = t("teach.tuned", { seconds: (report.milliseconds / 1000).toFixed(1) });
      this.progress.hidden = true;
    });
  }

  /** Run `work` with the panel's buttons held; a failure is said in the panel. */
  async #run(work) {
    this.busy = true;
    this.section.dataset.busy = "true";
    try {
      await work();
    } catch (error) {
      this.message.textContent = t("teach.failed", { message: error.message || String(error) });
      this.section.dataset.error = error.message || String(error);
      this.progress.hidden = true;
    } finally {
      this.busy = false;
      delete this.section.dataset.busy;
      this.#showChoices();
    }
  }

  async #refresh() {
    try {
      this.corrections = await store.listCorrections();
    } catch (error) {
      this.corrections = [];
      this.message.textContent = t("teach.no_storage", { message: error.message || String(error) });
    }
    this.list.replaceChildren(...this.corrections.map((correction) => this.#thumbnail(correction)));
    this.count.textContent = t("teach.count", { count: this.corrections.length, minimum: MINIMUM_CORRECTIONS });
    this.section.dataset.corrections = String(this.corrections.length);
    this.#showChoices();
    this.#showPersonal();
  }

  #thumbnail(correction) {
    const canvas = element("canvas", { class: "dr-pixels" });
    paintValues(canvas, correction.pixels, 28, 28);
    return element("li", { class: "dr-teach-item" }, canvas,
      element("span", { text: t("teach.item", { label: correction.label, predicted: correction.predicted }) }),
      element("button", { type: "button", class: "dr-teach-remove", "data-remove": String(correction.id),
        "aria-label": t("teach.remove", { label: correction.label }), text: "×" }));
  }

  /** Digit buttons live only while there is a prediction; the unsure state's second candidate is marked. */
  #showChoices() {
    const result = this.recognizer.lastResult;
    this.digitButtons.forEach((button, digit) => {
      button.disabled = !result || this.busy;
      button.classList.toggle("dr-teach-digit--candidate", Boolean(result?.unsure) && digit === result.second);
    });
    this.tuneButton.disabled = this.busy || this.corrections.length < MINIMUM_CORRECTIONS;
  }

  #showPersonal() {
    const state = personal.personalState();
    this.section.dataset.personal = state.active ? "active" : state.stale ? "stale" : "none";
    this.siteButton.hidden = !state.active;
    this.eraseButton.hidden = !state.active && !state.stale && !this.corrections.length;
    if (state.stale) {
      this.personalNote.textContent = t("teach.stale");
      this.tuneButton.textContent = t("teach.retune");
    } else {
      this.personalNote.textContent = state.active ? t("teach.personal_active") : "";
      this.tuneButton.textContent = t("teach.tune");
    }
    this.report.replaceChildren();
    if (state.active && state.report) this.report.append(this.#reportTable(state.report));
  }

  #reportTable(report) {
    const rows = report.labels.map((label, i) => element("tr", {},
      element("td", { text: String(label) }),
      element("td", { class: report.before[i] === label ? "dr-right" : "dr-wrong", text: String(report.before[i]) }),
      element("td", { class: report.after[i] === label ? "dr-right" : "dr-wrong", text: String(report.after[i]) })));
    const right = (answers) => answers.filter((answer, i) => answer === report.labels[i]).length;
    return element("div", {},
      element("p", { text: t("teach.report_reader", {
        before: right(report.before), after: right(report.after), count: report.labels.length }) }),
      element("p", { class: "dr-teach-mnist", text: t("teach.report_mnist", {
        count: report.holdoutCount.toLocaleString(), before: percent(report.holdoutBefore), after: percent(report.holdoutAfter) }) }),
      report.kept < 1 ? element("p", { class: "dr-teach-kept", text: t("teach.report_kept", {
        share: `${Math.round(100 * report.kept)}%`, count: report.checkCount.toLocaleString() }) }) : "",
      element("table", { class: "dr-teach-table" },
        element("thead", {}, element("tr", {},
          element("th", { text: t("teach.column_label") }), element("th", { text: t("teach.column_before") }),
          element("th", { text: t("teach.column_after") }))),
        element("tbody", {}, ...rows)));
  }
}
