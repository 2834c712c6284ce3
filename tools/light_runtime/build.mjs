// Builds the light TF.js runtime: `node tools/light_runtime/build.mjs OUT_FILE`.
//
// TF.js's documented custom-module approach, done here without its CLI: a generated module
// imports tfjs-core's base (no kernels, gradients or chained ops registered), registers the CPU
// kernels runtime.json lists and the gradients of those that have one, and adds the tensor
// methods and layer classes listed there. esbuild bundles entry.js with every import of
// `@tensorflow/tfjs-core` pointed at that module and tfjs-layers' "register every gradient"
// import emptied, then minifies. Inputs are the pinned packages of package-lock.json, so the
// output is the same bytes on every machine. Prints a JSON summary on stdout; with
// LIGHT_METAFILE=path it also writes esbuild's metafile there (what each module costs).

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

function customCore() {
  const lines = [
    `import { registerGradient, registerKernel } from "${CORE}/base";`,
    `import "${CORE}/base_side_effects";`,
    `export * from "${CORE}/base";`,
  ];
  for (const backend of spec.backends) {
    const dist = BACKENDS[backend];
    if (!dist) throw new Error(`unknown backend ${backend}`);
    lines.push(`import "${dist}/base";`);
    spec.kernels.forEach((kernel, i) => {
      const config = configExport(`${dist}/kernels/${kernel}.js`, "Config");
      if (!config) throw new Error(`the ${backend} backend has no kernel ${kernel}`);
      lines.push(`import { ${config} as ${backend}Kernel${i} } from "${dist}/kernels/${kernel}";`, `registerKernel(${backend}Kernel${i});`);
    });
  }
  if (spec.backends.includes("wasm")) {
    lines.push(`export { BackendWasm, setWasmPaths } from "${BACKENDS.wasm}/base";`, `export { init as initWasm } from "${BACKENDS.wasm}/backend_wasm";`);
  }
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

const redirect = {
  name: "custom-module",
  setup(build) {
    build.onResolve({ filter: /^custom-core$/ }, () => ({ path: "custom-core", namespace: "custom" }));
    // Inside the generated module, tfjs-core's own files are the real ones ...
    build.onLoad({ filter: /.*/, namespace: "custom" }, () => ({ contents: customCore(), resolveDir: process.cwd(), loader: "js" }));
    // ... everywhere else, the package's main entry (which registers everything) becomes ours.
    build.onResolve({ filter: /^@tensorflow\/tfjs-core$/ }, () => ({ path: "custom-core", namespace: "custom" }));
    build.onResolve({ filter: /register_all_gradients$/ }, () => ({ path: "nothing", namespace: "empty" }));
    build.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "", loader: "js" }));
  },
};

const out = process.argv[2];
if (!out) {
  console.error("usage: node tools/light_runtime/build.mjs OUT_FILE");
  process.exit(2);
}
if (!existsSync(path.join(process.cwd(), "node_modules", "@tensorflow", "tfjs-core"))) {
  console.error(`no node_modules/@tensorflow/tfjs-core under ${process.cwd()}: run \`npm ci\` there first`);
  process.exit(1);
}
const result = await esbuild.build({
  entryPoints: [path.join(here, "entry.js")],
  absWorkingDir: process.cwd(),
  // entry.js may sit outside the folder that holds node_modules (a wheel build runs `npm ci` in a
  // temporary folder): resolve packages from the working directory's node_modules.
  nodePaths: [path.join(process.cwd(), "node_modules")],
  bundle: true,
  minify: true,
  format: "iife",
  globalName: "tf",
  target: "es2017",
  legalComments: "linked",
  charset: "utf8",
  outfile: out,
  metafile: true,
  logLevel: "warning",
  plugins: [redirect],
});
const inputs = Object.keys(result.metafile.inputs).length;
if (process.env.LIGHT_METAFILE) (await import("node:fs")).writeFileSync(process.env.LIGHT_METAFILE, JSON.stringify(result.metafile));
const [, output] = Object.entries(result.metafile.outputs).find(([name]) => name.endsWith(".js"));
console.log(JSON.stringify({ file: out, bytes: output.bytes, inputs, esbuild: esbuild.version }));
