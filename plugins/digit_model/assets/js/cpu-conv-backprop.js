// A faster filter gradient for TF.js's CPU backend, so that the tutorial can train where
// there is no usable GPU.
//
// Why: TF.js 4.22's CPU kernel for Conv2DBackpropFilter (the gradient of a convolution with
// respect to its filters) reads every element through TensorBuffer.get(...), a varargs call
// per multiply. For the tutorial's network it takes ~2.6 s of the ~2.9 s a batch of 64 costs,
// so the page would freeze for seconds at a time. The same sums over flat typed arrays take a
// few tens of milliseconds. The WASM backend has no such kernel at all, so CPU it is.
//
// The replacement handles the common case (NHWC, no dilation) and hands everything else to
// the original kernel. It is installed once per page and only on the CPU backend; forward
// passes and every other kernel are untouched.

const KERNEL = "Conv2DBackpropFilter";
let original = null;

/**
 * dW[wR, wC, d1, d2] = Σ over batch b and output position (yR, yC) of
 * x[b, yR·strideH + wR − padTop, yC·strideW + wC − padLeft, d1] · dy[b, yR, yC, d2].
 *
 * `x`, `dy` are flat NHWC Float32Arrays; `info` is TF.js's Conv2DInfo for the forward
 * convolution. Loops run over the output positions outermost and the output channels
 * innermost, so memory is read in order, and zero inputs (most MNIST pixels, every ReLU that
 * is off) are skipped.
 */
export function filterGradient(x, dy, info) {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const dW = new Float32Array(filterHeight * filterWidth * inChannels * outChannels);
  for (let b = 0; b < batchSize; b += 1) {
    for (let yR = 0; yR < outHeight; yR += 1) {
      for (let yC = 0; yC < outWidth; yC += 1) {
        const dyOffset = ((b * outHeight + yR) * outWidth + yC) * outChannels;
        for (let wR = 0; wR < filterHeight; wR += 1) {
          const xR = yR * strideHeight + wR - top;
          if (xR < 0 || xR >= inHeight) continue;
          for (let wC = 0; wC < filterWidth; wC += 1) {
            const xC = yC * strideWidth + wC - left;
            if (xC < 0 || xC >= inWidth) continue;
            const xOffset = ((b * inHeight + xR) * inWidth + xC) * inChannels;
            const wOffset = (wR * filterWidth + wC) * inChannels * outChannels;
            for (let d1 = 0; d1 < inChannels; d1 += 1) {
              const value = x[xOffset + d1];
              if (value === 0) continue;
              const row = wOffset + d1 * outChannels;
              for (let d2 = 0; d2 < outChannels; d2 += 1) dW[row + d2] += value * dy[dyOffset + d2];
            }
          }
        }
      }
    }
  }
  return dW;
}

/** The replacement kernel: flat loops for NHWC float32, the original kernel for the rest. */
function makeFastKernel(tf, fallback) {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x, dy } = inputs;
    const dataFormat = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
    if (dataFormat !== "channelsLast" || x.dtype !== "float32" || dy.dtype !== "float32") return fallback(args);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, dataFormat,
    );
    const dW = filterGradient(backend.data.get(x.dataId).values, backend.data.get(dy.dataId).values, info);
    return backend.makeTensorInfo(info.filterShape, "float32", dW);
  };
}

/** Replace the CPU backend's filter-gradient kernel (once per page); returns the original config. */
export function installFastFilterGradient(tf) {
  if (original) return original;
  const config = tf.getKernel(KERNEL, "cpu");
  if (!config) return null; // a TF.js build without the CPU backend: nothing to speed up
  tf.unregisterKernel(KERNEL, "cpu");
  tf.registerKernel({ ...config, kernelFunc: makeFastKernel(tf, config.kernelFunc) });
  original = config;
  return original;
}
