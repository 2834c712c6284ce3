// Load many exported models with the real @tensorflow/tfjs, each over HTTP as a browser does
// (model.json, then every shard), run them on given inputs and write their outputs: one Node
// process for the whole parity suite, because starting TF.js costs more than running a tiny model.
//
// usage: node tfjs_layers_parity.mjs <cases.json>
// cases.json: {"root": dir, "cases": [{"name": sub-folder of root holding model.json,
//              "inputs": [{"file": "x0.f32", "shape": [2, 8]}, …]}]}
// Each input is little-endian float32; each output is written beside the model as out<i>.f32.
// Prints one JSON report: {"<name>": {"ok": true, "outputs": [shape, …], "weights": [name, …]}
// or {"ok": false, "error": "…"}}. A model that fails is reported, and the others still run.
import { createServer } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import * as tf from '@tensorflow/tfjs';

const [casesPath] = process.argv.slice(2);
const { root, cases } = JSON.parse(await readFile(casesPath, 'utf8'));

const server = createServer(async (request, response) => {
  const path = normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname));
  try {
    const body = await readFile(join(root, path));
    response.writeHead(200, { 'Content-Type': path.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
    response.end(body);
  } catch {
    response.writeHead(404).end();
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

async function readInput({ file, shape }, folder) {
  const raw = await readFile(join(folder, file));
  return tf.tensor(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4), shape);
}

// What TF.js would have named the weights: rebuilds the topology alone, so that a failure to
// match names can be diagnosed (null when the topology itself does not load).
async function expectedWeights(folder) {
  try {
    const { modelTopology } = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8'));
    const model = await tf.models.modelFromJSON({ modelTopology });
    const names = model.weights.map((weight) => weight.originalName);
    model.dispose();
    return names;
  } catch {
    return null;
  }
}

await tf.setBackend('cpu');
const report = {};
for (const { name, inputs } of cases) {
  const folder = join(root, name);
  try {
    const model = await tf.loadLayersModel(`${base}/${name}/model.json`);
    const tensors = await Promise.all(inputs.map((input) => readInput(input, folder)));
    const predicted = model.predict(tensors.length === 1 ? tensors[0] : tensors);
    const outputs = Array.isArray(predicted) ? predicted : [predicted];
    for (const [index, output] of outputs.entries()) {
      const values = await output.data();
      await writeFile(join(folder, `out${index}.f32`), Buffer.from(values.buffer, values.byteOffset, values.byteLength));
    }
    report[name] = {
      ok: true,
      outputs: outputs.map((output) => output.shape),
      weights: model.weights.map((weight) => weight.originalName),
    };
    tf.dispose([...tensors, ...outputs]);
    model.dispose();
  } catch (error) {
    report[name] = { ok: false, error: String(error?.message ?? error), expected: await expectedWeights(folder) };
  }
}
server.close();
console.log(JSON.stringify(report));
