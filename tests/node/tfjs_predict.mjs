// Load a TF.js Layers model over HTTP with the real @tensorflow/tfjs (as a browser would:
// model.json, then every shard) and write its predictions for a batch of images.
//
// usage: node tfjs_predict.mjs <model.json URL> <images.f32> <count> <probabilities.f32 out>
// images.f32: count × 28 × 28 little-endian float32 in [0, 1]; output: count × 10 float32.
import { readFile, writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';

const [modelUrl, imagesPath, countText, outputPath] = process.argv.slice(2);
const count = Number(countText);

await tf.setBackend('cpu');
const model = await tf.loadLayersModel(modelUrl);
const raw = await readFile(imagesPath);
const pixels = new Float32Array(raw.buffer, raw.byteOffset, count * 28 * 28);
const probabilities = tf.tidy(() => model.predict(tf.tensor4d(pixels, [count, 28, 28, 1])));
const values = await probabilities.data();
await writeFile(outputPath, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
console.log(JSON.stringify({ backend: tf.getBackend(), inputs: model.inputs[0].shape, outputs: count }));
