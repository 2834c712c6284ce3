// The confusion explorer (a ```digit-confusion block): the build's real confusion matrix, whose
// mistake cells show the test digits the model actually got wrong (from the test sample the
// build ships next to the model), and a live recognizer to load any of them into.

import { paintValues } from "./dom.js";
import { mountRecognizer } from "./recognizer.js";
import { loadSprite } from "./sprite.js";
import { modelFileUrl } from "./tf-runtime.js";

const SIZE = 28;

const TEXT = {
  zh: {
    loading: "正在載入測試圖…",
    failed: (m) => `測試圖載入失敗：${m}。請重新整理頁面。`,
    caption: (t, p, n) => `實際是 ${t}、模型讀成 ${p} 的測試圖（${n} 張）。點一張放進下面的辨識器：`,
    truncated: (k) => `（樣本只收錄了前 ${k} 張認錯的圖。）`,
    none: "樣本裡沒有這一格的圖。",
    digit: (i, c) => `測試圖第 ${i} 張，模型的信心 ${c}`,
  },
  en: {
    loading: "Loading the test digits…",
    failed: (m) => `The test digits failed to load: ${m}. Reload the page.`,
    caption: (t, p, n) => `Test digits that are ${t} but were read as ${p} (${n}). Click one to load it into the recognizer below:`,
    truncated: (k) => `(The sample holds only the first ${k} mistakes.)`,
    none: "The sample holds no digit for this cell.",
    digit: (i, c) => `Test digit ${i}, model confidence ${c}`,
  },
};

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
    this.text = (document.documentElement.lang || "en").toLowerCase().startsWith("zh") ? TEXT.zh : TEXT.en;
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
    this.detail.replaceChildren(Object.assign(document.createElement("p"), { textContent: this.text.loading }));
    let sample;
    try {
      sample = await loadSample();
    } catch (error) {
      this.root.dataset.state = "error";
      this.detail.replaceChildren(Object.assign(document.createElement("p"), {
        className: "dr-status dr-status--error", textContent: this.text.failed(error.message || String(error)),
      }));
      return;
    }
    this.sample = sample;
    const { description } = sample;
    const rows = description.indices
      .map((index, row) => ({ index, row, label: description.labels[row], predicted: description.predicted[row], confidence: description.confidence[row] }))
      .filter((digit) => digit.label === truth && digit.predicted === predicted);
    const caption = document.createElement("p");
    caption.textContent = rows.length ? this.text.caption(truth, predicted, rows.length) : this.text.none;
    if (description.mistakes_included < description.mistakes_total) caption.textContent += this.text.truncated(description.mistakes_included);
    const list = document.createElement("div");
    list.className = "dc-digits";
    for (const digit of rows) {
      const canvas = document.createElement("canvas");
      canvas.className = "dr-pixels";
      paintValues(canvas, sample.sprite.pixels.subarray(digit.row * SIZE * SIZE, (digit.row + 1) * SIZE * SIZE), SIZE, SIZE);
      const label = this.text.digit(digit.index, `${(100 * digit.confidence).toFixed(1)}%`);
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
