// What the model looked at: |∂z(class)/∂pixel| for the 28×28 input, z being the class's score
// before the softmax (its logit). The probability itself is no use here: for a confident answer
// it is 1 in float32, and so flat, and its gradient is exactly 0 everywhere — a calibrated
// model, whose last layer was sharpened by its temperature, gives such answers often.
//
// "gradient" is one backward pass (vanilla gradient). "smoothgrad" averages the absolute
// gradients of SMOOTHGRAD_SAMPLES noisy copies of the input, computed as one batch, which
// removes much of the speckle at the cost of a bigger batch.

export const SMOOTHGRAD_SAMPLES = 16;
export const SMOOTHGRAD_NOISE = 0.15;

/**
 * Saliency of `classIndex` for a [1, 28, 28, 1] input tensor; returns a Float32Array of 784
 * values scaled so that the largest is 1 (all zeros if the gradient vanishes).
 */
export async function saliencyMap(tf, model, input, classIndex, method = "gradient") {
  const map = tf.tidy(() => {
    // A one-hot mask rather than gather(): gather's gradient needs UnsortedSegmentSum, which
    // the WASM backend lacks.
    const mask = tf.oneHot([classIndex], 10).asType("float32");
    const gradientOf = tf.grad((x) => classScore(tf, model, x).mul(mask).sum());
    let magnitude;
    if (method === "smoothgrad") {
      const batch = input.tile([SMOOTHGRAD_SAMPLES, 1, 1, 1]);
      const noisy = batch.add(tf.randomNormal(batch.shape, 0, SMOOTHGRAD_NOISE));
      magnitude = gradientOf(noisy).abs().mean(0);
    } else {
      magnitude = gradientOf(input).abs().squeeze([0]);
    }
    const peak = magnitude.max();
    return magnitude.div(tf.maximum(peak, 1e-12)).reshape([784]);
  });
  const values = await map.data();
  map.dispose();
  return values;
}

/**
 * The prediction for a [1, 28, 28, 1] input and the "gradient" saliency map of its top class,
 * from one forward pass: the class scores are read inside the differentiated function, the top
 * class picked from them (a plain number, so the mask does not depend on the input), and the
 * backward pass runs from that class. A prediction followed by saliencyMap() runs the forward
 * pass twice — on the CPU backend the larger part of a step.
 * Returns {probabilities: Float32Array(10), top, map: Float32Array(784)}.
 */
export async function predictWithSaliency(tf, model, input) {
  let scores = null;
  let top = 0;
  const map = tf.tidy(() => {
    const gradientOf = tf.grad((x) => {
      const classScores = classScore(tf, model, x);
      scores = classScores.dataSync().slice();
      for (let d = 1; d < scores.length; d += 1) if (scores[d] > scores[top]) top = d;
      return classScores.mul(tf.oneHot([top], scores.length).asType("float32")).sum();
    });
    const magnitude = gradientOf(input).abs().squeeze([0]);
    return magnitude.div(tf.maximum(magnitude.max(), 1e-12)).reshape([784]);
  });
  const values = await map.data();
  map.dispose();
  return { probabilities: scoresAreLogits(model) ? softmax(scores) : Float32Array.from(scores), top, map: values };
}

/** exp(z − max) / Σ, in float64 then rounded to float32, as TF.js's softmax gives to ~1e-7. */
function softmax(logits) {
  const peak = Math.max(...logits);
  const exps = Array.from(logits, (z) => Math.exp(z - peak));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return Float32Array.from(exps, (value) => value / total);
}

function scoresAreLogits(model) {
  const layers = model.layers.filter((layer) => layer.getClassName() !== "InputLayer");
  const last = layers[layers.length - 1];
  return last.getClassName() === "Dense" && last.getConfig().activation === "softmax";
}

/**
 * The model's class scores for `x`: its logits when the last layer is a softmax Dense (the
 * layers before it, then that layer's kernel and bias without the softmax), else its outputs.
 */
function classScore(tf, model, x) {
  const layers = model.layers.filter((layer) => layer.getClassName() !== "InputLayer");
  const last = layers[layers.length - 1];
  if (!scoresAreLogits(model)) {
    return model.apply(x, { training: false });
  }
  let features = x;
  for (const layer of layers.slice(0, -1)) features = layer.apply(features, { training: false });
  const [kernel, bias] = last.getWeights();
  return features.matMul(kernel).add(bias);
}
