// What the model looked at: |∂p(class)/∂pixel| for the 28×28 input.
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
    const probabilityOf = (x) => model.apply(x, { training: false }).mul(mask).sum();
    const gradientOf = tf.grad(probabilityOf);
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
