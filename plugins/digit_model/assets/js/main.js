// Page entry point, loaded on every page: it is small and fetches nothing else unless the page
// holds one of our blocks. Each block's code (and TF.js, and the weights) is loaded only when
// the block comes near the viewport, so a block the reader never scrolls to costs nothing.
//
// When a block does come near, everything it needs is requested at once: all of its modules
// (`<link rel="modulepreload">`, instead of one level of imports after another) and, for a
// recognizer, TF.js and the model, whose downloads take longest and would otherwise wait for
// the recognizer's code to run.

/** How near the viewport (CSS pixels above or below it) a block starts loading. */
const NEAR_PX = 200;

/** The static import graph of recognizer.js, itself included (tests/test_main_js.py keeps it so). */
const RECOGNIZER_MODULES = [
  // First what the early downloads need (with tf-loader.js and model-files.js, imported first).
  "./site-config.js", "./sha256.js",
  "./recognizer.js", "./tf-runtime.js", "./personal-model.js", "./fine-tune.js", "./random.js",
  "./personal-store.js", "./dom.js", "./drawing-pad.js", "./i18n.js", "./translations.js", "./preprocess.js",
  "./saliency.js", "./model-files.js", "./tf-loader.js",
];

/**
 * Block selector → `module` (next to this one) and the name of its `mount` export, imported on
 * first use; `modules`: that module's static import graph, itself included, preloaded together;
 * `blockModules(block)`: modules this very block will import once mounted (also preloaded);
 * `startDownloads()`: what else the block needs, started beside its code. Exported for
 * tests/test_main_js.py, which checks the lists against the modules' imports.
 */
export const BLOCKS = {
  ".digit-recognizer": {
    module: "./recognizer.js",
    mount: "mountRecognizer",
    modules: RECOGNIZER_MODULES,
    // The teach panel's code, which the recognizer imports where the panel shows (all panels do
    // when the block names none): fetched with the rest, the panel is built with the block.
    blockModules: (block) => (!block.dataset.panels || /\bteach\b/.test(block.dataset.panels) ? ["./teach.js"] : []),
    // tf-runtime.js takes both over when the recognizer asks for its model: nothing is fetched twice.
    startDownloads: () => Promise.all([
      import("./tf-loader.js").then(({ loadTf }) => loadTf()),
      import("./model-files.js").then(({ startModelDownload }) => startModelDownload()),
    ]),
  },
  ".digit-confusion": {
    module: "./confusion.js",
    mount: "mountConfusion",
    modules: ["./confusion.js", "./sprite.js", ...RECOGNIZER_MODULES],
  },
  ".digit-tutorial": {
    // TF.js and the training data wait for the reader to start training: nothing to start here.
    module: "./tutorial.js",
    mount: "mountTutorial",
    modules: ["./tutorial.js", "./cpu-conv-backprop.js", "./line-chart.js", "./mnist-data.js", "./sprite.js",
      "./tutorial-model.js", ...RECOGNIZER_MODULES],
  },
};

/** Fetch `specifiers` (modules next to this one) side by side, ahead of the imports that need them. */
function preloadModules(specifiers) {
  for (const specifier of specifiers) {
    const href = new URL(specifier, import.meta.url).href;
    if ([...document.head.querySelectorAll('link[rel="modulepreload"]')].some((link) => link.href === href)) continue;
    const link = document.createElement("link");
    link.rel = "modulepreload";
    link.href = href;
    document.head.append(link);
  }
}

/** For one kind of block: a function that, given a block, resolves to the kind's `mount`. The
 * kind's module is imported once, after its downloads have started and its modules are
 * preloaded; a failure is forgotten, so that the next block of the kind tries again. */
function loader(kind) {
  let loading = null;
  return (block) => {
    if (!loading) {
      // A failed early download is reported by the block that needs it, not here.
      kind.startDownloads?.().catch(() => {});
      preloadModules(kind.modules);
      loading = import(new URL(kind.module, import.meta.url).href).then((module) => module[kind.mount]);
      loading.catch(() => { loading = null; });
    }
    if (kind.blockModules) preloadModules(kind.blockModules(block));
    return loading;
  };
}

function mountWhenNear(blocks, loadMount, i18n) {
  // A click that lands before a block's code has loaded (a quick reader, or a click that
  // scrolled the block into view) is replayed once it has, instead of being lost.
  const earlyClicks = new Map();
  const remember = (event) => earlyClicks.set(event.currentTarget, event.target);
  blocks.forEach((block) => block.addEventListener("click", remember));
  const mount = (block) =>
    loadMount(block).then((mountBlock) => {
      mountBlock(block);
      block.removeEventListener("click", remember);
      const target = earlyClicks.get(block);
      earlyClicks.delete(block);
      if (target?.isConnected) target.click();
    }).catch((error) => {
      // A module that fails to load (offline, blocked) must not leave a silent empty box.
      block.dataset.state = "error";
      block.dataset.error = error.message || String(error);
      const message = document.createElement("p");
      message.className = "dr-status dr-status--error";
      block.prepend(message);
      // Without the words (they failed to load too), the browser's own message is still a clue.
      i18n.then(({ t }) => t("main.failed", { error: block.dataset.error }), () => block.dataset.error)
        .then((text) => { message.textContent = text; });
    });
  if (!("IntersectionObserver" in window)) {
    blocks.forEach(mount);
    return;
  }
  // The observer's first report comes with the page's first rendering, which on a theme with
  // much to lay out and run comes well after this: a block near the viewport already starts now.
  // (Not when the address names an anchor: the browser has yet to scroll to it.)
  const nearNow = (block) => {
    const box = block.getBoundingClientRect();
    return !location.hash && box.height > 0 && box.bottom >= -NEAR_PX && box.top <= innerHeight + NEAR_PX;
  };
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        mount(entry.target);
      }
    },
    { rootMargin: `${NEAR_PX}px 0px` },
  );
  blocks.forEach((block) => (nearNow(block) ? mount(block) : observer.observe(block)));
}

function start() {
  const found = Object.entries(BLOCKS)
    .map(([selector, kind]) => [document.querySelectorAll(selector), loader(kind)])
    .filter(([blocks]) => blocks.length);
  if (!found.length) return;
  // User Timing marks (DevTools' Performance panel, benchmarks/browser_tool.py): when our code
  // first runs on a page with blocks, when TF.js has run (tf-loader.js), when a recognizer is ready.
  performance.mark("digit-model:start");
  // The words of the failure message are fetched at once, while the network is known to work,
  // so that a block whose code fails to load later (offline) can still say so.
  const i18n = import("./i18n.js");
  i18n.catch(() => {}); // a failure here is handled where the words are used
  for (const [blocks, loadMount] of found) mountWhenNear(blocks, loadMount, i18n);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
