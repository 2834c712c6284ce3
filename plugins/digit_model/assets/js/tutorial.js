// The tutorial page's live block (`.digit-tutorial`): a button that trains the tutorial's CNN
// in this tab while two charts grow, a test on held-out digits, a grid of predictions, and a
// drawing pad that reads the reader's own digits with the model they just trained.
//
// Nothing is downloaded until the reader presses the button. main.js imports this module only
// on pages that hold such a block.

import { installFastFilterGradient } from "./cpu-conv-backprop.js";
import { element, paintValues } from "./dom.js";
import { LineChart } from "./line-chart.js";
import { downloadMnist, IMAGE_SIZE, MnistData } from "./mnist-data.js";
import { randomSeed, seededRandom } from "./random.js";
import { mountRecognizer } from "./recognizer.js";
import * as siteConfig from "./site-config.js";
import { chooseBackend, loadTf, useBackend } from "./tf-runtime.js";
import { createModel, disposeModel, evaluate, predictDigits, train, TRAIN_BATCHES, VALIDATION_SIZE } from "./tutorial-model.js";

/** Held-out digits shown with the model's answers once training is done. */
const GRID_DIGITS = 40;
/** Backends that can train this network, best first (WASM lacks the filter-gradient kernel). */
const TRAINING_BACKENDS = ["webgl", "cpu"];

const percent = (p) => `${(100 * p).toFixed(1)}%`;
const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

const TEXT = {
  zh: {
    intro: (tfjs, data) => `按下「開始訓練」後，瀏覽器才會下載 TF.js（${megabytes(tfjs)}）和訓練資料（${megabytes(data)}），` +
      "然後在這個分頁裡從隨機的權重開始訓練。",
    train: "開始訓練", retrain: "重新訓練", stop: "停止",
    idle: "模型還沒訓練。", loading: "正在下載 TF.js 和訓練資料…",
    training: (backend) => `訓練中（TF.js 後端：${backend}）…`, stopping: "正在停止…",
    progress: (batch, loss, accuracy, validation) =>
      `第 ${batch}／${TRAIN_BATCHES} 批 · 損失 ${loss.toFixed(3)} · 這一批答對 ${percent(accuracy)}` +
      (validation === null ? "" : ` · 驗證準確度 ${percent(validation)}`),
    stopped: (batches) => `已在第 ${batches} 批後停止。按「開始訓練」會從頭再訓練一個新模型。`,
    testing: "訓練完成，正在用全部保留的測試數字評估…",
    done: (accuracy, count, seconds, msPerBatch, backend) =>
      `完成！模型在 ${count.toLocaleString()} 張從沒看過的測試數字上答對 ${percent(accuracy)}。` +
      `${TRAIN_BATCHES} 批訓練（含驗證）花了 ${seconds.toFixed(1)} 秒，每批約 ${Math.round(msPerBatch)} 毫秒（${backend}）。`,
    failed: (message) => `無法完成訓練：${message}。請檢查網路連線後重新整理頁面。`,
    noData: "這個網站沒有附上訓練資料",
    cpuNote: "這台裝置沒有可用的 GPU（WebGL），改用 CPU 訓練：比較慢，但頁面不會卡住。",
    lossChart: "損失", accuracyChart: "準確度", batches: "批次",
    trainSeries: "訓練批次", validationSeries: `驗證（${VALIDATION_SIZE.toLocaleString()} 張測試數字）`,
    gridTitle: `隨機 ${GRID_DIGITS} 張測試數字和模型的答案（框起來的是答錯的）`,
    digit: (label, predicted) => `答案 ${label}，模型判斷 ${predicted}${label === predicted ? "" : "（錯）"}`,
    truth: (label) => `應為 ${label}`,
    tryTitle: "用剛訓練好的模型辨識你寫的數字",
    tryWaiting: "訓練完成後，這裡會出現手寫板。",
  },
  en: {
    intro: (tfjs, data) => `Press “Train” and the browser downloads TF.js (${megabytes(tfjs)}) and the training data ` +
      `(${megabytes(data)}), then trains the model from random weights in this tab.`,
    train: "Train", retrain: "Train again", stop: "Stop",
    idle: "The model is not trained yet.", loading: "Downloading TF.js and the training data…",
    training: (backend) => `Training (TF.js backend: ${backend})…`, stopping: "Stopping…",
    progress: (batch, loss, accuracy, validation) =>
      `Batch ${batch}/${TRAIN_BATCHES} · loss ${loss.toFixed(3)} · batch accuracy ${percent(accuracy)}` +
      (validation === null ? "" : ` · validation accuracy ${percent(validation)}`),
    stopped: (batches) => `Stopped after batch ${batches}. Press “Train” to train a new model from scratch.`,
    testing: "Training done; testing on every held-out digit…",
    done: (accuracy, count, seconds, msPerBatch, backend) =>
      `Done! The model reads ${percent(accuracy)} of ${count.toLocaleString()} test digits it never saw correctly. ` +
      `${TRAIN_BATCHES} batches (with validation) took ${seconds.toFixed(1)} s, about ${Math.round(msPerBatch)} ms per batch (${backend}).`,
    failed: (message) => `Training could not finish: ${message}. Check your connection and reload the page.`,
    noData: "this site ships no training data",
    cpuNote: "No usable GPU (WebGL) here, so the CPU trains: slower, but the page stays responsive.",
    lossChart: "Loss", accuracyChart: "Accuracy", batches: "batches",
    trainSeries: "training batch", validationSeries: `validation (${VALIDATION_SIZE.toLocaleString()} test digits)`,
    gridTitle: `${GRID_DIGITS} random test digits and the model's answers (boxed: wrong)`,
    digit: (label, predicted) => `label ${label}, model says ${predicted}${label === predicted ? "" : " (wrong)"}`,
    truth: (label) => `is ${label}`,
    tryTitle: "Try the model you just trained on your own handwriting",
    tryWaiting: "A drawing pad appears here once the model is trained.",
  },
};

/** A 28×28 canvas showing one digit, white on black as the model sees it. */
function digitCanvas(pixels) {
  const canvas = element("canvas", { class: "dt-digit-image", "aria-hidden": "true" });
  paintValues(canvas, pixels, IMAGE_SIZE, IMAGE_SIZE);
  return canvas;
}

export class Tutorial {
  constructor(root) {
    this.root = root;
    this.text = (document.documentElement.lang || "en").toLowerCase().startsWith("zh") ? TEXT.zh : TEXT.en;
    this.running = false;
    this.stopRequested = false;
    this.prepared = null;
    this.trainedModel = null;
    this.recognizer = null;
    this.#build();
    this.#setState("idle", this.text.idle);
  }

  #build() {
    const t = this.text;
    this.root.replaceChildren();
    this.root.classList.add("dt");
    this.trainButton = element("button", { type: "button", class: "md-button md-button--primary", "data-action": "train", text: t.train });
    this.stopButton = element("button", { type: "button", class: "md-button", "data-action": "stop", text: t.stop, disabled: "" });
    this.status = element("p", { class: "dt-status", role: "status", "aria-live": "polite" });
    this.progressText = element("p", { class: "dt-progress-text" });
    this.progress = element("progress", { class: "dt-progress", max: String(TRAIN_BATCHES), value: "0" });
    this.backendNote = element("p", { class: "dt-note", hidden: "" });

    this.lossChart = new LineChart({
      label: t.lossChart, xLabel: t.batches, xMax: TRAIN_BATCHES, format: (y) => String(Number(y.toFixed(2))),
      series: [
        { key: "train", label: t.trainSeries, className: "lc-series--train" },
        { key: "validation", label: t.validationSeries, className: "lc-series--validation", markers: true },
      ],
    });
    this.accuracyChart = new LineChart({
      label: t.accuracyChart, xLabel: t.batches, xMax: TRAIN_BATCHES, yMax: 1, format: (y) => `${Math.round(100 * y)}%`,
      series: [
        { key: "train", label: t.trainSeries, className: "lc-series--train" },
        { key: "validation", label: t.validationSeries, className: "lc-series--validation", markers: true },
      ],
    });
    this.lossChart.element.classList.add("dt-chart--loss");
    this.accuracyChart.element.classList.add("dt-chart--accuracy");
    const charts = element("div", { class: "dt-charts" },
      element("div", { class: "dt-chart" }, element("p", { class: "dt-chart-title", text: t.lossChart }), this.lossChart.element),
      element("div", { class: "dt-chart" }, element("p", { class: "dt-chart-title", text: t.accuracyChart }), this.accuracyChart.element));

    this.grid = element("ol", { class: "dt-predictions" });
    this.results = element("section", { class: "dt-results", hidden: "" }, element("p", { class: "dt-chart-title", text: t.gridTitle }), this.grid);

    this.tryRoot = element("div", { class: "dt-recognizer", "data-panels": "canvas input probabilities" },
      element("p", { class: "dt-note", text: t.tryWaiting }));
    const tryArea = element("section", { class: "dt-try" }, element("p", { class: "dt-chart-title", text: t.tryTitle }), this.tryRoot);

    const intro = element("p", { class: "dt-note", text: t.intro(siteConfig.tfjsBytes, siteConfig.mnistDataBytes) });
    const controls = element("div", { class: "dt-controls" }, this.trainButton, this.stopButton);
    this.root.append(intro, controls, this.status, this.progress, this.progressText, this.backendNote, charts, this.results, tryArea);

    this.trainButton.addEventListener("click", () => this.start());
    this.stopButton.addEventListener("click", () => this.stop());
  }

  #setState(state, message) {
    this.root.dataset.state = state;
    this.status.textContent = message;
    this.status.classList.toggle("dt-status--error", state === "error");
    const busy = state === "loading" || state === "training" || state === "testing";
    this.trainButton.disabled = busy;
    this.stopButton.disabled = state !== "training";
    this.trainButton.textContent = this.trainedModel ? this.text.retrain : this.text.train;
  }

  /** TF.js, a backend that can train, and the data: downloaded once, at the first press. */
  #prepare() {
    if (!this.prepared) {
      this.prepared = (async () => {
        if (!siteConfig.mnistDataUrl) throw new Error(this.text.noData);
        const runtime = loadTf().then(async (tf) => {
          let backend = await chooseBackend(TRAINING_BACKENDS);
          // The page's choice is shared: a recognizer block mounted first may have picked WASM.
          if (!TRAINING_BACKENDS.includes(backend) && (await useBackend("cpu"))) backend = "cpu";
          return { tf, backend };
        });
        const [{ tf, backend }, arrays] = await Promise.all([runtime, downloadMnist(siteConfig.mnistDataUrl)]);
        if (backend === "cpu") installFastFilterGradient(tf);
        return { tf, backend, arrays };
      })();
      this.prepared.catch(() => { this.prepared = null; }); // let a later press try again
    }
    return this.prepared;
  }

  /** Train a new model from scratch, test it, show its answers and hand it to the drawing pad. */
  async start() {
    if (this.running) return;
    this.running = true;
    this.stopRequested = false;
    this.#resetRun();
    let model = null;
    try {
      this.#setState("loading", this.text.loading);
      const { tf, backend, arrays } = await this.#prepare();
      // A run is repeatable: its seed fixes the initial weights and the order of the batches.
      // The block's `data-seed` pins it; otherwise every press draws a new one.
      const seed = this.root.dataset.seed ? Number(this.root.dataset.seed) >>> 0 : randomSeed();
      this.root.dataset.runSeed = String(seed);
      const data = new MnistData(tf, arrays, seededRandom(seed));
      this.root.dataset.backend = backend;
      this.backendNote.hidden = backend !== "cpu";
      this.backendNote.textContent = this.text.cpuNote;
      model = createModel(tf, seed);
      this.#setState("training", this.text.training(backend));

      const started = performance.now();
      let batchMilliseconds = 0;
      let lastValidation = null;
      const { batches, stopped } = await train(tf, model, data, {
        onBatch: ({ batch, loss, accuracy, milliseconds }) => {
          batchMilliseconds += milliseconds;
          this.lossChart.add("train", batch, loss);
          this.accuracyChart.add("train", batch, accuracy);
          this.progress.value = batch;
          this.progressText.textContent = this.text.progress(batch, loss, accuracy, lastValidation);
          Object.assign(this.root.dataset, { batches: String(batch), loss: loss.toFixed(4) });
        },
        onValidation: ({ batch, loss, accuracy }) => {
          lastValidation = accuracy;
          this.lossChart.add("validation", batch, loss);
          this.accuracyChart.add("validation", batch, accuracy);
          this.root.dataset.valAccuracy = accuracy.toFixed(4);
        },
        shouldStop: () => this.stopRequested,
      });
      const trainMilliseconds = performance.now() - started;
      this.root.dataset.trainMs = String(Math.round(trainMilliseconds));
      this.root.dataset.msPerBatch = batches ? (batchMilliseconds / batches).toFixed(1) : "";
      if (stopped) {
        this.#setState("stopped", this.text.stopped(batches));
        return;
      }

      this.#setState("testing", this.text.testing);
      const test = data.testSlice(0, data.testCount);
      const { accuracy } = await evaluate(tf, model, test);
      tf.dispose([test.xs, test.labels]);
      this.root.dataset.testAccuracy = accuracy.toFixed(4);
      await this.#showPredictions(tf, model, data);
      this.#offerModel(model, backend);
      model = null; // the drawing pad owns it now
      this.#setState("done", this.text.done(accuracy, data.testCount, trainMilliseconds / 1000, batchMilliseconds / batches, backend));
    } catch (error) {
      this.#setState("error", this.text.failed(error.message || String(error)));
      this.root.dataset.error = error.message || String(error);
    } finally {
      if (model) disposeModel(model);
      this.running = false;
    }
  }

  /** Ask the training loop to stop before its next batch. */
  stop() {
    if (!this.running || this.root.dataset.state !== "training") return;
    this.stopRequested = true;
    this.stopButton.disabled = true;
    this.status.textContent = this.text.stopping;
  }

  #resetRun() {
    this.lossChart.reset();
    this.accuracyChart.reset();
    this.progress.value = 0;
    this.progressText.textContent = "";
    this.results.hidden = true;
    this.grid.replaceChildren();
    for (const key of ["batches", "loss", "valAccuracy", "testAccuracy", "trainMs", "msPerBatch", "error", "runSeed"]) delete this.root.dataset[key];
  }

  async #showPredictions(tf, model, data) {
    const sample = data.nextTestBatch(GRID_DIGITS);
    const predicted = await predictDigits(tf, model, sample.xs);
    tf.dispose([sample.xs, sample.labels]);
    const cells = Array.from(sample.rows, (row, i) => {
      const label = sample.digits[i];
      const guess = predicted[i];
      const wrong = label !== guess;
      const cell = element("li", {
        class: wrong ? "dt-digit dt-digit--wrong" : "dt-digit",
        "data-row": String(row), "data-label": String(label), "data-prediction": String(guess),
        "aria-label": this.text.digit(label, guess),
      }, digitCanvas(data.image(row)), element("span", { class: "dt-digit-prediction", text: String(guess) }));
      if (wrong) cell.append(element("span", { class: "dt-digit-truth", text: this.text.truth(label) }));
      return cell;
    });
    this.grid.replaceChildren(...cells);
    this.results.hidden = false;
  }

  /** Let the reader draw for `model`; the model it replaces is freed once no prediction uses it. */
  #offerModel(model, backend) {
    const previous = this.trainedModel;
    this.trainedModel = model;
    if (this.recognizer) {
      this.recognizer.setModel(model, backend);
    } else {
      this.recognizer = mountRecognizer(this.tryRoot, { loadModel: async () => ({ model, backend }) });
    }
    if (previous) {
      const disposeWhenIdle = () => (this.recognizer.busy ? setTimeout(disposeWhenIdle, 50) : disposeModel(previous));
      disposeWhenIdle();
    }
  }
}

/** Mount the tutorial once per element. */
export function mountTutorial(root) {
  if (!root.digitTutorial) root.digitTutorial = new Tutorial(root);
  return root.digitTutorial;
}
