"""The TF.js runtime the site loads: the pinned npm build, self-hosted or from a pinned CDN URL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mkdocs.exceptions import PluginError

TFJS_VERSION = "4.22.0"
#: Files of the pinned npm packages that the site serves, as (package, path in package).
LOCAL_FILES = (("@tensorflow/tfjs", "dist/tf.min.js"),)
CDN_URL = f"https://cdn.jsdelivr.net/npm/@tensorflow/tfjs@{TFJS_VERSION}/dist/tf.min.js"
#: Subresource Integrity of that exact file (the same bytes npm installs; a test checks it).
CDN_INTEGRITY = "sha384-vE8hbVJ4lezako5rlvE7bY0BVzWlFhZncPlckrqNwcUQpVtgbENTgZ8TBbnPjZre"


@dataclass(frozen=True)
class TfjsRuntime:
    """Where the page gets TF.js: `script_src` is a site path (local) or an absolute URL (cdn)."""

    script_src: str
    integrity: str | None
    #: (site path, file on disk) pairs to add to the build.
    files: tuple[tuple[str, Path], ...]

    @property
    def is_local(self) -> bool:
        return self.integrity is None


def resolve_runtime(mode: str, node_modules: Path, assets_dir: str) -> TfjsRuntime:
    """`local`: check that `npm ci` installed the pinned version; `cdn`: the pinned URL + SRI."""
    if mode == "cdn":
        return TfjsRuntime(CDN_URL, CDN_INTEGRITY, ())
    package_json = node_modules / "@tensorflow" / "tfjs" / "package.json"
    if not package_json.is_file():
        raise PluginError(
            f"digit-model: TF.js is not installed in {node_modules}. Run `npm ci` (or "
            f"`npm install @tensorflow/tfjs@{TFJS_VERSION}`) next to mkdocs.yml, set `node_modules` to "
            "where it is, or set `tfjs: cdn`."
        )
    import json

    version = json.loads(package_json.read_text(encoding="utf-8")).get("version")
    if version != TFJS_VERSION:
        raise PluginError(
            f"digit-model: {node_modules}/@tensorflow/tfjs is version {version}, but the plugin is tested "
            f"with {TFJS_VERSION}. Run `npm ci` (package-lock.json pins {TFJS_VERSION})."
        )
    files = tuple(
        (f"{assets_dir}tfjs/{Path(path).name}", node_modules / package / path) for package, path in LOCAL_FILES
    )
    return TfjsRuntime(files[0][0], None, files)
