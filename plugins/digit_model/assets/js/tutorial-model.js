// The tutorial's network and training loop, with no DOM: the page (tutorial.js) passes
// callbacks to draw charts, and a test or benchmark can run the same code.
//
// The recipe is the one of the TF.js MNIST tutorial: two 5×5 convolutions with max pooling,
// a softmax layer, plain SGD, 100 batches of 64 digits. Every function takes the TF.js
// namespace `tf` as its first argument instead of reading a global.

export const BATCH_SIZE = 64;
export const TRAIN_BATCHES = 100;
export const VALIDATION_SIZE = 1000;
export const VALIDATE_EVERY = 5;
export const LEARNING_RATE = 0.15;
/** Digits per forward pass while evaluating: small enough to yield to the page often. */
const EVALUATION_CHUNK = 250;

/**
 * The tutorial's network, compiled. `seed` fixes the initial weights (each layer draws from its
 * own seed derived from it), so a run can be repeated exactly.
 */
export function createModel(tf, seed) {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({
    inputShape: [28, 28, 1],
    kernelSize: 5,
    filters: 8,
    strides: 1,
    activation: "relu",
    kernelInitializer: tf.initializers.varianceScaling({ seed: seed }),
  }));
  model.add(tf.layers.maxPooling2d({ poolSize: [2, 2], strides: [2, 2] }));
  model.add(tf.layers.conv2d({
    kernelSize: 5,
    filters: 16,
    strides: 1,
    activation: "relu",
    kernelInitializer: tf.initializers.varianceScaling({ seed: seed + 1 }),
  }));
  model.add(tf.layers.maxPooling2d({ poolSize: [2, 2], strides: [2, 2] }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({
    units: 10,
    kernelInitializer: tf.initializers.varianceScaling({ seed: seed + 2 }),
    activation: "softmax",
  }));
  model.compile({
    optimizer: tf.train.sgd(LEARNING_RATE),
    loss: "categoricalCrossentropy",
    metrics: ["accuracy"],
  });
  return model;
}

/** Free a model's weights and its optimizer (the model does not own an optimizer passed in). */
export function disposeModel(model) {
  model.optimizer?.dispose();
  model.dispose();
}

/**
 * Accuracy and mean loss of `model` on a batch `{ xs, labels }`, computed a chunk at a time
 * with a pause for the browser between chunks (one pass over 1,000 digits on the CPU backend
 * takes longer than a frame should).
 */
export async function evaluate(tf, model, { xs, labels }) {
  const count = xs.shape[0];
  let correct = 0;
  let lossSum = 0;
  for (let start = 0; start < count; start += EVALUATION_CHUNK) {
    const size = Math.min(EVALUATION_CHUNK, count - start);
    const [hits, loss] = tf.tidy(() => {
      const x = xs.slice([start, 0, 0, 0], [size, 28, 28, 1]);
      const y = labels.slice([start, 0], [size, 10]);
      const probabilities = model.predict(x);
      return [
        probabilities.argMax(-1).equal(y.argMax(-1)).sum(),
        tf.metrics.categoricalCrossentropy(y, probabilities).sum(),
      ];
    });
    correct += (await hits.data())[0];
    lossSum += (await loss.data())[0];
    tf.dispose([hits, loss]);
    await tf.nextFrame();
  }
  return { accuracy: correct / count, loss: lossSum / count };
}

/** The digit `model` reads in each image of `xs` (an Int32Array). */
export async function predictDigits(tf, model, xs) {
  const predicted = tf.tidy(() => model.predict(xs).argMax(-1));
  const digits = await predicted.data();
  predicted.dispose();
  return digits;
}

/**
 * Train `model` for TRAIN_BATCHES batches of BATCH_SIZE digits, validating on VALIDATION_SIZE
 * held-out digits every VALIDATE_EVERY batches.
 *
 * `onBatch({ batch, loss, accuracy, milliseconds })` and `onValidation({ batch, loss, accuracy })` report
 * progress; `shouldStop()` is asked before every batch. Between batches the loop waits for the
 * next animation frame, so the page keeps drawing and answering clicks while it trains.
 * Resolves to `{ batches, stopped }`.
 */
export async function train(tf, model, data, { onBatch = () => {}, onValidation = () => {}, shouldStop = () => false } = {}) {
  for (let batch = 1; batch <= TRAIN_BATCHES; batch += 1) {
    if (shouldStop()) return { batches: batch - 1, stopped: true };
    const started = performance.now();
    const { xs, labels } = data.nextTrainBatch(BATCH_SIZE);
    const [loss, accuracy] = await model.trainOnBatch(xs, labels);
    tf.dispose([xs, labels]);
    onBatch({ batch, loss, accuracy, milliseconds: performance.now() - started });

    if (batch % VALIDATE_EVERY === 0) {
      const validation = data.nextTestBatch(VALIDATION_SIZE);
      const result = await evaluate(tf, model, validation);
      tf.dispose([validation.xs, validation.labels]);
      onValidation({ batch, ...result });
    }
    await tf.nextFrame();
  }
  return { batches: TRAIN_BATCHES, stopped: false };
}
