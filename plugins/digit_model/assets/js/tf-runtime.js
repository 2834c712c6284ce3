// One TF.js runtime and one model per page, however many recognizers it holds.
//
// TF.js itself is a classic script (it defines the global `tf`), injected on first use so that a
// page whose recognizer never comes into view never downloads it. Which script: the light build
// (just what the recognizer, its saliency maps and the teach panel run, CPU and WASM backends: a
// fraction of the bytes), unless the page holds a block that trains a model (the tutorial) or
// the site asked for the full library. The light build starts on the CPU and moves to WASM when
// the reader draws (pageBuild, upgradeBackend); the full library starts on the first of
// WebGL → WASM → CPU that works. The backend in use is reported to the page.
//
// The model's files are fetched here, not by TF.js's http loader: every URL keeps the model's
// version query (`model.json?v=…`, written by the build), a failed request names its file and
// status, and each weight shard is checked against the SHA-256 that model.json records
// (`userDefinedMetadata.weightsSha256`) before TF.js sees it, so a cache that mixes an old shard
// with a new model.json gives a clear error instead of a model that predicts garbage.

import * as siteConfig from "./site-config.js";
import { adoptSiteModel } from "./personal-model.js";
import { sha256Hex } from "./sha256.js";

let tfPromise = null;
let backendPromise = null;
let upgradePromise = null;
let wasmPrepared = null;
const modelPromises = new Map();

function loadScript(src, integrity) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    if (integrity) {
      script.integrity = integrity;
      script.crossOrigin = "anonymous";
    }
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

/**
 * The TF.js build this page loads: {name, src, integrity, backends, later}. `backends`: tried in
 * order at start; `later`: tried once the reader starts drawing (upgradeBackend). The light
 * build starts on its first backend (CPU: nothing more to fetch, and it always starts), and
 * moves to the next (WASM, ~2–3× faster a step, but a .wasm binary to fetch and compile) only
 * for a reader who draws; a page that is only read never fetches the binary.
 */
export function pageBuild() {
  const light = siteConfig.tfjsLightSrc && !document.querySelector(siteConfig.tfjsFullFor);
  if (!light) {
    return { name: "full", src: siteConfig.tfjsSrc, integrity: siteConfig.tfjsIntegrity, backends: ["webgl", "wasm", "cpu"], later: [] };
  }
  const [first, ...later] = siteConfig.tfjsLightBackends;
  return { name: "light", src: siteConfig.tfjsLightSrc, integrity: null, backends: [first], later };
}

/** The global `tf`, loading TF.js once. */
export function loadTf() {
  if (!tfPromise) {
    const build = pageBuild();
    tfPromise = (globalThis.tf ? Promise.resolve() : loadScript(build.src, build.integrity)).then(() => {
      // The light build holds the WASM backend: tell it where its binaries are before anything
      // can start it (it fetches them when it first starts).
      if (globalThis.tf.build?.backends.includes("wasm")) globalThis.tf.wasm.setWasmPaths(siteConfig.wasmDir);
      return globalThis.tf;
    });
    tfPromise.catch(() => { tfPromise = null; }); // allow a retry after a network error
  }
  return tfPromise;
}

/**
 * Switch to backend `name` (loading the WASM backend on demand); resolves to true if it runs.
 * Unlike the automatic choice, this also accepts a software-emulated WebGL.
 */
export async function useBackend(name) {
  return tryBackend(await loadTf(), name, { allowSoftwareWebGL: true });
}

/** True when WebGL is missing or emulated on the CPU (SwiftShader, llvmpipe). */
function webglIsSoftware() {
  const gl = document.createElement("canvas").getContext("webgl2") || document.createElement("canvas").getContext("webgl");
  if (!gl) return true;
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  gl.getExtension("WEBGL_lose_context")?.loseContext();
  return /swiftshader|llvmpipe|software/i.test(renderer);
}

async function tryBackend(tf, name, { allowSoftwareWebGL = false } = {}) {
  const build = pageBuild();
  if (![...build.backends, ...build.later].includes(name)) return false; // not in this page's build
  // Emulated WebGL runs this small model several times slower than the plain CPU backend
  // (measured in headless Chromium: ~38 ms against ~10 ms per step), so it is skipped.
  if (name === "webgl" && !allowSoftwareWebGL && webglIsSoftware()) {
    console.info("digit-model: WebGL is software-emulated here; trying the next backend");
    return false;
  }
  try {
    if (name === "wasm" && tf.build?.backends.includes("wasm")) await prepareLightWasm(tf);
    if (name === "wasm" && !tf.build && !tf.findBackend("wasm")) { // the full library: its WASM backend is a script of its own
      if (!siteConfig.wasmSrc) return false;
      await loadScript(siteConfig.wasmSrc, siteConfig.wasmIntegrity);
      tf.wasm.setWasmPaths(siteConfig.wasmDir);
    }
    if (!(await tf.setBackend(name))) return false;
    await tf.ready();
    tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync()); // a backend that cannot compute fails here
    return true;
  } catch (error) {
    console.info(`digit-model: TF.js backend ${name} unavailable (${error.message || error})`);
    return false;
  }
}

/**
 * Fetch and compile the light build's WASM binary while the page keeps computing on the CPU,
 * then register a backend that starts at once. (TF.js's own factory starts asynchronously, and
 * while a backend is starting every TF.js call on the page throws.)
 */
function prepareLightWasm(tf) {
  if (!wasmPrepared) {
    wasmPrepared = tf.wasm.init().then(({ wasm }) => {
      tf.removeBackend("wasm");
      tf.registerBackend("wasm", () => new tf.wasm.BackendWasm(wasm), 2);
    });
    wasmPrepared.catch(() => {}); // reported by tryBackend, which awaits it
  }
  return wasmPrepared;
}

/** Pick the fastest backend that works here; resolves to its name. */
export function chooseBackend(preferred = pageBuild().backends) {
  if (!backendPromise) {
    backendPromise = loadTf().then(async (tf) => {
      for (const name of preferred) {
        if (await tryBackend(tf, name)) return name;
      }
      throw new Error("no TF.js backend could start");
    });
  }
  return backendPromise;
}

/**
 * Move to the page build's `later` backends (the light build: WASM), once: called when the
 * reader starts drawing. Resolves to the backend in use; announces a change to the page with a
 * `digit-model:backend` event on `document` (detail: the backend's name). Where the faster
 * backend cannot start (a Content-Security-Policy without 'wasm-unsafe-eval', no WebAssembly),
 * the page stays where it is.
 */
export function upgradeBackend() {
  if (!upgradePromise) {
    upgradePromise = chooseBackend().then(async (current) => {
      for (const name of pageBuild().later) {
        if (await tryBackend(globalThis.tf, name)) {
          document.dispatchEvent(new CustomEvent("digit-model:backend", { detail: name }));
          return name;
        }
      }
      if (globalThis.tf.getBackend() !== current) await tryBackend(globalThis.tf, current);
      return current;
    });
  }
  return upgradePromise;
}

/** Why the model could not be loaded. `reason`: "http" (with `status`), "network", "mismatch"
 * or "format"; `file`: the name of the file at fault (model.json or a shard). */
export class ModelLoadError extends Error {
  constructor(reason, file, message, { status = null, cause } = {}) {
    super(message, { cause });
    this.name = "ModelLoadError";
    this.reason = reason;
    this.file = file;
    this.status = status;
  }
}

/** The URL of `name` next to the model at `modelUrl`, with the model's version query (`?v=…`). */
export function modelFileUrl(name, modelUrl = siteConfig.modelUrl) {
  const model = new URL(modelUrl, document.baseURI);
  const url = new URL(name, model);
  url.search = model.search;
  return url.href;
}

/** The bytes of `name` (next to the model), or a ModelLoadError naming it. */
export async function fetchModelFile(name, modelUrl = siteConfig.modelUrl) {
  try {
    const response = await fetch(modelFileUrl(name, modelUrl));
    if (!response.ok) {
      const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
      throw new ModelLoadError("http", name, `could not load ${name}: ${status}`, { status: response.status });
    }
    return await response.arrayBuffer();
  } catch (error) {
    if (error instanceof ModelLoadError) throw error;
    throw new ModelLoadError("network", name, `could not download ${name} (${error.message || error})`, { cause: error });
  }
}

/** model.json, parsed and checked for what a layers model needs. */
async function fetchModelJson(modelUrl) {
  const name = decodeURIComponent(new URL(modelUrl, document.baseURI).pathname.split("/").pop());
  const bytes = await fetchModelFile(name, modelUrl);
  let modelJson;
  try {
    modelJson = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ModelLoadError("format", name, `${name} is not JSON`);
  }
  if (!modelJson?.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
    throw new ModelLoadError("format", name, `${name} is not a TF.js layers model (no modelTopology or weightsManifest)`);
  }
  return modelJson;
}

/**
 * Every weight shard in manifest order, concatenated into one ArrayBuffer, each checked against
 * the SHA-256 that model.json records for it (a model.json without hashes loads unchecked).
 */
async function fetchWeights(modelJson, modelUrl, onProgress) {
  const paths = modelJson.weightsManifest.flatMap((group) => group.paths);
  const hashes = modelJson.userDefinedMetadata?.weightsSha256;
  let done = 0;
  const shards = await Promise.all(paths.map(async (path) => {
    const shard = await fetchModelFile(path, modelUrl);
    if (hashes) {
      if (typeof hashes[path] !== "string") {
        throw new ModelLoadError("format", path, `model.json records no SHA-256 for ${path}`);
      }
      if ((await sha256Hex(shard)) !== hashes[path].toLowerCase()) {
        throw new ModelLoadError(
          "mismatch", path,
          `${path} does not match the model it belongs to (the site was probably updated while this page was open)`,
        );
      }
    }
    done += 1;
    onProgress(done / paths.length);
    return new Uint8Array(shard);
  }));
  const weights = new Uint8Array(shards.reduce((total, shard) => total + shard.byteLength, 0));
  let offset = 0;
  for (const shard of shards) {
    weights.set(shard, offset);
    offset += shard.byteLength;
  }
  return weights.buffer;
}

/** model.json and its verified weights (fetched while TF.js loads). */
async function fetchModel(modelUrl, onProgress) {
  const modelJson = await fetchModelJson(modelUrl);
  return { modelJson, weightData: await fetchWeights(modelJson, modelUrl, onProgress) };
}

/**
 * The layers model at `url` (default: the site's), loaded once; `onProgress(fraction)` as each
 * shard arrives. Rejects with a ModelLoadError when a file is missing, unreachable or not the
 * one model.json expects.
 */
export function loadModel(url = siteConfig.modelUrl, onProgress = () => {}) {
  if (!modelPromises.has(url)) {
    const promise = Promise.all([chooseBackend(), fetchModel(url, onProgress)]).then(async ([backend, { modelJson, weightData }]) => {
      const tf = globalThis.tf;
      const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => [tf.io.getWeightSpecs(manifest), weightData]);
      const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      // The site's model carries the reader's personal output layer, if they taught it one here.
      if (url === siteConfig.modelUrl) await adoptSiteModel(tf, model);
      return { model, backend };
    });
    promise.catch(() => modelPromises.delete(url));
    modelPromises.set(url, promise);
  }
  return modelPromises.get(url);
}
