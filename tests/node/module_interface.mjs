// Prints each given ES module's interface as esbuild reads it: what it imports (path and kind:
// static, dynamic, re-export) and what it exports. `node module_interface.mjs FILE…`, run from
// the project folder (esbuild from its node_modules); JSON on stdout, keyed by the file as given.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.cwd(), "package.json"));
const esbuild = require("esbuild");
const interfaces = {};
for (const file of process.argv.slice(2)) {
  // Every relative import external: nothing is pulled in, each file is read on its own.
  const result = esbuild.buildSync({
    entryPoints: [file], bundle: true, external: ["./*"], write: false, metafile: true, format: "esm", logLevel: "silent",
  });
  const input = Object.values(result.metafile.inputs)[0];
  const output = Object.values(result.metafile.outputs)[0];
  interfaces[file] = {
    imports: input.imports.map((entry) => [entry.path, entry.kind]).sort(),
    exports: [...output.exports].sort(),
  };
}
console.log(JSON.stringify(interfaces));
