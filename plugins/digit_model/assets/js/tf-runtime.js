// One TF.js runtime and one model per page, however many recognizers it holds.
//
// TF.js itself is loaded by tf-loader.js (the light build or the full library) and the model's
// files are fetched and checked by model-files.js; both may have started before this module
// loads (main.js starts them when a recognizer comes near the viewport). Here: the backend and
// the model. The light build starts on the CPU and moves to WASM when the reader draws
// (pageBuild, upgradeBackend), loading the WASM backend's own script then; the full library
// starts on the first of WebGL → WASM → CPU that works. The backend in use is reported to the page.

import * as siteConfig from "./site-config.js";
import { adoptSiteModel, savedPersonalModel } from "./personal-model.js";
import { takeModelDownload } from "./model-files.js";
import { loadScript, loadTf, pageBuild } from "./tf-loader.js";

export { fetchModelFile, ModelLoadError, modelFileUrl } from "./model-files.js";
export { loadTf, pageBuild } from "./tf-loader.js";

let backendPromise = null;
let upgradePromise = null;
let wasmPrepared = null;
const modelPromises = new Map();

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

/**
 * True where the page may compile WebAssembly: an 8-byte empty module, compiled before the WASM
 * backend's script and binary (~510 KB) are downloaded, fails at once under a
 * Content-Security-Policy without 'wasm-unsafe-eval', or without WebAssembly.
 */
async function wasmCompiles() {
  try {
    await WebAssembly.compile(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
    return true;
  } catch {
    return false;
  }
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
  if (name === "wasm" && !(await wasmCompiles())) {
    console.info("digit-model: WebAssembly cannot compile on this page (its Content-Security-Policy?); not loading the WASM backend");
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
 * Load the light build's WASM backend (a script of its own, which sets `tf.wasm`), fetch and
 * compile its binary while the page keeps computing on the CPU, then register a backend that
 * starts at once. (TF.js's own factory starts asynchronously, and while a backend is starting
 * every TF.js call on the page throws.)
 */
function prepareLightWasm(tf) {
  if (!wasmPrepared) {
    wasmPrepared = (tf.wasm ? Promise.resolve() : loadScript(siteConfig.tfjsLightWasmSrc)).then(() => {
      tf.wasm.setWasmPaths(siteConfig.wasmDir); // where its binaries are, before it fetches one
      return tf.wasm.init();
    }).then(({ wasm }) => {
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

/**
 * The layers model at `url` (default: the site's), loaded once; `onProgress(fraction)` as each
 * shard arrives. Rejects with a ModelLoadError when a file is missing, unreachable or not the
 * one model.json expects.
 */
export function loadModel(url = siteConfig.modelUrl, onProgress = () => {}) {
  if (!modelPromises.has(url)) {
    const download = takeModelDownload(url);
    download.onProgress(onProgress);
    // The site's model carries the reader's personal output layer, if they taught it one here:
    // looked up in IndexedDB while the model downloads, not after.
    const personal = url === siteConfig.modelUrl ? savedPersonalModel() : null;
    const promise = Promise.all([chooseBackend(), download.files]).then(async ([backend, { modelJson, weightData }]) => {
      const tf = globalThis.tf;
      const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => [tf.io.getWeightSpecs(manifest), weightData]);
      const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      if (personal) adoptSiteModel(tf, model, await personal);
      return { model, backend };
    });
    promise.catch(() => modelPromises.delete(url));
    modelPromises.set(url, promise);
  }
  return modelPromises.get(url);
}
