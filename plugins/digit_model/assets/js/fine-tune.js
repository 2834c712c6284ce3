// Fine-tuning a layers model's output layer on a reader's corrected drawings, in the browser.
//
// Only the last Dense layer learns; everything before it is frozen and computes *features*.
// That needs no convolution gradients (the WASM backend has none), runs in well under a second
// on the CPU backend, and cannot bend the features the rest of the site relies on. The build
// ships the features of held-out and replay MNIST digits (teach-sample.json / .bin), so the page
// never runs the convolutions over them: it computes features only for the reader's drawings.
//
// Forgetting is held back by replay and an anchor: every step mixes the reader's examples (and
// varied copies of them: redrawn from their strokes with a slightly different hand, see teach.js)
// with MNIST training digits, and penalises any change of those digits' logits (ANCHOR). The page
// measures accuracy on held-out MNIST test digits before and after. Everything random is seeded:
// the same corrections give the same model.

import { seededRandom } from "./random.js";

const SIZE = 28;
/** Jittered copies of each correction: a reader's digit varies a little every time they write it. */
export const COPIES = 15;
/** Steps, all of them: the replayed digits keep refining the boundary after the reader's own
 * examples are read right, which is what repairs the MNIST digits the first steps disturbed. */
export const STEPS = 120;
/** Steps between two yielded frames (each step takes a few milliseconds). */
const FRAME_EVERY = 10;
/** Shares of the change tried, largest first, and the check digits they may lose (0.3 %). */
const SHARES = [1, 0.8, 0.6, 0.4, 0.2];
const CHECK_BUDGET = 0.003;
const READER_BATCH = 16;
const REPLAY_BATCH = 48;
/** Adam's step as a share of the layer's RMS weight: a calibrated layer (temperature folded in)
 * can hold weights many times larger or smaller than another, and the step must follow. */
const RELATIVE_LEARNING_RATE = 0.05;
const SEED = 20261125;
/**
 * Weight of the anchor: the mean squared change of the replayed MNIST digits' logits, relative to
 * their mean square logit, added to the loss. Replay with hard labels alone holds back almost
 * nothing: MNIST digits sit far from the boundary, their loss is ~0 until they flip, and a
 * reader's 4s pulled the boundary across MNIST 9s nobody replayed (−0.9 points on the holdout).
 * The anchor keeps the layer's answers on MNIST-like features where they were and lets it move
 * only where the reader's digits differ. Chosen on validation only (check digits and other
 * drawings of the benchmark's readers; `benchmarks/teach_handwriting.py --anchors 100 300 1000`):
 * the smallest weight at which no reader lost a check digit, on the shipped model and on the
 * tests' model alike (300 was enough for the tests' model, not for the shipped one).
 */
export const ANCHOR = 1000;
/** The feature model of each model (it shares the model's layers, so it is built once, never disposed). */
const featureModels = new WeakMap();

/** The last Dense layer of `model` and the model that computes its input (the features). */
export function splitOutputLayer(tf, model) {
  const layers = model.layers;
  const index = layers.length - 1;
  const output = layers[index];
  if (output.getClassName() !== "Dense" || output.getConfig().activation !== "softmax") {
    throw new Error("fine-tuning needs a model whose last layer is Dense with a softmax");
  }
  const features = tf.model({ inputs: model.inputs, outputs: layers[index - 1].output });
  return { output, features };
}

/** `pixels` (28×28 values in 0–1) turned and scaled a little about the centre, bilinear. No
 * shift: the page's preprocessing centres every drawing by its mass, so a shifted copy would
 * teach the layer an input the page never produces. */
export function jitter(pixels, random) {
  const angle = (random() - 0.5) * (12 * Math.PI / 180);
  const scale = 0.92 + 0.16 * random();
  const shiftX = 0;
  const shiftY = 0;
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  const out = new Float32Array(SIZE * SIZE);
  const centre = (SIZE - 1) / 2;
  for (let y = 0; y < SIZE; y += 1) {
    for (let x = 0; x < SIZE; x += 1) {
      // Where this output pixel comes from in the input (the inverse transform).
      const dx = x - centre - shiftX;
      const dy = y - centre - shiftY;
      const sx = cos * dx + sin * dy + centre;
      const sy = -sin * dx + cos * dy + centre;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const at = (px, py) => (px >= 0 && py >= 0 && px < SIZE && py < SIZE ? pixels[py * SIZE + px] : 0);
      out[y * SIZE + x] = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
    }
  }
  return out;
}

/** Features of many 28×28 inputs, a few at a time so that the page keeps drawing frames. */
export async function featuresOf(tf, featureModel, inputs, batch = 4) {
  const rows = [];
  for (let start = 0; start < inputs.length; start += batch) {
    const chunk = inputs.slice(start, start + batch);
    const flat = new Float32Array(chunk.length * SIZE * SIZE);
    chunk.forEach((pixels, i) => flat.set(pixels, i * SIZE * SIZE));
    const output = tf.tidy(() => featureModel.predict(tf.tensor4d(flat, [chunk.length, SIZE, SIZE, 1])));
    const values = await output.data();
    output.dispose();
    const width = values.length / chunk.length;
    for (let i = 0; i < chunk.length; i += 1) rows.push(values.slice(i * width, (i + 1) * width));
    await tf.nextFrame();
  }
  return rows;
}

/** The weights `share` of the way from (kernel0, bias0) to (kernel, bias). */
function blend(tf, kernel0, bias0, kernel, bias, share) {
  return tf.tidy(() => [
    tf.add(kernel0, tf.mul(tf.sub(kernel, kernel0), share)),
    tf.add(bias0, tf.mul(tf.sub(bias, bias0), share)),
  ]);
}

/** Top-1 answers of a softmax layer with weights (kernel, bias) for feature rows (a Float32Array, n × width). */
function answers(tf, kernel, bias, features, count) {
  return tf.tidy(() => {
    const logits = tf.add(tf.matMul(tf.tensor2d(features, [count, features.length / count]), kernel), bias);
    return Array.from(logits.argMax(1).dataSync());
  });
}

function accuracy(predicted, labels) {
  let right = 0;
  predicted.forEach((p, i) => { right += p === labels[i] ? 1 : 0; });
  return labels.length ? right / labels.length : null;
}

function stack(rows) {
  const width = rows[0].length;
  const flat = new Float32Array(rows.length * width);
  rows.forEach((row, i) => flat.set(row, i * width));
  return flat;
}

/**
 * Fine-tune `model`'s output layer on `corrections` ([{ pixels, label }]) with replay of
 * `sample` (see loadTeachSample), starting from the layer's weights or `from`. Resolves to the new weights of that layer and a report:
 * MNIST held-out accuracy before/after, and the answers before/after on each correction.
 * `onProgress(fraction)` after each step; a frame is yielded between steps.
 */
export async function fineTune(tf, model, corrections, sample,
  { from = null, augment = null, onProgress = () => {}, steps = STEPS, anchor = ANCHOR } = {}) {
  const started = performance.now();
  const random = seededRandom(SEED);
  const { output, features: featureModel } = featureModels.get(model) || splitOutputLayer(tf, model);
  featureModels.set(model, { output, features: featureModel });
  // `from`: the weights to start from when the layer holds others now (a personal model in use).
  const start = from ? from.values.map((values, i) => tf.tensor(values, from.shapes[i])) : output.getWeights();
  const [kernel0, bias0] = start;

  // The reader's examples: each correction and COPIES jittered copies of it.
  const inputs = [];
  const labels = [];
  for (const correction of corrections) {
    inputs.push(Float32Array.from(correction.pixels));
    labels.push(correction.label);
    for (let copy = 0; copy < COPIES; copy += 1) {
      // Redrawn from its strokes by the caller if it can (what a hand would vary), else warped.
      inputs.push(augment?.(correction, random) || jitter(correction.pixels, random));
      labels.push(correction.label);
    }
    await tf.nextFrame(); // each copy is drawn and preprocessed: a frame per correction
  }
  const readerFeatures = stack(await featuresOf(tf, featureModel, inputs));
  const readerRows = labels.length;
  const width = readerFeatures.length / readerRows;
  if (width !== sample.dimension) throw new Error(`teach sample has ${sample.dimension} features, the model ${width}`);
  const originals = Array.from({ length: corrections.length }, (_, i) => i * (COPIES + 1));

  const kernel = tf.variable(kernel0.clone());
  const bias = tf.variable(bias0.clone());
  const rms = tf.tidy(() => tf.sqrt(tf.mean(tf.square(kernel0))).dataSync()[0]);
  const optimizer = tf.train.adam(RELATIVE_LEARNING_RATE * rms);
  // The replay digits' mean square logit (a sum over the ten classes), so that ANCHOR means the
  // same for a network whose logits are in the tens and for one whose logits are in the hundreds.
  const replayScale = tf.tidy(() => tf.mean(tf.sum(tf.square(tf.add(tf.matMul(
    tf.tensor2d(sample.replay.features, [sample.replay.count, width]), kernel0), bias0)), 1)).dataSync()[0]);
  const pick = (count, size) => Int32Array.from({ length: size }, () => Math.floor(random() * count));
  try {
    for (let step = 0; step < steps; step += 1) {
      const readerPick = pick(readerRows, READER_BATCH);
      const replayPick = pick(sample.replay.count, REPLAY_BATCH);
      const batch = new Float32Array((READER_BATCH + REPLAY_BATCH) * width);
      const batchLabels = new Int32Array(READER_BATCH + REPLAY_BATCH);
      readerPick.forEach((row, i) => {
        batch.set(readerFeatures.subarray(row * width, (row + 1) * width), i * width);
        batchLabels[i] = labels[row];
      });
      replayPick.forEach((row, i) => {
        batch.set(sample.replay.features.subarray(row * width, (row + 1) * width), (READER_BATCH + i) * width);
        batchLabels[READER_BATCH + i] = sample.replay.labels[row];
      });
      optimizer.minimize(() => tf.tidy(() => {
        const x = tf.tensor2d(batch, [batchLabels.length, width]);
        const logits = tf.add(tf.matMul(x, kernel), bias);
        const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(batchLabels, "int32"), 10), logits);
        // The anchor: how far the replayed digits' logits moved from the site model's.
        const replayed = x.slice([READER_BATCH, 0], [REPLAY_BATCH, width]);
        const drift = tf.add(tf.matMul(replayed, tf.sub(kernel, kernel0)), tf.sub(bias, bias0));
        return tf.add(loss, tf.mul(anchor / replayScale, tf.mean(tf.sum(tf.square(drift), 1))));
      }), false, [kernel, bias]);
      onProgress((step + 1) / steps);
      if (step % FRAME_EVERY === FRAME_EVERY - 1) await tf.nextFrame();
    }
    // Keep as much of the change as the check digits allow (test digits kept apart from the
    // holdout): the largest share of it that loses at most CHECK_BUDGET of them. The choice is
    // made on them, never on the holdout digits, whose figure the reader is shown.
    const check = sample.check;
    const checkBefore = accuracy(answers(tf, kernel0, bias0, check.features, check.count), check.labels);
    // Without check digits (a tiny test subset) nothing can be checked: the change is kept whole.
    let kept = check.count ? 0 : 1;
    let checkAfter = checkBefore;
    for (const share of check.count ? SHARES : []) {
      const [k, b] = blend(tf, kernel0, bias0, kernel, bias, share);
      checkAfter = accuracy(answers(tf, k, b, check.features, check.count), check.labels);
      k.dispose();
      b.dispose();
      if (checkAfter >= checkBefore - CHECK_BUDGET) {
        kept = share;
        break;
      }
    }
    if (!kept) checkAfter = checkBefore;
    const [keptKernel, keptBias] = blend(tf, kernel0, bias0, kernel, bias, kept);
    kernel.assign(keptKernel);
    bias.assign(keptBias);
    keptKernel.dispose();
    keptBias.dispose();
    const holdout = sample.holdout;
    const readerOriginals = stack(originals.map((row) => readerFeatures.subarray(row * width, (row + 1) * width)));
    const report = {
      holdoutBefore: accuracy(answers(tf, kernel0, bias0, holdout.features, holdout.count), holdout.labels),
      holdoutAfter: accuracy(answers(tf, kernel, bias, holdout.features, holdout.count), holdout.labels),
      holdoutCount: holdout.count,
      before: answers(tf, kernel0, bias0, readerOriginals, corrections.length),
      after: answers(tf, kernel, bias, readerOriginals, corrections.length),
      labels: corrections.map((c) => c.label),
      steps,
      kept,
      checkCount: check.count,
      checkBefore,
      checkAfter,
      readerFit: accuracy(answers(tf, kernel, bias, readerFeatures, readerRows), labels),
      milliseconds: 0,
    };
    const weights = {
      layer: output.name,
      shapes: [kernel.shape, bias.shape],
      values: [await kernel.data(), await bias.data()],
    };
    report.milliseconds = Math.round(performance.now() - started);
    return { weights, report };
  } finally {
    kernel.dispose();
    bias.dispose();
    optimizer.dispose();
    if (from) start.forEach((tensor) => tensor.dispose());
  }
}

/** Put `weights` (from fineTune) into `model`'s output layer; resolves to the weights it replaced. */
export function applyOutputWeights(tf, model, weights) {
  const layer = model.getLayer(weights.layer);
  const previous = layer.getWeights().map((tensor) => ({ shape: tensor.shape, values: tensor.dataSync().slice() }));
  tf.tidy(() => layer.setWeights(weights.values.map((values, i) => tf.tensor(values, weights.shapes[i]))));
  return { layer: weights.layer, shapes: previous.map((p) => p.shape), values: previous.map((p) => p.values) };
}

/**
 * The build's teach sample: features (the output layer's inputs) of MNIST training digits to
 * replay, of MNIST test digits to check forgetting on (validation), and of other, held-out test
 * digits to measure it on. `fetchBytes(name)` fetches
 * a file next to the model.
 */
export async function loadTeachSample(fetchBytes) {
  const description = JSON.parse(new TextDecoder().decode(await fetchBytes("teach-sample.json")));
  const { file, dimension, offset, scale } = description.features;
  const bytes = new Uint8Array(await fetchBytes(file));
  let row = 0;
  const part = (name) => {
    const { count, labels } = description[name];
    const values = new Float32Array(count * dimension);
    const start = row * dimension;
    for (let i = 0; i < values.length; i += 1) values[i] = offset + bytes[start + i] * scale;
    row += count;
    return { count, labels, features: values };
  };
  const [replay, check, holdout] = ["replay", "check", "holdout"].map(part);
  if (bytes.length !== row * dimension) throw new Error(`${file} does not fit teach-sample.json`);
  return { dimension, replay, check, holdout, shippedAccuracy: description.holdout.shipped_accuracy };
}
