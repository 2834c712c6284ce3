// Page entry point: turn every `.digit-recognizer` element into a live recognizer when it comes
// near the viewport. Nothing (no TF.js, no weights) is fetched for blocks the reader never
// scrolls to.

import { mountRecognizer } from "./recognizer.js";

function start() {
  const blocks = document.querySelectorAll(".digit-recognizer");
  if (!blocks.length) return;
  if (!("IntersectionObserver" in window)) {
    blocks.forEach(mountRecognizer);
    return;
  }
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        mountRecognizer(entry.target);
      }
    },
    { rootMargin: "200px 0px" },
  );
  blocks.forEach((block) => observer.observe(block));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
