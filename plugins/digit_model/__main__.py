"""`python -m digit_model cache-key [-f mkdocs.yml]`: the key of a site's plugin cache.

It reads the site's configuration as `mkdocs build` does and prints one line, a key that
changes whenever the model or the tutorial's training set would be rebuilt (recipe, training
code, data, library versions), without importing TensorFlow: what a CI cache step
(`actions/cache` on `.cache/plugin/digit-model`) is keyed on. See README, "Share the trained
model in CI".
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from mkdocs.config import load_config
from mkdocs.exceptions import ConfigurationError

from .site_models import SiteModels

PLUGIN = "digit-model"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m digit_model", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    key = commands.add_parser("cache-key", help="print the key of the site's plugin cache (for a CI cache step)")
    key.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"), help="default: %(default)s")
    args = parser.parse_args(argv)
    # MkDocs and other plugins log while the configuration loads; only the key goes to stdout.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(message)s")
    try:
        config = load_config(str(args.config_file))
    except (ConfigurationError, OSError) as error:
        print(f"error: {args.config_file}: {error}", file=sys.stderr)
        return 2
    plugin = config.plugins.get(PLUGIN)
    if plugin is None:
        print(f"error: {args.config_file} does not use the {PLUGIN} plugin (no `- {PLUGIN}` under `plugins:`).",
              file=sys.stderr)
        return 2
    models = SiteModels.from_settings(plugin.config, Path(config.config_file_path).resolve())
    for why in models.unavailable_here().values():
        print(f"warning: {why} The key printed here differs from that of a machine that has it.", file=sys.stderr)
    print(models.cache_key())
    return 0


if __name__ == "__main__":
    sys.exit(main())
