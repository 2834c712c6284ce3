// Builds the light TF.js runtime: `node tools/light_runtime/build.mjs OUT_FILE`.
//
// TF.js's documented custom-module approach, done here without its CLI: a generated module
// imports tfjs-core's base (no kernels, gradients or chained ops registered), registers the
// kernels runtime.json lists for the first of its backends (the one a page starts on) and the
// gradients of those that have one, and adds the tensor methods and layer classes listed there.
// esbuild bundles entry.js with every import of `@tensorflow/tfjs-core` pointed at that module
// and tfjs-layers' "register every gradient" import emptied, then minifies, into OUT_FILE.
//
// A later backend (WASM: the page moves to it when the reader draws) is a part of its own beside
// OUT_FILE (`tf-light-wasm.min.js`), so that a page that is only read never loads its code: the
// backend, its kernels, and `tf.wasm` set when the part runs. The part takes tfjs-core from the
// page's light build (`tf.partImports`, exactly the names it uses), so that both share one engine
// and one kernel registry. Inputs are the pinned packages of package-lock.json, so the output is
// the same bytes on every machine. Prints a JSON summary on stdout; with LIGHT_METAFILE=path it
// also writes the main file's esbuild metafile there (what each module costs).

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(process.cwd(), "package.json"));
const esbuild = require("esbuild");
const spec = JSON.parse(readFileSync(path.join(here, "runtime.json"), "utf8"));
const CORE = "@tensorflow/tfjs-core/dist";
const BACKENDS = { cpu: "@tensorflow/tfjs-backend-cpu/dist", wasm: "@tensorflow/tfjs-backend-wasm/dist" };
const LAYERS = "@tensorflow/tfjs-layers/dist";

/** The name of the one config a kernel or gradient file exports (`RealDiv_grad` exports
 * `divGradConfig`: the names do not follow the file names everywhere), or null without the file. */
function configExport(specifier, suffix) {
  let file;
  try {
    file = require.resolve(specifier);
  } catch {
    return null;
  }
  const names = [...readFileSync(file, "utf8").matchAll(new RegExp(`export const (\\w+${suffix})\\b`, "g"))].map((m) => m[1]);
  if (names.length !== 1) throw new Error(`${specifier}: expected one export ending in ${suffix}, found ${names.length}`);
  return names[0];
}

function resolvable(specifier) {
  try {
    require.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

/** Import lines that register `backend` (its base module) and the kernels runtime.json lists. */
function backendLines(backend) {
  const dist = BACKENDS[backend];
  if (!dist) throw new Error(`unknown backend ${backend}`);
  const lines = [`import "${dist}/base";`];
  spec.kernels.forEach((kernel, i) => {
    const config = configExport(`${dist}/kernels/${kernel}.js`, "Config");
    if (!config) throw new Error(`the ${backend} backend has no kernel ${kernel}`);
    lines.push(`import { ${config} as ${backend}Kernel${i} } from "${dist}/kernels/${kernel}";`, `registerKernel(${backend}Kernel${i});`);
  });
  return lines;
}

const [FIRST_BACKEND, ...LATER_BACKENDS] = spec.backends;
for (const backend of LATER_BACKENDS) {
  if (backend !== "wasm") throw new Error(`runtime.json: only "wasm" can follow the first backend, not ${backend}`);
}

/** The WASM part's entry: the backend and its kernels, registered with the page's tfjs-core. */
function wasmPart() {
  return [
    `import { registerKernel } from "@tensorflow/tfjs-core";`,
    ...backendLines("wasm"),
    `import { BackendWasm, setWasmPaths } from "${BACKENDS.wasm}/base";`,
    `import { init } from "${BACKENDS.wasm}/backend_wasm";`,
    // Split in two, unlike TF.js's own start: `init` fetches and compiles the binary, `BackendWasm`
    // wraps it, so that the page can prepare the backend while the CPU keeps working (tf-runtime.js).
    `globalThis.tf.wasm = { setWasmPaths, init, BackendWasm };`,
  ].join("\n");
}

/** tfjs-core for a part, read from the page's light build: every export of tfjs-core, each read
 * marked pure, so that the bundler drops the names the part does not use. */
function coreFromPage() {
  const names = Object.keys(require("@tensorflow/tfjs-core")).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name));
  return [
    "const pick = (name) => globalThis.tf.partImports[name];",
    ...names.map((name) => `export const ${name} = /* @__PURE__ */ pick(${JSON.stringify(name)});`),
  ].join("\n");
}

function customCore(partImports) {
  const lines = [
    `import { registerGradient, registerKernel } from "${CORE}/base";`,
    `import * as coreBase from "${CORE}/base";`,
    `import "${CORE}/base_side_effects";`,
    `export * from "${CORE}/base";`,
    ...backendLines(FIRST_BACKEND),
    `export const partImports = { ${partImports.map((name) => `${name}: coreBase.${name}`).join(", ")} };`,
  ];
  spec.kernels.forEach((kernel, i) => {
    const gradient = configExport(`${CORE}/gradients/${kernel}_grad.js`, "GradConfig");
    if (gradient) lines.push(`import { ${gradient} as gradient${i} } from "${CORE}/gradients/${kernel}_grad";`, `registerGradient(gradient${i});`);
  });
  for (const op of spec.chained_ops) {
    if (!resolvable(`${CORE}/public/chained_ops/${op}.js`)) throw new Error(`tfjs-core has no chained op ${op}`);
    lines.push(`import "${CORE}/public/chained_ops/${op}";`);
  }
  for (const module of spec.layer_modules) lines.push(`import "${LAYERS}/layers/${module}";`);
  lines.push(`export const backends = ${JSON.stringify(spec.backends)};`);
  return lines.join("\n");
}

const redirect = (partImports) => ({
  name: "custom-module",
  setup(build) {
    build.onResolve({ filter: /^custom-core$/ }, () => ({ path: "custom-core", namespace: "custom" }));
    // Inside the generated module, tfjs-core's own files are the real ones ...
    build.onLoad({ filter: /.*/, namespace: "custom" }, () => ({ contents: customCore(partImports), resolveDir: process.cwd(), loader: "js" }));
    // ... everywhere else, the package's main entry (which registers everything) becomes ours.
    build.onResolve({ filter: /^@tensorflow\/tfjs-core$/ }, () => ({ path: "custom-core", namespace: "custom" }));
    build.onResolve({ filter: /register_all_gradients$/ }, () => ({ path: "nothing", namespace: "empty" }));
    build.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "", loader: "js" }));
  },
});

/** esbuild options shared by every output: pinned inputs resolved from the working directory. */
const common = {
  absWorkingDir: process.cwd(),
  // entry.js may sit outside the folder that holds node_modules (a wheel build runs `npm ci` in a
  // temporary folder): resolve packages from the working directory's node_modules.
  nodePaths: [path.join(process.cwd(), "node_modules")],
  bundle: true,
  target: "es2017",
  charset: "utf8",
  logLevel: "warning",
};

/** Bundle the WASM part with tfjs-core module `core`; `options`: esbuild's, for the output. */
function buildWasmPart(core, options) {
  return esbuild.build({
    ...common,
    stdin: { contents: wasmPart(), resolveDir: process.cwd(), sourcefile: "wasm-part.js" },
    format: "iife",
    plugins: [{
      name: "core-from-page",
      setup(build) {
        build.onResolve({ filter: /^@tensorflow\/tfjs-core$/ }, () => ({ path: "core", namespace: "page" }));
        build.onLoad({ filter: /.*/, namespace: "page" }, () => ({ contents: core, loader: "js" }));
      },
    }],
    ...options,
  });
}

const out = process.argv[2];
if (!out) {
  console.error("usage: node tools/light_runtime/build.mjs OUT_FILE");
  process.exit(2);
}
if (!existsSync(path.join(process.cwd(), "node_modules", "@tensorflow", "tfjs-core"))) {
  console.error(`no node_modules/@tensorflow/tfjs-core under ${process.cwd()}: run \`npm ci\` there first`);
  process.exit(1);
}
// The parts first: the main file exports to them exactly what they read.
const parts = [];
let partImports = [];
if (LATER_BACKENDS.includes("wasm")) {
  // Which names it reads: from a build that keeps `pick("Name")` readable.
  const probe = await buildWasmPart(coreFromPage(), { write: false, minifySyntax: true });
  partImports = [...new Set([...probe.outputFiles[0].text.matchAll(/pick\("([\w$]+)"\)/g)].map((match) => match[1]))].sort();
  const file = out.replace(/(\.min)?\.js$/, "") + "-wasm.min.js";
  // Every name still: esbuild checks the imports of modules it then drops (the CPU backend's shared
  // kernels the WASM kernels import); the names a part does not read cost nothing.
  const part = await buildWasmPart(coreFromPage(), { minify: true, legalComments: "linked", outfile: file, metafile: true });
  const [, output] = Object.entries(part.metafile.outputs).find(([name]) => name.endsWith(".js"));
  parts.push({ backend: "wasm", file, bytes: output.bytes });
}
const result = await esbuild.build({
  ...common,
  entryPoints: [path.join(here, "entry.js")],
  minify: true,
  format: "iife",
  globalName: "tf",
  legalComments: "linked",
  outfile: out,
  metafile: true,
  plugins: [redirect(partImports)],
});
const inputs = Object.keys(result.metafile.inputs).length;
if (process.env.LIGHT_METAFILE) (await import("node:fs")).writeFileSync(process.env.LIGHT_METAFILE, JSON.stringify(result.metafile));
const [, output] = Object.entries(result.metafile.outputs).find(([name]) => name.endsWith(".js"));
console.log(JSON.stringify({ file: out, bytes: output.bytes, parts, partImports, inputs, esbuild: esbuild.version }));
