// The model's files, fetched here rather than by TF.js's http loader: every URL keeps the model's
// version query (`model.json?v=…`, written by the build), a failed request names its file and
// status, and each weight shard is checked against the SHA-256 that model.json records
// (`userDefinedMetadata.weightsSha256`) before TF.js sees it, so a cache that mixes an old shard
// with a new model.json gives a clear error instead of a model that predicts garbage.
//
// Kept apart from tf-runtime.js (which needs more code) so that main.js can start the download
// as soon as a recognizer comes near the viewport (startModelDownload); tf-runtime's loadModel
// then takes that download over instead of fetching the files again (takeModelDownload).

import * as siteConfig from "./site-config.js";
import { sha256Hex } from "./sha256.js";

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
 * `early`: shard name → the promise of its bytes, for shards whose download already began.
 */
async function fetchWeights(modelJson, modelUrl, onProgress, early) {
  const paths = modelJson.weightsManifest.flatMap((group) => group.paths);
  const hashes = modelJson.userDefinedMetadata?.weightsSha256;
  let done = 0;
  const shards = await Promise.all(paths.map(async (path) => {
    const shard = await (early.get(path) || fetchModelFile(path, modelUrl));
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

/**
 * One download of a model: model.json and its verified weights. The site's model's shards are
 * named in site-config.js, so they are fetched beside model.json rather than after it (checked
 * all the same, once model.json is here). Its progress can be followed by whoever takes it over,
 * however late.
 */
class ModelDownload {
  constructor(modelUrl) {
    this.fraction = 0;
    this.listeners = [];
    const named = modelUrl === siteConfig.modelUrl ? siteConfig.modelWeightFiles || [] : [];
    const early = new Map(named.map((path) => [path, fetchModelFile(path, modelUrl)]));
    // A shard that fails is reported when model.json asks for it, not as an unhandled rejection.
    early.forEach((shard) => shard.catch(() => {}));
    this.files = fetchModelJson(modelUrl).then(async (modelJson) => ({
      modelJson,
      weightData: await fetchWeights(modelJson, modelUrl, (fraction) => {
        this.fraction = fraction;
        for (const listener of this.listeners) listener(fraction);
      }, early),
    }));
  }

  /** Call `listener(fraction)` as each shard arrives (at once for those already here). */
  onProgress(listener) {
    this.listeners.push(listener);
    if (this.fraction) listener(this.fraction);
  }
}

/** Model URL → its download, started ahead of need, until taken over (then null, so that a
 * late start does not download it again). */
const downloads = new Map();

/** Start downloading the model at `modelUrl` (default: the site's) unless that has begun. */
export function startModelDownload(modelUrl = siteConfig.modelUrl) {
  if (!downloads.has(modelUrl)) {
    const download = new ModelDownload(modelUrl);
    // A failure is reported to whoever takes the download over, not as an unhandled rejection.
    download.files.catch(() => {});
    downloads.set(modelUrl, download);
  }
}

/**
 * The download of the model at `modelUrl`: the one startModelDownload began, else a new one. A
 * download is handed over once: a later call (a retry after a failure) downloads anew.
 * `files` resolves to `{ modelJson, weightData }` or rejects with a ModelLoadError.
 */
export function takeModelDownload(modelUrl = siteConfig.modelUrl) {
  const download = downloads.get(modelUrl) || new ModelDownload(modelUrl);
  downloads.set(modelUrl, null);
  return download;
}
