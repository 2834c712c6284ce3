// The reader's personal model: the site's model with an output layer fine-tuned in this
// browser (fine-tune.js), saved in IndexedDB (personal-store.js) and put into the one model every
// block of the page shares (tf-runtime.js), so that all of them use it. Changes are announced
// with a `digit-model:personal` event on `document`, whose detail is `personalState()`.
//
// A personal model is only used with the site model it was tuned from (`modelVersion`, the
// content version of the model's files): after the site publishes a new model, the old personal
// weights would not fit it, so they are set aside and the reader is offered to re-apply their
// saved corrections to the new model.

import { applyOutputWeights } from "./fine-tune.js";
import * as store from "./personal-store.js";
import * as siteConfig from "./site-config.js";

const EVENT = "digit-model:personal";
let state = { active: false, stale: false, report: null };
/** The site's own weights of the output layer, kept while a personal model replaces them. */
let siteWeights = null;
let sharedModel = null;

/** `{ active, stale, report }`: whether the personal model is in use, whether one from an older
 * site model was set aside, and the report of its fine-tuning. */
export function personalState() {
  return { ...state };
}

function announce() {
  document.dispatchEvent(new CustomEvent(EVENT, { detail: personalState() }));
}

/** The personal model this browser saved for the site, or null (storage can be unavailable:
 * private browsing, blocked cookies). Looked up while the site's model downloads. */
export async function savedPersonalModel() {
  try {
    if (!(await store.exists())) return null; // a reader who never taught: no database is created
    return (await store.loadPersonalModel()) || null;
  } catch (error) {
    console.info(`digit-model: personal model not loaded (${error.message || error})`);
    return null;
  }
}

/** Called once with the site's model when it loads and what savedPersonalModel() found: puts
 * the saved personal model in, if it was tuned from this very model. */
export function adoptSiteModel(tf, model, saved) {
  sharedModel = model;
  if (!saved) return;
  if (saved.baseVersion !== siteConfig.modelVersion) {
    state = { active: false, stale: true, report: null };
  } else {
    try {
      siteWeights = applyOutputWeights(tf, model, saved.head);
    } catch (error) {
      console.info(`digit-model: personal model not used (${error.message || error})`);
      return; // the site's model still works
    }
    state = { active: true, stale: false, report: saved.report };
  }
  announce(); // panels built before the model loaded show what was found
}

/** Fine-tuning starts from the site's weights, even while the personal model is in use. */
export function siteOutputWeights() {
  return siteWeights;
}

/** Use (and keep) `weights` fine-tuned from the site's model. */
export async function usePersonal(tf, weights, report) {
  await store.savePersonalModel({ baseVersion: siteConfig.modelVersion, head: weights, report });
  const replaced = applyOutputWeights(tf, sharedModel, weights);
  siteWeights = siteWeights || replaced;
  state = { active: true, stale: false, report };
  announce();
}

/** The site's own output layer back in the shared model, then `forget` the saved data. */
async function backToSiteModel(tf, forget) {
  if (siteWeights && sharedModel) applyOutputWeights(tf, sharedModel, siteWeights);
  siteWeights = null;
  await forget();
  state = { active: false, stale: false, report: null };
  announce();
}

/** Back to the site's model; the saved corrections stay (the reader may tune again). */
export function useSiteModel(tf) {
  return backToSiteModel(tf, store.deletePersonalModel);
}

/** Back to the site's model, and delete everything this browser saved for it. */
export function eraseEverything(tf) {
  return backToSiteModel(tf, store.eraseEverything);
}
