// One TF.js runtime and one model per page, however many recognizers it holds.
//
// TF.js itself is a classic script (it defines the global `tf`), injected on first use so that a
// page whose recognizer never comes into view never downloads it. The backend is the first of
// WebGL → WASM → CPU that starts; which one won is reported to the page.

import * as siteConfig from "./site-config.js";

let tfPromise = null;
let backendPromise = null;
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

/** The global `tf`, loading TF.js once. */
export function loadTf() {
  if (!tfPromise) {
    tfPromise = (globalThis.tf ? Promise.resolve() : loadScript(siteConfig.tfjsSrc, siteConfig.tfjsIntegrity)).then(
      () => globalThis.tf,
    );
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
  // Emulated WebGL runs this small model several times slower than the plain CPU backend
  // (measured in headless Chromium: ~38 ms against ~10 ms per step), so it is skipped.
  if (name === "webgl" && !allowSoftwareWebGL && webglIsSoftware()) {
    console.info("digit-model: WebGL is software-emulated here; trying the next backend");
    return false;
  }
  try {
    if (name === "wasm" && !tf.findBackend("wasm")) {
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

/** Pick the fastest backend that works here; resolves to its name. */
export function chooseBackend(preferred = ["webgl", "wasm", "cpu"]) {
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

/** The layers model at `url` (default: the site's), loaded once; `onProgress(fraction)`. */
export function loadModel(url = siteConfig.modelUrl, onProgress = () => {}) {
  if (!modelPromises.has(url)) {
    const promise = chooseBackend().then((backend) =>
      globalThis.tf.loadLayersModel(url, { onProgress }).then((model) => ({ model, backend })),
    );
    promise.catch(() => modelPromises.delete(url));
    modelPromises.set(url, promise);
  }
  return modelPromises.get(url);
}
