// Page entry point, loaded on every page: it is tiny and fetches nothing else unless the page
// holds one of our blocks. Each block's code (and TF.js, and the weights) is loaded only when
// the block comes near the viewport, so a block the reader never scrolls to costs nothing.

/** Block selector → module that mounts it (`mount(element)`), imported on first use. */
const BLOCKS = {
  ".digit-recognizer": () => import("./recognizer.js").then((module) => module.mountRecognizer),
  ".digit-confusion": () => import("./confusion.js").then((module) => module.mountConfusion),
  ".digit-tutorial": () => import("./tutorial.js").then((module) => module.mountTutorial),
};

function mountWhenNear(blocks, loadMount, i18n) {
  // A click that lands before a block's code has loaded (a quick reader, or a click that
  // scrolled the block into view) is replayed once it has, instead of being lost.
  const earlyClicks = new Map();
  const remember = (event) => earlyClicks.set(event.currentTarget, event.target);
  blocks.forEach((block) => block.addEventListener("click", remember));
  const mount = (block) =>
    loadMount().then((mountBlock) => {
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
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        mount(entry.target);
      }
    },
    { rootMargin: "200px 0px" },
  );
  blocks.forEach((block) => observer.observe(block));
}

function start() {
  const found = Object.entries(BLOCKS)
    .map(([selector, loadMount]) => [document.querySelectorAll(selector), loadMount])
    .filter(([blocks]) => blocks.length);
  if (!found.length) return;
  // The words of the failure message are fetched at once, while the network is known to work,
  // so that a block whose code fails to load later (offline) can still say so.
  const i18n = import("./i18n.js");
  i18n.catch(() => {}); // a failure here is handled where the words are used
  for (const [blocks, loadMount] of found) mountWhenNear(blocks, loadMount, i18n);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
