// The confusion explorer (a ```digit-confusion block): the build's real confusion matrix, whose
// mistake cells show the test digits the model actually got wrong (from the test sample the
// build ships next to the model), and a live recognizer to load any of them into.

import { paintValues } from "./dom.js";
import { t } from "./i18n.js";
import { mountRecognizer } from "./recognizer.js";
import { loadSprite } from "./sprite.js";
import { modelFileUrl } from "./tf-runtime.js";

const SIZE = 28;

let samplePromise = null;

/** The build's test sample (description + pixels), fetched once per page on first use. */
function loadSample() {
  if (!samplePromise) {
    samplePromise = (async () => {
      // The sample is written next to the model's files, and versioned with them.
      const url = new URL(modelFileUrl("test-sample.json"));
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
      const description = await response.json();
      const sprite = await loadSprite(modelFileUrl(description.png));
      return { description, sprite };
    })();
    samplePromise.catch(() => { samplePromise = null; }); // allow a retry
  }
  return samplePromise;
}

class ConfusionExplorer {
  constructor(root) {
    this.root = root;
    this.detail = root.querySelector(".dc-detail");
    this.live = root.querySelector(".dc-recognizer");
    root.addEventListener("click", (event) => {
      const cell = event.target.closest(".dc-cell");
      if (cell) this.select(Number(cell.dataset.true), Number(cell.dataset.predicted), cell);
      const digit = event.target.closest(".dc-digit");
      if (digit) this.load(Number(digit.dataset.index));
    });
    root.dataset.state = "ready";
  }

  /** Show the sampled mistakes "true digit read as predicted", and load the first one. */
  async select(truth, predicted, cell) {
    for (const other of this.root.querySelectorAll(".dc-cell[aria-pressed]")) other.removeAttribute("aria-pressed");
    cell.setAttribute("aria-pressed", "true");
    this.detail.replaceChildren(Object.assign(document.createElement("p"), { textContent: t("confusion.loading") }));
    let sample;
    try {
      sample = await loadSample();
    } catch (error) {
      this.root.dataset.state = "error";
      this.detail.replaceChildren(Object.assign(document.createElement("p"), {
        className: "dr-status dr-status--error", textContent: t("confusion.failed", { message: error.message || String(error) }),
      }));
      return;
    }
    this.sample = sample;
    const { description } = sample;
    const rows = description.indices
      .map((index, row) => ({ index, row, label: description.labels[row], predicted: description.predicted[row], confidence: description.confidence[row] }))
      .filter((digit) => digit.label === truth && digit.predicted === predicted);
    const caption = document.createElement("p");
    caption.textContent = rows.length ? t("confusion.caption", { truth, predicted, count: rows.length }) : t("confusion.none");
    if (description.mistakes_included < description.mistakes_total) caption.textContent += t("confusion.truncated", { count: description.mistakes_included });
    const list = document.createElement("div");
    list.className = "dc-digits";
    for (const digit of rows) {
      const canvas = document.createElement("canvas");
      canvas.className = "dr-pixels";
      paintValues(canvas, sample.sprite.pixels.subarray(digit.row * SIZE * SIZE, (digit.row + 1) * SIZE * SIZE), SIZE, SIZE);
      const label = t("confusion.digit", { index: digit.index, confidence: `${(100 * digit.confidence).toFixed(1)}%` });
      const button = Object.assign(document.createElement("button"), { type: "button", className: "dc-digit", title: label });
      button.dataset.index = String(digit.index);
      button.setAttribute("aria-label", label);
      button.append(canvas, Object.assign(document.createElement("span"), { textContent: `#${digit.index}` }));
      list.append(button);
    }
    this.detail.replaceChildren(caption, list);
    this.root.dataset.selected = `${truth}-${predicted}`;
    if (rows.length) await this.load(rows[0].index);
  }

  /** Put test digit `index` (from the sample) into the live recognizer. */
  async load(index) {
    const { description, sprite } = this.sample;
    const row = description.indices.indexOf(index);
    if (row < 0) return;
    for (const button of this.root.querySelectorAll(".dc-digit")) button.classList.toggle("dc-digit--active", button.dataset.index === String(index));
    const recognizer = mountRecognizer(this.live);
    await recognizer.showDigit(sprite.pixels.subarray(row * SIZE * SIZE, (row + 1) * SIZE * SIZE));
    this.root.dataset.loaded = String(index);
  }
}

/** Mount an explorer once per element. */
export function mountConfusion(root) {
  if (!root.digitConfusion) root.digitConfusion = new ConfusionExplorer(root);
  return root.digitConfusion;
}
