// The tutorial's training data: the sprite of MNIST digits and the label file that the build
// writes (model_build/mnist/browser_data.py), served as random batches of tensors.
//
// The sprite holds the training rows first, then the held-out test rows. Training batches are
// drawn from the first part only and test batches from the second, so validation and test
// figures are measured on digits the model never trained on.

import { loadSprite } from "./sprite.js";

export const IMAGE_SIZE = 28;
export const CLASSES = 10;

/** Fisher–Yates: the numbers 0 … count-1 in an order drawn from `random` (numbers in [0, 1)). */
function shuffledRange(count, random) {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i += 1) order[i] = i;
  for (let i = count - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Walks one part of the data set in a shuffled order and reshuffles when it runs out, so every
 * digit of the part is used once before any digit repeats.
 */
class ShuffledPart {
  constructor(firstRow, count, random) {
    this.firstRow = firstRow;
    this.count = count;
    this.random = random;
    this.order = shuffledRange(count, random);
    this.next = 0;
  }

  /** `n` row numbers of the sprite. */
  take(n) {
    const rows = new Uint32Array(n);
    for (let i = 0; i < n; i += 1) {
      if (this.next === this.count) {
        this.order = shuffledRange(this.count, this.random);
        this.next = 0;
      }
      rows[i] = this.firstRow + this.order[this.next];
      this.next += 1;
    }
    return rows;
  }
}

/**
 * Download the build's description, sprite and labels, and check that they agree. Resolves to
 * `{ pixels, labels, trainCount, testCount }` (pixels: 0–1 floats, one image per 784 values).
 * Needs no TF.js, so it can run while TF.js loads.
 */
export async function downloadMnist(descriptionUrl) {
  const description = await fetchJson(descriptionUrl);
  // The description's version query (`?v=…`) goes on the files it names too, so that a cache
  // never serves one build's sprite with another build's labels.
  const base = new URL(descriptionUrl, location.href);
  const fileUrl = (name) => new URL(name + base.search, base).href;
  const [sprite, labels] = await Promise.all([
    loadSprite(fileUrl(description.files.images.name)),
    fetchBytes(fileUrl(description.files.labels.name)),
  ]);
  if (sprite.pixelsPerImage !== IMAGE_SIZE * IMAGE_SIZE || sprite.count !== labels.length) {
    throw new Error(`the sprite is ${sprite.pixelsPerImage}×${sprite.count} pixels, expected ${IMAGE_SIZE ** 2}×${labels.length}`);
  }
  return { pixels: sprite.pixels, labels, trainCount: description.train.count, testCount: description.test.count };
}

export class MnistData {
  /**
   * `tf`: the TF.js namespace; the arrays as `downloadMnist` returns them; `random`: where the
   * batch order comes from (a seeded generator makes a run repeatable).
   */
  constructor(tf, { pixels, labels, trainCount, testCount }, random = Math.random) {
    if (labels.length !== trainCount + testCount || pixels.length !== labels.length * IMAGE_SIZE * IMAGE_SIZE) {
      throw new Error(`${labels.length} labels and ${pixels.length} pixels for ${trainCount} training + ${testCount} test digits`);
    }
    this.tf = tf;
    this.pixels = pixels;
    this.labels = labels;
    this.train = new ShuffledPart(0, trainCount, random);
    this.test = new ShuffledPart(trainCount, testCount, random);
  }

  /** Download the data at `descriptionUrl` (the build's mnist-data.json) and serve it. */
  static async load(tf, descriptionUrl, random = Math.random) {
    return new MnistData(tf, await downloadMnist(descriptionUrl), random);
  }

  get trainCount() {
    return this.train.count;
  }

  get testCount() {
    return this.test.count;
  }

  /** `n` random training digits: `{ xs: [n, 28, 28, 1], labels: one-hot [n, 10], digits, rows }`. */
  nextTrainBatch(n) {
    return this.#batch(this.train.take(n));
  }

  /** `n` random held-out digits, never used for training; same shape as `nextTrainBatch`. */
  nextTestBatch(n) {
    return this.#batch(this.test.take(n));
  }

  /** Held-out digits `start` … `start + n - 1`, in file order (for a full test pass). */
  testSlice(start, n) {
    if (start < 0 || start + n > this.testCount) throw new RangeError(`test digits ${start}…${start + n - 1} of ${this.testCount}`);
    const rows = new Uint32Array(n);
    for (let i = 0; i < n; i += 1) rows[i] = this.test.firstRow + start + i;
    return this.#batch(rows);
  }

  /** The 784 pixel values (0–1) of sprite row `row`. */
  image(row) {
    const size = IMAGE_SIZE * IMAGE_SIZE;
    return this.pixels.subarray(row * size, (row + 1) * size);
  }

  #batch(rows) {
    const size = IMAGE_SIZE * IMAGE_SIZE;
    const images = new Float32Array(rows.length * size);
    const oneHot = new Float32Array(rows.length * CLASSES);
    const digits = new Uint8Array(rows.length);
    rows.forEach((row, i) => {
      images.set(this.image(row), i * size);
      digits[i] = this.labels[row];
      oneHot[i * CLASSES + digits[i]] = 1;
    });
    return {
      xs: this.tf.tensor4d(images, [rows.length, IMAGE_SIZE, IMAGE_SIZE, 1]),
      labels: this.tf.tensor2d(oneHot, [rows.length, CLASSES]),
      digits,
      rows,
    };
  }
}
