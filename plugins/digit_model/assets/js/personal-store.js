// What a reader teaches the model, kept in this browser only (IndexedDB): the corrected
// drawings, and the personal model's head weights fine-tuned from them. Nothing here is ever
// sent anywhere; `eraseEverything` deletes the whole database.

const DATABASE = "digit-model-personal";
const VERSION = 1;
const CORRECTIONS = "corrections";
const MODELS = "models";
/** The one personal model a site keeps (the key of its record in MODELS). */
const PERSONAL = "personal";

let opening = null;

function request(idbRequest) {
  return new Promise((resolve, reject) => {
    idbRequest.onsuccess = () => resolve(idbRequest.result);
    idbRequest.onerror = () => reject(idbRequest.error);
  });
}

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const opened = indexedDB.open(DATABASE, VERSION);
      opened.onupgradeneeded = () => {
        opened.result.createObjectStore(CORRECTIONS, { keyPath: "id", autoIncrement: true });
        opened.result.createObjectStore(MODELS, { keyPath: "name" });
      };
      opened.onsuccess = () => {
        // Another tab erasing everything must not wait for this one to close.
        opened.result.onversionchange = () => { opened.result.close(); opening = null; };
        resolve(opened.result);
      };
      opened.onerror = () => reject(opened.error);
      opened.onblocked = () => reject(new Error("the personal-data database is open elsewhere"));
    });
    opening.catch(() => { opening = null; });
  }
  return opening;
}

async function withStore(name, mode, work) {
  const database = await open();
  const transaction = database.transaction(name, mode);
  const result = await work(transaction.objectStore(name));
  await new Promise((resolve, reject) => {
    transaction.oncomplete = resolve;
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error || new Error("transaction aborted"));
  });
  return result;
}

/**
 * Keep one correction: `pixels` (the 784 inputs the model saw), `strokes` (in canvas fractions),
 * `label` (what the reader says it is), `predicted` (what the model said). Resolves to its id.
 */
export function addCorrection({ pixels, strokes, label, predicted, modelVersion }) {
  const record = { pixels: Float32Array.from(pixels), strokes, label, predicted, modelVersion, created: Date.now() };
  return withStore(CORRECTIONS, "readwrite", (store) => request(store.add(record)));
}

/** True when this browser may hold the database, found out without creating it. */
export async function exists() {
  if (!("indexedDB" in globalThis)) return false;
  if (opening || !indexedDB.databases) return true;
  return (await indexedDB.databases()).some((database) => database.name === DATABASE);
}

/** Every saved correction, oldest first (reading creates no database). */
export async function listCorrections() {
  if (!(await exists())) return [];
  return withStore(CORRECTIONS, "readonly", (store) => request(store.getAll()));
}

export function deleteCorrection(id) {
  return withStore(CORRECTIONS, "readwrite", (store) => request(store.delete(id)));
}

/** Keep the personal model: `head` is `{ names, shapes, values }` (values: Float32Arrays). */
export function savePersonalModel({ baseVersion, head, report }) {
  const record = { name: PERSONAL, baseVersion, head, report, created: Date.now() };
  return withStore(MODELS, "readwrite", (store) => request(store.put(record)));
}

/** The personal model, or undefined. */
export function loadPersonalModel() {
  return withStore(MODELS, "readonly", (store) => request(store.get(PERSONAL)));
}

export function deletePersonalModel() {
  return withStore(MODELS, "readwrite", (store) => request(store.delete(PERSONAL)));
}

/** Delete the database: every correction and the personal model. */
export async function eraseEverything() {
  if (opening) {
    (await opening.catch(() => null))?.close();
    opening = null;
  }
  await request(indexedDB.deleteDatabase(DATABASE));
}
