// The light TF.js build against the full library, on the same model and digits.
//
// usage: node light_runtime_parity.mjs <light.js> <full.js> <model dir> <images.u8> <count> <saliency count>
// images.u8: count × 28 × 28 bytes (0 = background). Each build is loaded as the browser loads it
// (a classic script defining the global `tf`), in its own V8 context, runs the CPU backend, reads
// the model from model.json and its shards, and predicts every digit; the saliency maps of the
// first <saliency count> digits come from the page's own saliency.js. Prints a JSON summary.
import { readFile } from "node:fs/promises";
import path from "node:path";
import vm from "node:vm";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const { predictWithSaliency, saliencyMap } = await import(path.join(here, "../../plugins/digit_model/assets/js/saliency.js"));
const [lightPath, fullPath, modelDir, imagesPath, countText, saliencyText] = process.argv.slice(2);
const count = Number(countText);
const saliencyCount = Number(saliencyText);
const images = await readFile(imagesPath);

/** A fresh context with just what TF.js's browser platform needs, holding the build's `tf`. */
async function loadBuild(file) {
  const context = vm.createContext({ console, setTimeout, clearTimeout, TextEncoder, TextDecoder, performance, queueMicrotask });
  vm.runInContext("globalThis.window = globalThis.self = globalThis; globalThis.document = {};", context);
  vm.runInContext(await readFile(file, "utf8"), context, { filename: file });
  return context;
}

async function run(file) {
  const context = await loadBuild(file);
  const modelJson = await readFile(path.join(modelDir, "model.json"), "utf8");
  const shards = await Promise.all(JSON.parse(modelJson).weightsManifest.flatMap((group) => group.paths)
    .map((name) => readFile(path.join(modelDir, name))));
  Object.assign(context, { modelJson, shards, images, count });
  // Arrays and buffers are made inside the context: tfjs-layers checks `instanceof Array`.
  const { tf, model } = await vm.runInContext(`(async () => {
    await tf.setBackend("cpu");
    await tf.ready();
    const parsed = JSON.parse(modelJson);
    const weights = new Uint8Array(shards.reduce((n, shard) => n + shard.length, 0));
    let offset = 0;
    for (const shard of shards) { weights.set(shard, offset); offset += shard.length; }
    const artifacts = await tf.io.getModelArtifactsForJSON(parsed, async (manifest) => [tf.io.getWeightSpecs(manifest), weights.buffer]);
    return { tf, model: await tf.loadLayersModel(tf.io.fromMemory(artifacts)) };
  })()`, context);
  // Typed arrays from this context: TF.js checks `instanceof Float32Array` against its own realm.
  const pixels = new (vm.runInContext("Float32Array", context))(count * 784);
  for (let i = 0; i < pixels.length; i += 1) pixels[i] = images[i] / 255;
  const probabilities = [];
  const batch = 500;
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    const output = tf.tidy(() => model.predict(tf.tensor4d(pixels.subarray(start * 784, (start + size) * 784), [size, 28, 28, 1])));
    probabilities.push(...(await output.data()));
    output.dispose();
  }
  const maps = [];
  // The page's one-pass prediction + saliency against predict() and saliencyMap() apart.
  let fusedProbabilityDifference = 0;
  let fusedSaliencyDifference = 0;
  let fusedTopDisagreements = 0;
  for (let i = 0; i < saliencyCount; i += 1) {
    const input = tf.tensor4d(pixels.subarray(i * 784, (i + 1) * 784), [1, 28, 28, 1]);
    const top = argMax(probabilities.slice(i * 10, i * 10 + 10));
    maps.push(await saliencyMap(tf, model, input, top, "gradient"));
    const fused = await predictWithSaliency(tf, model, input);
    if (fused.top !== top) fusedTopDisagreements += 1;
    fused.probabilities.forEach((p, k) => {
      fusedProbabilityDifference = Math.max(fusedProbabilityDifference, Math.abs(p - probabilities[i * 10 + k]));
    });
    fused.map.forEach((v, j) => { fusedSaliencyDifference = Math.max(fusedSaliencyDifference, Math.abs(v - maps[i][j])); });
    // SmoothGrad adds random noise (so its maps differ run to run); it must run, not match.
    if (i === 0) await saliencyMap(tf, model, input, top, "smoothgrad");
    input.dispose();
  }
  return { probabilities, maps, fusedProbabilityDifference, fusedSaliencyDifference, fusedTopDisagreements, version: tf.version_core ?? tf.version?.["tfjs-core"], tensors: tf.memory().numTensors };
}

function argMax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i += 1) if (values[i] > values[best]) best = i;
  return best;
}

const light = await run(lightPath);
const full = await run(fullPath);
let maxProbabilityDifference = 0;
let argmaxDisagreements = 0;
const lightArgmax = [];
for (let i = 0; i < count; i += 1) {
  const a = light.probabilities.slice(i * 10, i * 10 + 10);
  const b = full.probabilities.slice(i * 10, i * 10 + 10);
  lightArgmax.push(argMax(a));
  if (argMax(a) !== argMax(b)) argmaxDisagreements += 1;
  for (let k = 0; k < 10; k += 1) maxProbabilityDifference = Math.max(maxProbabilityDifference, Math.abs(a[k] - b[k]));
}
let maxSaliencyDifference = 0;
light.maps.forEach((map, i) => map.forEach((value, j) => {
  maxSaliencyDifference = Math.max(maxSaliencyDifference, Math.abs(value - full.maps[i][j]));
}));
console.log(JSON.stringify({
  digits: count, argmaxDisagreements, maxProbabilityDifference, saliencyMaps: light.maps.length, maxSaliencyDifference,
  fused: ["light", "full"].map((name, i) => {
    const run = [light, full][i];
    return { build: name, topDisagreements: run.fusedTopDisagreements, maxProbabilityDifference: run.fusedProbabilityDifference,
             maxSaliencyDifference: run.fusedSaliencyDifference };
  }),
  nonzeroSaliency: light.maps.filter((map) => map.some((value) => value > 0)).length,
  versions: [light.version, full.version], lightArgmax,
}));
