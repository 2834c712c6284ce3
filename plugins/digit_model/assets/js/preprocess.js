// Canvas ink → the 28×28 input the model was trained on, the way MNIST itself was prepared.
//
// Specification (model_build/preprocess.py implements the same steps; a browser test feeds
// both the same drawings and requires |Δ| ≤ 1e-3 per pixel):
//   1. ink: the canvas alpha channel as 0–1 (strokes are opaque, the background transparent);
//   2. bounding box of pixels with ink ≥ INK_THRESHOLD;
//   3. resample the box with area averaging so that its longer side is 20 px (aspect kept,
//      the shorter side rounded, at least 1 px);
//   4. paste it into a black 28×28 image, centred by its box;
//   5. shift by whole pixels so that the centre of mass lands on (14, 14) in pixel indices —
//      where every MNIST digit has it, within half a pixel — rounding half up, and never so far
//      that ink leaves the image;
//   6. values are floats 0–1, white digit on black.

export const SIZE = 28;
export const BOX = 20;
export const INK_THRESHOLD = 0.1;

/** Ink of an ImageData as a Float32Array (row-major), from its alpha channel. */
export function inkFromImageData(imageData) {
  const { width, height, data } = imageData;
  const ink = new Float32Array(width * height);
  for (let i = 0; i < ink.length; i += 1) ink[i] = data[i * 4 + 3] / 255;
  return { ink, width, height };
}

/** Smallest box holding every pixel with ink ≥ threshold, or null for an empty drawing. */
export function boundingBox({ ink, width, height }) {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      if (ink[y * width + x] >= INK_THRESHOLD) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** Area-average weights: out[i] = Σ_j w[i][j]·in[j], each output cell covering n_in/n_out inputs. */
export function areaWeights(inputLength, outputLength) {
  const weights = [];
  const step = inputLength / outputLength;
  for (let i = 0; i < outputLength; i += 1) {
    const start = i * step;
    const end = start + step;
    const row = [];
    for (let j = Math.floor(start); j < Math.min(Math.ceil(end), inputLength); j += 1) {
      const overlap = Math.min(end, j + 1) - Math.max(start, j);
      if (overlap > 0) row.push([j, overlap / step]);
    }
    weights.push(row);
  }
  return weights;
}

/** Resample the ink inside `box` to outWidth × outHeight with area averaging. */
export function resampleBox({ ink, width }, box, outWidth, outHeight) {
  const across = areaWeights(box.width, outWidth);
  const down = areaWeights(box.height, outHeight);
  const rows = new Float32Array(box.height * outWidth);
  for (let y = 0; y < box.height; y += 1) {
    const base = (box.y + y) * width + box.x;
    for (let i = 0; i < outWidth; i += 1) {
      let sum = 0;
      for (const [j, w] of across[i]) sum += ink[base + j] * w;
      rows[y * outWidth + i] = sum;
    }
  }
  const out = new Float32Array(outWidth * outHeight);
  for (let i = 0; i < outHeight; i += 1) {
    for (let x = 0; x < outWidth; x += 1) {
      let sum = 0;
      for (const [j, w] of down[i]) sum += rows[j * outWidth + x] * w;
      out[i * outWidth + x] = Math.min(1, Math.max(0, sum));
    }
  }
  return out;
}

/** Run every step; returns null for an empty drawing, else the steps and the final 28×28. */
export function preprocess(source) {
  const box = boundingBox(source);
  if (!box) return null;
  const longer = Math.max(box.width, box.height);
  const scaledWidth = Math.max(1, Math.round((box.width * BOX) / longer));
  const scaledHeight = Math.max(1, Math.round((box.height * BOX) / longer));
  const scaled = resampleBox(source, box, scaledWidth, scaledHeight);

  const left = Math.floor((SIZE - scaledWidth) / 2);
  const top = Math.floor((SIZE - scaledHeight) / 2);
  const placed = new Float32Array(SIZE * SIZE);
  let mass = 0, sumX = 0, sumY = 0;
  for (let y = 0; y < scaledHeight; y += 1) {
    for (let x = 0; x < scaledWidth; x += 1) {
      const v = scaled[y * scaledWidth + x];
      placed[(top + y) * SIZE + left + x] = v;
      mass += v;
      sumX += v * (left + x);
      sumY += v * (top + y);
    }
  }
  const centre = SIZE / 2; // MNIST's convention (measured: every training digit within ±0.5 of it)
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const shiftX = clamp(Math.floor(centre - sumX / mass + 0.5), -left, SIZE - left - scaledWidth);
  const shiftY = clamp(Math.floor(centre - sumY / mass + 0.5), -top, SIZE - top - scaledHeight);
  const pixels = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < scaledHeight; y += 1) {
    for (let x = 0; x < scaledWidth; x += 1) {
      pixels[(top + shiftY + y) * SIZE + left + shiftX + x] = scaled[y * scaledWidth + x];
    }
  }
  return {
    box,
    scaled: { pixels: scaled, width: scaledWidth, height: scaledHeight },
    placed,
    shift: { x: shiftX, y: shiftY },
    // Where the 28×28 frame sits over the source canvas (to draw a heat map back onto it).
    frame: {
      x: box.x - ((left + shiftX) * box.width) / scaledWidth,
      y: box.y - ((top + shiftY) * box.height) / scaledHeight,
      width: (SIZE * box.width) / scaledWidth,
      height: (SIZE * box.height) / scaledHeight,
    },
    pixels,
  };
}
