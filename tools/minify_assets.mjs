// Minifies the plugin's own browser code and stylesheet for the package:
// `node tools/minify_assets.mjs SOURCE_DIR OUT_DIR` (run by tools/bundle_runtime.py).
//
// Each file on its own, with esbuild's transform rather than a bundle: every module keeps its
// file name, its imports and its exports, so the page loads the same module graph (and
// main.js's modulepreload lists stay true), only smaller. What goes is whitespace, comments and
// local names. Non-ASCII text (the zh-TW words are in translations.js, generated per site, but
// comments and strings hold some) is kept as UTF-8 rather than \u escapes. Prints a JSON summary
// on stdout: esbuild's version and, per file, its bytes before and after.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [source, out] = process.argv.slice(2);
if (!source || !out) {
  console.error("usage: node tools/minify_assets.mjs SOURCE_DIR OUT_DIR");
  process.exit(2);
}
const require = createRequire(path.join(process.cwd(), "package.json"));
const esbuild = require("esbuild");
const LOADERS = { ".js": "js", ".css": "css" };

function* filesBelow(folder) {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) yield* filesBelow(full);
    else if (entry.isFile()) yield full;
  }
}

const files = {};
for (const file of [...filesBelow(source)].sort()) {
  const loader = LOADERS[path.extname(file)];
  if (!loader) continue;
  const relative = path.relative(source, file).split(path.sep).join("/");
  const code = readFileSync(file, "utf8");
  // format "esm" keeps import/export as they are; no target: the syntax is left as written.
  const result = esbuild.transformSync(code, {
    loader, minify: true, charset: "utf8", legalComments: "none", ...(loader === "js" ? { format: "esm" } : {}),
    sourcefile: relative,
  });
  const target = path.join(out, relative);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, result.code);
  files[relative] = { before: Buffer.byteLength(code), after: Buffer.byteLength(result.code) };
}
console.log(JSON.stringify({ esbuild: esbuild.version, files }));
