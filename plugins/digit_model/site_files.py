"""The files the plugin adds to a site: model, charts, TF.js, our JS/CSS, the tutorial's data.

All are `File.generated`: served from where they already are (the cache, the installed
package) or from memory, never copied into `docs/`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from .config import DigitModelConfig
from .figures import CONFUSION_MATRIX, TRAINING_CURVE
from .minified_assets import served_assets
from .runtime import TfjsRuntime, site_config_module
from .translations import translation_module, translations_for
from .tutorial_data import DESCRIPTION, data_bytes

if TYPE_CHECKING:
    from model_build import Artefacts

#: The plugin's own browser code and stylesheet, shipped inside the package.
ASSETS = Path(__file__).resolve().parent / "assets"
STYLESHEET = "digit-model.css"
ENTRY_MODULE = "js/main.js"
SITE_CONFIG_MODULE = "js/site-config.js"
TRANSLATIONS_MODULE = "js/translations.js"


@dataclass(frozen=True)
class SiteFiles:
    """What one build adds: the model's cache entry, the runtime, and the tutorial's data (or None)."""

    config: MkDocsConfig
    settings: DigitModelConfig
    model: Artefacts
    runtime: TfjsRuntime
    tutorial_data: Artefacts | None
    language: str

    def all(self) -> list[File]:
        return [*self.model_files(), *self.chart_files(), *self.runtime_files(), *self.asset_files(),
                *self.tutorial_files(), self.site_config(), self.translations()]

    def model_files(self) -> list[File]:
        return [self._from_path(self.settings.model_dir + name, self.model.path(name)) for name in self.model.files]

    def chart_files(self) -> list[File]:
        from model_build.charts import confusion_matrix_svg, training_curve_svg

        metrics = self.model.metrics()
        labels = translations_for(self.language).section("charts")
        return [
            File.generated(self.config, self.settings.model_dir + TRAINING_CURVE,
                           content=training_curve_svg(metrics["history"], labels)),
            File.generated(self.config, self.settings.model_dir + CONFUSION_MATRIX,
                           content=confusion_matrix_svg(metrics["confusion_matrix"], labels)),
        ]

    def runtime_files(self) -> list[File]:
        return [self._from_path(site_path, path) for site_path, path in self.runtime.files]

    def asset_files(self) -> list[File]:
        """Our JS and CSS: the package build's minified copies where they are current."""
        return [self._from_path(self.settings.assets_dir + name, path) for name, path in served_assets(ASSETS).items()]

    def tutorial_files(self) -> list[File]:
        if self.tutorial_data is None:
            return []
        directory = self.settings.tutorial_data_dir
        return [self._from_path(directory + name, self.tutorial_data.path(name)) for name in self.tutorial_data.files]

    def site_config(self) -> File:
        """`js/site-config.js`: where the browser finds everything above (see `site_config_module`)."""
        tutorial = self.tutorial_data
        content = site_config_module(
            self.runtime, self.settings.model_dir, self.settings.assets_dir,
            tutorial_data=self.settings.tutorial_data_dir + DESCRIPTION if tutorial else None,
            tutorial_data_bytes=data_bytes(tutorial) if tutorial else 0,
            model_files=[self.model.path(name) for name in self.model.files],
            tutorial_data_files=[tutorial.path(name) for name in tutorial.files] if tutorial else (),
            unsure_below=self.model.metrics()["calibration"]["unsure_below"],
            weight_files=weight_files(self.model.path("model.json")),
        )
        return File.generated(self.config, self.settings.assets_dir + SITE_CONFIG_MODULE, content=content)

    def translations(self) -> File:
        """`js/translations.js`: the browser code's words in the site's language (see `translation_module`)."""
        return File.generated(self.config, self.settings.assets_dir + TRANSLATIONS_MODULE,
                              content=translation_module(self.language))

    def _from_path(self, site_path: str, path: Path) -> File:
        return File.generated(self.config, site_path, abs_src_path=str(path))


def weight_files(model_json: Path) -> list[str]:
    """The weight shards a TF.js layers model's `model.json` names, in manifest order."""
    manifest = json.loads(model_json.read_text(encoding="utf-8"))["weightsManifest"]
    return [path for group in manifest for path in group["paths"]]


def add_generated(files: Files, generated: list[File]) -> Files:
    """`files` plus `generated`; a page or asset of the site's own at one of those paths is an error."""
    for file in generated:
        if file.src_uri in files.src_uris:
            raise PluginError(
                f"digit-model: docs/{file.src_uri} collides with a file the plugin generates; "
                "rename it or change `model_dir` / `assets_dir` / `tutorial_data_dir`."
            )
        files.append(file)
    return files
