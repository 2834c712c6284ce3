// TF.js itself: which build this page loads, and the one classic script that loads it (it
// defines the global `tf`). Kept apart from tf-runtime.js, which needs more code, so that main.js
// can start the download as soon as a recognizer comes near the viewport, while the recognizer's
// own modules are still arriving; a page whose recognizer never comes into view never loads it.
//
// Which script: the light build (just what the recognizer, its saliency maps and the teach panel
// run, on the CPU backend: a fraction of the bytes; its WASM backend is a script of its own,
// loaded by tf-runtime.js when the reader draws), unless the page holds a block that trains a
// model (the tutorial) or the site asked for the full library.

import * as siteConfig from "./site-config.js";

let tfPromise = null;

/** Add the classic script at `src` (with its Subresource Integrity, if any) to the page; resolves once it has run. */
export function loadScript(src, integrity) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    // An inserted script is fetched at low priority by default, behind the page's other requests;
    // this one is what a recognizer waits for.
    script.fetchPriority = "high";
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
 * order at start; `later`: tried once the reader starts drawing (tf-runtime's upgradeBackend). The
 * light build starts on its first backend (CPU: nothing more to fetch, and it always starts), and
 * moves to the next (WASM, ~2–3× faster a step, but its own script and a .wasm binary to fetch
 * and compile) only for a reader who draws; a page that is only read never fetches either.
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
      performance.mark("digit-model:tfjs");
      return globalThis.tf;
    });
    tfPromise.catch(() => { tfPromise = null; }); // allow a retry after a network error
  }
  return tfPromise;
}
