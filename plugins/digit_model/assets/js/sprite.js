// Image sprites written by the build (model_build/png.py): one greyscale PNG in which row i
// holds image i, flattened. The browser's own PNG decoder does the work.

/**
 * Fetch a sprite and return its pixels as floats in 0–1 (row-major, `count` × `pixelsPerImage`).
 * `pixelsPerImage` is the PNG's width; `count` its height.
 */
export async function loadSprite(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  // No colour management or premultiplication: the bytes must come out as they were written.
  const bitmap = await createImageBitmap(await response.blob(), { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = context.getImageData(0, 0, width, height).data;
  const pixels = new Float32Array(width * height);
  for (let i = 0; i < pixels.length; i += 1) pixels[i] = rgba[i * 4] / 255;
  return { pixels, count: height, pixelsPerImage: width };
}
