"""The `digit-model` MkDocs plugin: thin glue between mkdocs hooks and `model_build`."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Any, Literal

from mkdocs.config.config_options import ExtraScriptValue
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from .blocks import FENCES, BlockError, BlockRenderer, find_blocks, parse_confusion_options, parse_recognizer_options
from .config import TRAIN_POLICIES, DigitModelConfig
from .figures import CONFUSION_MATRIX, TRAINING_CURVE, Figures
from .runtime import RUNTIME_BYTES, TfjsRuntime, resolve_runtime, site_config_module

log = get_plugin_logger(__name__)

ASSETS = Path(__file__).resolve().parent / "assets"
STYLESHEET = "digit-model.css"
ENTRY_MODULE = "js/main.js"
SITE_CONFIG_MODULE = "js/site-config.js"
#: Overrides the `train` setting for one command, e.g. `DIGIT_MODEL_TRAIN=auto mkdocs build`
#: in a site that keeps `train: never` so that its deploys never train.
TRAIN_ENVIRONMENT_VARIABLE = "DIGIT_MODEL_TRAIN"


def site_language(config: MkDocsConfig) -> str:
    """The site's language: Material's `theme.language`, else the built-in themes' `theme.locale`, else `en`."""
    theme = config.theme
    language = theme.get("language") or theme.get("locale")
    return str(language).replace("_", "-") if language else "en"


class DigitModelPlugin(BasePlugin[DigitModelConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.recipe = None
        self.runtime: TfjsRuntime | None = None
        self.artefacts = None
        self.figures: Figures | None = None
        self.blocks = BlockRenderer()
        self.tutorial_data = None  # the browser training set's cache entry (model_build.Artefacts)
        self.project_dir = Path.cwd()
        self.language = "en"
        self.train = "auto"

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        """Nothing to keep: kept so that MkDocs reuses this instance across `serve` rebuilds."""

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        """Validate the recipe and the TF.js runtime before anything is built."""
        if not self.config.enabled:
            return None
        from model_build import MnistConfig, MnistRecipe, ModelBuildError
        from model_build.recipe_file import read_mapping_file

        self.project_dir = Path(config.config_file_path).resolve().parent
        self.train = self._train_policy()
        try:
            overrides = dict(read_mapping_file(Path(self.config.recipe_file))) if self.config.recipe_file else {}
            overrides.update(self.config.recipe)
            if "quantization" in overrides:
                raise PluginError("digit-model: set the top-level `quantize` option, not `recipe.quantization`.")
            overrides["quantization"] = self.config.quantize
            self.recipe = MnistRecipe(
                MnistConfig.from_mapping(overrides),
                data_path=self._project_path(self.config.data_path) if self.config.data_path else None,
                data_cache_dir=self._cache_dir() / "data",
            )
        except ModelBuildError as error:
            raise PluginError(f"digit-model: {error}") from error
        for warning in self.recipe.config.warnings():
            log.warning("%s", warning)
        self.runtime = resolve_runtime(self.config.tfjs, self._project_path(self.config.node_modules), self.config.assets_dir)
        # The entry module is tiny and fetches nothing unless a page holds a recognizer block.
        config.extra_css.append(self.config.assets_dir + STYLESHEET)
        entry = ExtraScriptValue(self.config.assets_dir + ENTRY_MODULE)
        entry.type = "module"
        config.extra_javascript.append(entry)
        self.language = site_language(config)
        self.blocks.language = self.language
        self._register_fences(config)
        return config

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
        from model_build import ModelBuildError, StaleArtefactsError, summarize
        from model_build.isolated import ensure_fresh_isolated

        try:
            self.artefacts = ensure_fresh_isolated(self.recipe, self._cache_dir(), train=self.train, logger=log)
        except StaleArtefactsError as error:
            raise PluginError(
                f"digit-model: {error} To train them with this site's recipe, run `{self._train_once_command(config)}` "
                "once (the next builds find them fresh), or set `train: auto`."
            ) from error
        except ModelBuildError as error:
            raise PluginError(f"digit-model: {error}") from error
        if self.artefacts.built:
            log.info("model built: %s", summarize(self.artefacts))
        else:
            log.info("model fresh (fingerprint %s)", self.artefacts.fingerprint[:12])
        self._load_block_data()
        self.figures = Figures.from_metrics(
            self.artefacts.metrics(),
            self.artefacts.fingerprint,
            self.config.model_dir,
            language=self.language,
            runtime_bytes=RUNTIME_BYTES,
        )

    def _train_once_command(self, config: MkDocsConfig) -> str:
        """A shell command that builds this very site once with training allowed."""
        config_file = Path(config.config_file_path).resolve()
        try:
            config_file = config_file.relative_to(Path.cwd())
        except ValueError:
            pass
        return (f"{TRAIN_ENVIRONMENT_VARIABLE}=auto {shlex.quote(sys.executable)} -m mkdocs build "
                f"-f {shlex.quote(str(config_file))}")

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files | None:
        """Add the model, its charts, TF.js and our assets as generated files (no copying)."""
        if not self.config.enabled:
            return None
        from model_build.charts import confusion_matrix_svg, training_curve_svg

        from .tutorial_data import DESCRIPTION, data_bytes, tutorial_files

        self.tutorial_data = self._tutorial_data(files)
        model_dir, language = self.config.model_dir, self.language
        metrics = self.figures.metrics
        generated = [
            File.generated(config, model_dir + name, abs_src_path=str(self.artefacts.path(name)))
            for name in self.artefacts.files
        ]
        generated.append(File.generated(config, model_dir + TRAINING_CURVE, content=training_curve_svg(metrics["history"], language)))
        generated.append(File.generated(config, model_dir + CONFUSION_MATRIX, content=confusion_matrix_svg(metrics["confusion_matrix"], language)))
        generated += [File.generated(config, site_path, abs_src_path=str(path)) for site_path, path in self.runtime.files]
        generated += [
            File.generated(config, self.config.assets_dir + path.relative_to(ASSETS).as_posix(), abs_src_path=str(path))
            for path in sorted(ASSETS.rglob("*")) if path.is_file()
        ]
        if self.tutorial_data is not None:
            generated += tutorial_files(config, self.tutorial_data, self.config.tutorial_data_dir)
        generated.append(
            File.generated(
                config,
                self.config.assets_dir + SITE_CONFIG_MODULE,
                content=site_config_module(
                    self.runtime, self.config.model_dir, self.config.assets_dir,
                    tutorial_data=self.config.tutorial_data_dir + DESCRIPTION if self.tutorial_data else None,
                    tutorial_data_bytes=data_bytes(self.tutorial_data) if self.tutorial_data else 0,
                    model_files=[self.artefacts.path(name) for name in self.artefacts.files],
                    tutorial_data_files=[self.tutorial_data.path(n) for n in self.tutorial_data.files] if self.tutorial_data else (),
                    unsure_below=metrics["calibration"]["unsure_below"],
                ),
            )
        )
        for file in generated:
            if file.src_uri in files.src_uris:
                raise PluginError(
                    f"digit-model: docs/{file.src_uri} collides with a file the plugin generates; "
                    "rename it or change `model_dir` / `assets_dir` / `tutorial_data_dir`."
                )
            files.append(file)
        return files

    def _tutorial_data(self, files: Files):
        """The tutorial's training set (fresh), or None when no page needs it (`tutorial_data`)."""
        from model_build import ModelBuildError

        from .tutorial_data import ensure_tutorial_data, pages_with_tutorial

        policy = self.config.tutorial_data
        if policy == "never":
            return None
        if policy == "auto":
            pages = pages_with_tutorial(files)
            if not pages:
                log.debug("no page holds a digit-tutorial block: the tutorial's training set is left out")
                return None
            log.debug("digit-tutorial block in %s", ", ".join(pages))
        try:
            return ensure_tutorial_data(self.config, self._cache_dir(), self.recipe.data_path, self.recipe.data_cache_dir, log)
        except ModelBuildError as error:
            raise PluginError(f"digit-model: {error}") from error

    def _load_block_data(self) -> None:
        """The test sample (presets, mistakes) and confusion matrix the blocks render from."""
        from model_build.mnist.test_sample import SAMPLE_JSON, TestSample

        self.blocks.sample = TestSample.load(self.artefacts.directory) if SAMPLE_JSON in self.artefacts.files else None
        self.blocks.confusion = self.artefacts.metrics()["confusion_matrix"]

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

    def _project_path(self, value: str) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.project_dir / path

    def _cache_dir(self) -> Path:
        return self._project_path(self.config.cache_dir)
