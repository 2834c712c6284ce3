// The tutorial page's live block (`.digit-tutorial`): a button that trains the tutorial's CNN
// in this tab while two charts grow, a test on held-out digits, a grid of predictions, and a
// drawing pad that reads the reader's own digits with the model they just trained.
//
// Nothing is downloaded until the reader presses the button. main.js imports this module only
// on pages that hold such a block.

import { installFastFilterGradient } from "./cpu-conv-backprop.js";
import { element, paintValues } from "./dom.js";
import { t } from "./i18n.js";
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

/** The progress line after a training batch; `validation` is null until the first validation. */
function progressText(batch, loss, accuracy, validation) {
  const values = { batch, batches: TRAIN_BATCHES, loss: loss.toFixed(3), accuracy: percent(accuracy) };
  if (validation === null) return t("tutorial.progress", values);
  return t("tutorial.progress_validated", { ...values, validation: percent(validation) });
}

/** A 28×28 canvas showing one digit, white on black as the model sees it. */
function digitCanvas(pixels) {
  const canvas = element("canvas", { class: "dt-digit-image", "aria-hidden": "true" });
  paintValues(canvas, pixels, IMAGE_SIZE, IMAGE_SIZE);
  return canvas;
}

export class Tutorial {
  constructor(root) {
    this.root = root;
    this.running = false;
    this.stopRequested = false;
    this.prepared = null;
    this.trainedModel = null;
    this.recognizer = null;
    this.#build();
    this.#setState("idle", t("tutorial.idle"));
  }

  #build() {
    this.root.replaceChildren();
    this.root.classList.add("dt");
    this.trainButton = element("button", { type: "button", class: "md-button md-button--primary", "data-action": "train", text: t("tutorial.train") });
    this.stopButton = element("button", { type: "button", class: "md-button", "data-action": "stop", text: t("tutorial.stop"), disabled: "" });
    this.status = element("p", { class: "dt-status", role: "status", "aria-live": "polite" });
    this.progressText = element("p", { class: "dt-progress-text" });
    this.progress = element("progress", { class: "dt-progress", max: String(TRAIN_BATCHES), value: "0" });
    this.backendNote = element("p", { class: "dt-note", hidden: "" });

    const trainSeries = t("tutorial.train_series");
    const validationSeries = t("tutorial.validation_series", { count: VALIDATION_SIZE.toLocaleString() });
    this.lossChart = new LineChart({
      label: t("tutorial.loss_chart"), xLabel: t("tutorial.batches"), xMax: TRAIN_BATCHES, format: (y) => String(Number(y.toFixed(2))),
      series: [
        { key: "train", label: trainSeries, className: "lc-series--train" },
        { key: "validation", label: validationSeries, className: "lc-series--validation", markers: true },
      ],
    });
    this.accuracyChart = new LineChart({
      label: t("tutorial.accuracy_chart"), xLabel: t("tutorial.batches"), xMax: TRAIN_BATCHES, yMax: 1, format: (y) => `${Math.round(100 * y)}%`,
      series: [
        { key: "train", label: trainSeries, className: "lc-series--train" },
        { key: "validation", label: validationSeries, className: "lc-series--validation", markers: true },
      ],
    });
    this.lossChart.element.classList.add("dt-chart--loss");
    this.accuracyChart.element.classList.add("dt-chart--accuracy");
    const charts = element("div", { class: "dt-charts" },
      element("div", { class: "dt-chart" }, element("p", { class: "dt-chart-title", text: t("tutorial.loss_chart") }), this.lossChart.element),
      element("div", { class: "dt-chart" }, element("p", { class: "dt-chart-title", text: t("tutorial.accuracy_chart") }), this.accuracyChart.element));

    this.grid = element("ol", { class: "dt-predictions" });
    this.results = element("section", { class: "dt-results", hidden: "" }, element("p", { class: "dt-chart-title", text: t("tutorial.grid_title", { count: GRID_DIGITS }) }), this.grid);

    this.tryRoot = element("div", { class: "dt-recognizer", "data-panels": "canvas input probabilities" },
      element("p", { class: "dt-note", text: t("tutorial.try_waiting") }));
    const tryArea = element("section", { class: "dt-try" }, element("p", { class: "dt-chart-title", text: t("tutorial.try_title") }), this.tryRoot);

    const intro = element("p", { class: "dt-note", text: t("tutorial.intro", { tfjs: megabytes(siteConfig.tfjsBytes), data: megabytes(siteConfig.mnistDataBytes) }) });
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
    this.trainButton.textContent = t(this.trainedModel ? "tutorial.retrain" : "tutorial.train");
  }

  /** TF.js, a backend that can train, and the data: downloaded once, at the first press. */
  #prepare() {
    if (!this.prepared) {
      this.prepared = (async () => {
        if (!siteConfig.mnistDataUrl) throw new Error(t("tutorial.no_data"));
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
      this.#setState("loading", t("tutorial.loading"));
      const { tf, backend, arrays } = await this.#prepare();
      // A run is repeatable: its seed fixes the initial weights and the order of the batches.
      // The block's `data-seed` pins it; otherwise every press draws a new one.
      const seed = this.root.dataset.seed ? Number(this.root.dataset.seed) >>> 0 : randomSeed();
      this.root.dataset.runSeed = String(seed);
      const data = new MnistData(tf, arrays, seededRandom(seed));
      this.root.dataset.backend = backend;
      this.backendNote.hidden = backend !== "cpu";
      this.backendNote.textContent = t("tutorial.cpu_note");
      model = createModel(tf, seed);
      this.#setState("training", t("tutorial.training", { backend }));

      const started = performance.now();
      let batchMilliseconds = 0;
      let lastValidation = null;
      const { batches, stopped } = await train(tf, model, data, {
        onBatch: ({ batch, loss, accuracy, milliseconds }) => {
          batchMilliseconds += milliseconds;
          this.lossChart.add("train", batch, loss);
          this.accuracyChart.add("train", batch, accuracy);
          this.progress.value = batch;
          this.progressText.textContent = progressText(batch, loss, accuracy, lastValidation);
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
        this.#setState("stopped", t("tutorial.stopped", { batch: batches }));
        return;
      }

      this.#setState("testing", t("tutorial.testing"));
      const test = data.testSlice(0, data.testCount);
      const { accuracy } = await evaluate(tf, model, test);
      tf.dispose([test.xs, test.labels]);
      this.root.dataset.testAccuracy = accuracy.toFixed(4);
      await this.#showPredictions(tf, model, data);
      this.#offerModel(model, backend);
      model = null; // the drawing pad owns it now
      this.#setState("done", t("tutorial.done", {
        accuracy: percent(accuracy), count: data.testCount.toLocaleString(), batches: TRAIN_BATCHES,
        seconds: (trainMilliseconds / 1000).toFixed(1), milliseconds: Math.round(batchMilliseconds / batches), backend,
      }));
    } catch (error) {
      this.#setState("error", t("tutorial.failed", { message: error.message || String(error) }));
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
    this.status.textContent = t("tutorial.stopping");
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
        "aria-label": t(wrong ? "tutorial.digit_wrong" : "tutorial.digit", { label, predicted: guess }),
      }, digitCanvas(data.image(row)), element("span", { class: "dt-digit-prediction", text: String(guess) }));
      if (wrong) cell.append(element("span", { class: "dt-digit-truth", text: t("tutorial.truth", { label }) }));
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
