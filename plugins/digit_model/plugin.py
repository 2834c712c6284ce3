"""The `digit-model` MkDocs plugin: thin glue between mkdocs hooks and `model_build`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from mkdocs.config.config_options import ExtraScriptValue
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from .blocks import FENCES, BlockError, BlockRenderer, find_blocks, parse_confusion_options, parse_recognizer_options
from .config import TRAIN_POLICIES, DigitModelConfig
from .figures import Figures
from .runtime import RUNTIME_BYTES, TfjsRuntime, resolve_runtime, runtime_for_model
from .site_files import ENTRY_MODULE, STYLESHEET, SiteFiles, add_generated
from .site_models import TRAIN_ENVIRONMENT_VARIABLE, SiteModels
from .tutorial_data import pages_with_tutorial

log = get_plugin_logger(__name__)


def site_language(config: MkDocsConfig) -> str:
    """The site's language: Material's `theme.language`, else the built-in themes' `theme.locale`, else `en`."""
    theme = config.theme
    language = theme.get("language") or theme.get("locale")
    return str(language).replace("_", "-") if language else "en"


class DigitModelPlugin(BasePlugin[DigitModelConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.models: SiteModels | None = None
        self.runtime: TfjsRuntime | None = None
        #: The runtime this build's pages get: `runtime`, less the light build if the model needs more.
        self.served_runtime: TfjsRuntime | None = None
        self.artefacts = None  # the model's cache entry (model_build.Artefacts), per build
        self.figures: Figures | None = None
        self.blocks = BlockRenderer()
        self.language = "en"
        self.train = "auto"

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        """Nothing to keep: kept so that MkDocs reuses this instance across `serve` rebuilds."""

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        """Validate the recipe and the TF.js runtime before anything is built."""
        if not self.config.enabled:
            return None
        config_file = Path(config.config_file_path).resolve()
        self.train = self._train_policy()
        self.models = SiteModels.from_settings(self.config, config_file)
        for warning in self.models.model.warnings():
            log.warning("%s", warning)
        node_modules = config_file.parent / Path(self.config.node_modules).expanduser() if self.config.node_modules else None
        self.runtime = resolve_runtime(self.config.tfjs, node_modules, self.config.assets_dir, build=self.config.tfjs_build)
        self.language = self.blocks.language = site_language(config)
        self._add_entry_assets(config)
        self._register_fences(config)
        return config

    def _add_entry_assets(self, config: MkDocsConfig) -> None:
        """Our stylesheet and entry module on every page: tiny, and it fetches nothing unless a
        page holds one of our blocks."""
        config.extra_css.append(self.config.assets_dir + STYLESHEET)
        entry = ExtraScriptValue(self.config.assets_dir + ENTRY_MODULE)
        entry.type = "module"
        config.extra_javascript.append(entry)

    def _register_fences(self, config: MkDocsConfig) -> None:
        """Add our fences to pymdownx.superfences (and the extension itself if the site lacks it).

        The site's own custom fences (Mermaid, …) are kept; an entry of ours the site added by
        hand is replaced, so the plugin's renderer is the one that runs.
        """
        if "pymdownx.superfences" not in config.markdown_extensions:
            config.markdown_extensions.append("pymdownx.superfences")
        settings = config.mdx_configs.setdefault("pymdownx.superfences", {})
        fences = [fence for fence in settings.get("custom_fences", []) if fence.get("name") not in FENCES]
        fences += [{"name": name, "class": name, "format": self.blocks.fence_format} for name in FENCES]
        settings["custom_fences"] = fences

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        """Make the model fresh: train in a child process only if stale and allowed."""
        if not self.config.enabled:
            return
        from model_build.mnist.sample_digits import SAMPLE_JSON, SampleDigits

        self.artefacts = self.models.fresh_model(self.train, log)
        metrics = self.artefacts.metrics()
        self.blocks.sample = SampleDigits.load(self.artefacts.directory) if SAMPLE_JSON in self.artefacts.files else None
        self.blocks.confusion = metrics["confusion_matrix"]
        self.served_runtime, reason = runtime_for_model(self.runtime, self.artefacts.directory / "model.json")
        if reason:
            log.info("%s", reason)
        self.figures = Figures.from_metrics(metrics, self.artefacts.fingerprint, self.config.model_dir,
                                            language=self.language, runtime_bytes=RUNTIME_BYTES,
                                            light_bytes=self.served_runtime.light_bytes)

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files | None:
        """Add the model, its charts, TF.js and our assets as generated files (no copying)."""
        if not self.config.enabled:
            return None
        tutorial_data = self.models.fresh_tutorial_data(log) if self._tutorial_wanted(files) else None
        site_files = SiteFiles(config, self.config, self.artefacts, self.served_runtime, tutorial_data, self.language)
        return add_generated(files, site_files.all())

    def _tutorial_wanted(self, files: Files) -> bool:
        """Whether the site ships the tutorial's training set (`tutorial_data`: auto looks for the block)."""
        if self.config.tutorial_data != "auto":
            return self.config.tutorial_data == "always"
        pages = pages_with_tutorial(files)
        log.debug("digit-tutorial block in %s", ", ".join(pages) if pages else "no page: its training set is left out")
        return bool(pages)

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str | None:
        """Check the page's blocks, then replace `{{ digit_model.<name> }}` with the build's figures."""
        if not self.config.enabled:
            return None
        for block in find_blocks(markdown):
            try:
                if block.name == "digit-confusion":
                    parse_confusion_options(block.body)
                else:
                    parse_recognizer_options(block.body, self.blocks.sample)
            except BlockError as error:
                raise PluginError(f"digit-model: docs/{page.file.src_uri}, line {block.line}: {error}") from None
        return self.figures.replace_placeholders(markdown, page.file.src_uri)

    def on_page_context(self, context: dict[str, Any], *, page: Page, config: MkDocsConfig, nav) -> dict[str, Any] | None:
        """Give templates the figures and the URLs they need as `digit_model`."""
        if not self.config.enabled:
            return None
        context["digit_model"] = {
            "figures": self.figures.text,
            "metrics": self.figures.metrics,
            "model_url": self.config.model_dir + "model.json",
            "assets_dir": self.config.assets_dir,
            "tfjs_src": self.runtime.script_src,
            "tfjs_integrity": self.runtime.integrity,
            "tfjs_local": self.runtime.is_local,
        }
        return context

    def on_serve(self, server, *, config: MkDocsConfig, builder) -> Any:
        """Watch the model code and the recipe file: changing them retrains on the next rebuild."""
        if self.config.enabled:
            import model_build

            server.watch(str(Path(model_build.__file__).resolve().parent))
            if self.config.recipe_file:
                server.watch(str(Path(self.config.recipe_file).resolve()))
        return server

    def _train_policy(self) -> str:
        """`train` from mkdocs.yml, unless the environment overrides it for this command."""
        value = os.environ.get(TRAIN_ENVIRONMENT_VARIABLE, "").strip()
        if not value:
            return self.config.train
        if value not in TRAIN_POLICIES:
            raise PluginError(
                f"digit-model: the environment variable {TRAIN_ENVIRONMENT_VARIABLE} is {value!r}; "
                f"expected one of {', '.join(TRAIN_POLICIES)} (or unset it to use `train` from mkdocs.yml)."
            )
        log.info("train: %s (from %s)", value, TRAIN_ENVIRONMENT_VARIABLE)
        return value
