"""The TF.js runtime the site loads: the light build bundled in this package (the kernels and
layers the recognizer needs, CPU and WASM backends), and the full library for pages that train (the
tutorial) or for sites that ask for it, from this package, a `node_modules` folder the site
names, or a pinned CDN URL."""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
import shlex
import sys
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from mkdocs.exceptions import PluginError

from .installation import checkout_root, pip_install_command

PACKAGE_DIR = Path(__file__).resolve().parent
#: The files a site serves (which npm packages, which paths, their SHA-384), shared with the
#: wheel build that copies them into BUNDLED_DIR (tools/bundle_runtime.py).
SPEC_FILE = PACKAGE_DIR / "tfjs_files.json"
BUNDLED_DIR = PACKAGE_DIR / "tfjs"
#: Written by the package build next to the light build: its file, bytes, SRI, backends, layers.
LIGHT_STAMP = "light-build.json"
#: Blocks that need the full library (training a model in the page): a page holding one loads it.
FULL_BUILD_BLOCKS = ".digit-tutorial"


@dataclass(frozen=True)
class RuntimeFile:
    """One file of the pinned npm packages: `role` is script, wasm-script or wasm-binary."""

    role: str
    package: str
    path: str
    bytes: int
    integrity: str

    @property
    def name(self) -> str:
        return Path(self.path).name


_SPEC = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
TFJS_VERSION: str = _SPEC["version"]
RUNTIME_FILES = tuple(RuntimeFile(**entry) for entry in _SPEC["files"])
#: The ES2017 build: smaller than tf.min.js and free of the regenerator polyfill, whose
#: `Function(...)` fallback is an eval that a strict Content-Security-Policy blocks. The WASM
#: backend (script + binaries) is fetched only if WebGL cannot start.
SCRIPT, WASM_SCRIPT = (next(file for file in RUNTIME_FILES if file.role == role) for role in ("script", "wasm-script"))
TFJS_FILE = (SCRIPT.package, SCRIPT.path)
WASM_FILES = tuple((file.package, file.path) for file in RUNTIME_FILES if file.role != "script")
#: The npm packages the runtime's files come from, all pinned to TFJS_VERSION.
PACKAGES = tuple(dict.fromkeys(file.package for file in RUNTIME_FILES))
CDN_URL = f"{_SPEC['cdn']}{SCRIPT.package}@{TFJS_VERSION}/{SCRIPT.path}"
CDN_INTEGRITY = SCRIPT.integrity
#: Size of the TF.js script in bytes, for pages that talk about it.
RUNTIME_BYTES = SCRIPT.bytes


@dataclass(frozen=True)
class TfjsRuntime:
    """Where the page gets TF.js: `script_src` is a site path (local) or an absolute URL (cdn)."""

    script_src: str
    integrity: str | None
    #: (site path, file on disk) pairs to add to the build.
    files: tuple[tuple[str, Path], ...]
    #: The WASM backend's script (with its SRI on a CDN), and the folder of its .wasm files.
    wasm_src: str | None = None
    wasm_dir: str | None = None
    wasm_integrity: str | None = None
    #: The light build (site path) and the backends it holds; None: every page loads the full library.
    light_src: str | None = None
    light_backends: tuple[str, ...] = ()
    #: The light build's WASM backend, a script of its own that the page loads when the reader draws.
    light_wasm_src: str | None = None
    light_bytes: int = 0
    #: The layer classes the light build can deserialise.
    light_layers: tuple[str, ...] = ()

    @property
    def is_local(self) -> bool:
        return self.integrity is None


def integrity_of(path: Path) -> str:
    """The Subresource Integrity (SHA-384) of a file's bytes."""
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


def install_command(node_modules: Path, *, reinstall: bool = False) -> str:
    """The shell command that puts the pinned packages into `node_modules` (npm's `--prefix` is
    the folder that holds node_modules; `reinstall` first removes what is there, because npm
    leaves an installed package of the right version alone even when files of it are missing)."""
    prefix = shlex.quote(str(install_prefix(node_modules)))
    install = f"npm install --prefix {prefix} --save-exact " + " ".join(f"{package}@{TFJS_VERSION}" for package in PACKAGES)
    return f"npm uninstall --prefix {prefix} {' '.join(PACKAGES)} && {install}" if reinstall else install


def install_prefix(node_modules: Path) -> Path:
    """The folder npm must install into so that the packages land in `node_modules`."""
    return node_modules.parent if node_modules.name == "node_modules" else node_modules


def install_hint(node_modules: Path, *, reinstall: bool = False) -> str:
    """What to do: the npm command, or point `node_modules` elsewhere, or drop it, or use the CDN."""
    hint = f"Run `{install_command(node_modules, reinstall=reinstall)}`"
    if node_modules.name != "node_modules":  # npm always installs into a folder named node_modules
        hint += f" and set `node_modules: {install_prefix(node_modules) / 'node_modules'}`"
    return (
        f"{hint}; or set `node_modules:` to the folder that holds TF.js {TFJS_VERSION}; "
        "or remove the `node_modules:` setting to use the TF.js bundled with the plugin; "
        "or set `tfjs: cdn` to load TF.js from jsDelivr instead."
    )


def _installed_version(node_modules: Path, package: str) -> str | None:
    package_json = node_modules / package / "package.json"
    if not package_json.is_file():
        return None
    try:
        return str(json.loads(package_json.read_text(encoding="utf-8")).get("version"))
    except (ValueError, AttributeError):
        return "unreadable"


def check_installed(node_modules: Path) -> None:
    """Raise PluginError, with a command that fixes it, unless `node_modules` holds the pinned
    TF.js packages with every file the site serves."""
    versions = {package: _installed_version(node_modules, package) for package in PACKAGES}
    absent = [package for package, version in versions.items() if version is None]
    if absent:
        raise PluginError(
            f"digit-model: TF.js is not installed in {node_modules} ({', '.join(absent)} missing). "
            + install_hint(node_modules)
        )
    wrong = [f"{package} is version {version}" for package, version in versions.items() if version != TFJS_VERSION]
    if wrong:
        raise PluginError(
            f"digit-model: in {node_modules}, {' and '.join(wrong)}, but the plugin needs {TFJS_VERSION}. "
            + install_hint(node_modules)
        )
    missing = [f"{file.package}/{file.path}" for file in RUNTIME_FILES if not (node_modules / file.package / file.path).is_file()]
    if missing:
        raise PluginError(
            f"digit-model: {', '.join(missing)} missing in {node_modules} (a damaged install). "
            + install_hint(node_modules, reinstall=True)
        )


def check_bundled(folder: Path = BUNDLED_DIR) -> None:
    """Raise PluginError, saying how to repair the install, unless `folder` holds every pinned
    file byte for byte (2 MB hashed: a few milliseconds per build)."""
    wrong = [
        f"{file.name} {'is missing' if not (folder / file.name).is_file() else 'differs from the pinned file'}"
        for file in RUNTIME_FILES
        if not (folder / file.name).is_file() or integrity_of(folder / file.name) != file.integrity
    ]
    if wrong:
        raise PluginError(
            f"digit-model: the TF.js {TFJS_VERSION} files bundled with the plugin are incomplete in {folder} "
            f"({'; '.join(wrong)}). {repair_hint()}; or set `node_modules:` to a folder that holds TF.js "
            f"{TFJS_VERSION}; or set `tfjs: cdn` to load TF.js from jsDelivr instead."
        )


def light_build(folder: Path = BUNDLED_DIR) -> dict:
    """The light build's stamp, after checking that the files it names (the build and its parts)
    are there, byte for byte;
    PluginError (saying how to repair the install, or to use the full library) otherwise."""
    try:
        stamp = json.loads((folder / LIGHT_STAMP).read_text(encoding="utf-8"))
        intact = all(integrity_of(folder / entry["file"]) == entry["integrity"] for entry in (stamp, *stamp["parts"]))
    except (OSError, ValueError, KeyError, TypeError):
        intact = False
    if not intact:
        raise PluginError(
            f"digit-model: the light TF.js build bundled with the plugin is missing or damaged in {folder}. "
            f"{repair_hint()}; or set `tfjs_build: full` to serve the whole library instead."
        )
    return stamp


def repair_hint() -> str:
    """How to put the bundled files back: the bundling script in a checkout of the repository
    (an editable install does not copy files), else a reinstall from where the package came from."""
    checkout = checkout_root()
    if checkout is not None:
        script = checkout / "tools" / "bundle_runtime.py"
        return f"Run `{shlex.quote(sys.executable)} {shlex.quote(str(script))}` (this plugin runs from a checkout of its repository)"
    return f"Run `{pip_install_command(reinstall=True)}`"


def resolve_runtime(mode: str, node_modules: Path | None, assets_dir: str, bundled: Path = BUNDLED_DIR,
                    build: str = "light") -> TfjsRuntime:
    """`cdn`: the pinned URLs with their SRI (the full library: the light build is on no CDN);
    `local`: the files bundled in this package, or those of `node_modules` when the site names
    one (checked either way), plus the light build from this package unless `build` is "full"."""
    if mode == "cdn":
        wasm_dir = f"{_SPEC['cdn']}{WASM_SCRIPT.package}@{TFJS_VERSION}/{posixpath.dirname(WASM_SCRIPT.path)}/"
        return TfjsRuntime(CDN_URL, CDN_INTEGRITY, (), wasm_src=wasm_dir + WASM_SCRIPT.name, wasm_dir=wasm_dir,
                           wasm_integrity=WASM_SCRIPT.integrity)
    if node_modules is None:
        check_bundled(bundled)
        sources = {file.name: bundled / file.name for file in RUNTIME_FILES}
    else:
        check_installed(node_modules)
        sources = {file.name: node_modules / file.package / file.path for file in RUNTIME_FILES}
    folder = f"{assets_dir}tfjs/"
    light = light_build(bundled) if build == "light" else None
    if light:
        # The bundled license notices travel with the build (the browser never fetches them).
        for name in (light["file"], *(part["file"] for part in light["parts"])):
            sources[name] = bundled / name
            sources[name + ".LEGAL.txt"] = bundled / (name + ".LEGAL.txt")
    wasm_part = next((part["file"] for part in light["parts"] if part["backend"] == "wasm"), None) if light else None
    files = tuple((folder + name, path) for name, path in sources.items() if path.is_file())
    return TfjsRuntime(folder + SCRIPT.name, None, files, wasm_src=folder + WASM_SCRIPT.name, wasm_dir=folder,
                       light_src=folder + light["file"] if light else None,
                       light_backends=tuple(light["backends"]) if light else (),
                       light_wasm_src=folder + wasm_part if wasm_part else None,
                       light_bytes=int(light["bytes"]) if light else 0,
                       light_layers=tuple(light["layers"]) if light else ())


def runtime_for_model(runtime: TfjsRuntime, model_json: Path) -> tuple[TfjsRuntime, str | None]:
    """The runtime for the model at `model_json`: as configured, or without the light build (every
    page loads the full library) when the model holds a layer the light build cannot read; with
    the reason in that case."""
    if runtime.light_src is None:
        return runtime, None
    topology = json.loads(model_json.read_text(encoding="utf-8"))["modelTopology"]["model_config"]
    classes = {layer["class_name"] for layer in topology["config"]["layers"]}
    missing = sorted(classes - set(runtime.light_layers))
    if not missing:
        return runtime, None
    reason = (f"the model holds {', '.join(missing)}, which the light TF.js build does not include: every page "
              "loads the full library (set `tfjs_build: full` to say so and silence this)")
    return replace(runtime, light_src=None, light_backends=(), light_wasm_src=None, light_bytes=0, light_layers=()), reason


def content_version(files: Iterable[Path]) -> str | None:
    """12 hex digits of a SHA-256 over a set of files (names and bytes), or None without files.

    It changes whenever any file the page fetches changes, including a retrain under the same
    fingerprint (`train: always`, another machine) that gives other weights.
    """
    digest = hashlib.sha256()
    paths = sorted(files, key=lambda path: path.name)
    for path in paths:
        digest.update(f"{path.name}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    return digest.hexdigest()[:12] if paths else None


def site_config_module(
    runtime: TfjsRuntime,
    model_dir: str,
    assets_dir: str,
    tutorial_data: str | None = None,
    tutorial_data_bytes: int = 0,
    model_files: Iterable[Path] = (),
    tutorial_data_files: Iterable[Path] = (),
    *,
    unsure_below: float | None = None,
    weight_files: Iterable[str] = (),
) -> str:
    """`js/site-config.js`: where the browser code finds the model, TF.js and the tutorial's
    training data (`tutorial_data`: the site path of its mnist-data.json) in this site, and
    `unsure_below`, the top probability under which the site's model's answer is shown as "not
    sure" (chosen on validation data by the build; None: always show the answer, as models
    built before calibration existed do). `weight_files`: the model's weight shards (the paths
    of model.json's weightsManifest), so that the page can fetch them beside model.json instead
    of after it; the page still checks each against the hash model.json records.

    Paths are written relative to the module itself (resolved with `import.meta.url`), so the
    site works from any base URL, including a sub-folder and `mkdocs serve`. The model's URL
    carries `?v=<content_version(model_files)>`, and the page keeps that query on every file it
    fetches next to the model (shards, test sample): a new model gets new URLs, so no browser or
    CDN cache can serve an old shard with a new model.json. The tutorial's data is versioned the
    same way by its own files.
    """
    here = assets_dir + "js/"
    version = content_version(model_files)
    data_version = content_version(tutorial_data_files)

    def relative(site_path: str) -> str:
        return posixpath.relpath(site_path, here) + ("/" if site_path.endswith("/") else "")

    def url(site_path: str | None, query: str = "") -> str:
        if site_path is None:
            return "null"
        if "://" in site_path:
            return json.dumps(site_path)
        return f"new URL({json.dumps(relative(site_path) + query)}, import.meta.url).href"

    lines = [
        "// Generated by the digit-model MkDocs plugin for this site; do not edit.",
        f"export const modelVersion = {json.dumps(version)};",
        f"export const modelUrl = {url(model_dir + 'model.json', f'?v={version}' if version else '')};",
        f"export const modelWeightFiles = {json.dumps(list(weight_files))};",
        f"export const tfjsSrc = {url(runtime.script_src)};",
        f"export const tfjsIntegrity = {json.dumps(runtime.integrity)};",
        f"export const wasmSrc = {url(runtime.wasm_src)};",
        f"export const wasmDir = {url(runtime.wasm_dir)};",
        f"export const wasmIntegrity = {json.dumps(runtime.wasm_integrity)};",
        f"export const tfjsBytes = {RUNTIME_BYTES};",
        f"export const tfjsLightSrc = {url(runtime.light_src)};",
        f"export const tfjsLightBackends = {json.dumps(list(runtime.light_backends))};",
        f"export const tfjsLightWasmSrc = {url(runtime.light_wasm_src)};",
        f"export const tfjsFullFor = {json.dumps(FULL_BUILD_BLOCKS)};",
        f"export const mnistDataUrl = {url(tutorial_data, f'?v={data_version}' if data_version else '')};",
        f"export const mnistDataBytes = {int(tutorial_data_bytes)};",
        f"export const unsureBelow = {'null' if unsure_below is None else json.dumps(float(unsure_below))};",
        "",
    ]
    return "\n".join(lines)
