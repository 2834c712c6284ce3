// What main.js (a copy as .mjs, argv[2]) preloads for each kind of block, as JSON on stdout:
// { selector: { module, modules, blockModules: { all, some } } }, where `all` is what it adds for a
// block that names no panels (all of them) and `some` for one with only canvas and probabilities.
// A stand-in `document` lets the entry point load outside a page (it finds no blocks).
import { pathToFileURL } from "node:url";

globalThis.document = { readyState: "complete", querySelectorAll: () => [] };
const { BLOCKS } = await import(pathToFileURL(process.argv[2]).href);
const blocks = { all: { dataset: {} }, some: { dataset: { panels: "canvas probabilities" } } };
const kinds = Object.entries(BLOCKS).map(([selector, { module, modules, blockModules }]) => [selector, {
  module,
  modules,
  blockModules: Object.fromEntries(Object.entries(blocks).map(([name, block]) => [name, blockModules ? blockModules(block) : []])),
}]);
console.log(JSON.stringify(Object.fromEntries(kinds)));
