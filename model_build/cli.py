"""`python -m model_build`: build, check or inspect the model without MkDocs."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from .errors import ModelBuildError
from .mnist import BrowserDataConfig, BrowserDataRecipe, MnistConfig, MnistRecipe
from .pipeline import DEFAULT_CACHE_DIR, TRAIN_POLICIES, check_freshness, ensure_fresh, read_mapping_file, summarize

log = logging.getLogger("model_build")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m model_build", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)

    def recipe_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR, help="artefact cache (default: %(default)s)")
        command.add_argument("--recipe", type=Path, help="YAML or JSON file of recipe overrides")
        command.add_argument(
            "--set", action="append", default=[], metavar="KEY=VALUE",
            help="override one recipe key; VALUE is read as JSON (e.g. --set epochs=1 --set train_subset=500)",
        )
        command.add_argument("--data", type=Path, help="MNIST as IDX directory or mnist.npz (default: search)")

    build = commands.add_parser("build", help="make the artefacts fresh, training only if stale")
    recipe_options(build)
    build.add_argument("--train", choices=TRAIN_POLICIES, default="auto", help="auto: only when stale (default)")
    build.add_argument("--json", action="store_true", help="print the artefacts' location and metrics as JSON")

    check = commands.add_parser("check", help="say whether the artefacts are fresh (exit 0) or stale (exit 1)")
    recipe_options(check)

    browser = commands.add_parser("browser-data", help="make the tutorial's browser training set fresh (sprite PNG + labels)")
    browser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR, help="plugin cache (default: %(default)s)")
    browser.add_argument("--data", type=Path, help="MNIST as IDX directory or mnist.npz (default: search)")
    browser.add_argument("--train-images", type=int, default=BrowserDataConfig.train_images, help="default: %(default)s")
    browser.add_argument("--test-images", type=int, default=BrowserDataConfig.test_images, help="default: %(default)s")

    data = commands.add_parser("data", help="load MNIST and print what was found")
    data.add_argument("--data", type=Path, help="MNIST as IDX directory or mnist.npz (default: search)")
    data.add_argument("--cache-dir", type=Path, help="decoded-array cache (default: ~/.cache/model_build)")
    return parser


def _recipe(args: argparse.Namespace) -> MnistRecipe:
    overrides: dict = dict(read_mapping_file(args.recipe)) if args.recipe else {}
    for item in args.set:
        key, separator, raw = item.partition("=")
        if not separator:
            raise ModelBuildError(f"--set expects KEY=VALUE, got {item!r}.")
        try:
            overrides[key] = json.loads(raw)
        except json.JSONDecodeError:
            overrides[key] = raw  # a bare word such as uint8
    return MnistRecipe(MnistConfig.from_mapping(overrides), data_path=args.data, data_cache_dir=args.cache_dir / "data")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s")
    try:
        if args.command == "build":
            artefacts = ensure_fresh(_recipe(args), args.cache_dir, train=args.train, logger=log)
            if args.json:
                print(json.dumps({"directory": str(artefacts.directory), "built": artefacts.built,
                                  "fingerprint": artefacts.fingerprint, "metrics": artefacts.metrics()}, indent=1))
            else:
                state = "built" if artefacts.built else "fresh"
                log.info("%s: %s", state, summarize(artefacts))
                log.info("artefacts in %s", artefacts.directory)
            return 0
        if args.command == "check":
            started = time.perf_counter()
            freshness = check_freshness(_recipe(args), args.cache_dir)
            elapsed = time.perf_counter() - started
            if freshness.fresh:
                print(f"fresh {freshness.fingerprint} ({elapsed * 1000:.0f} ms) {freshness.entry.directory}")
                return 0
            print(f"stale {freshness.fingerprint} ({elapsed * 1000:.0f} ms): {'; '.join(freshness.reasons)}")
            return 1
        if args.command == "browser-data":
            from .mnist.browser_data import CACHE_SUBDIR

            # The same cache folder the plugin uses, so a later site build finds the entry fresh.
            recipe = BrowserDataRecipe(
                BrowserDataConfig(train_images=args.train_images, test_images=args.test_images),
                data_path=args.data, data_cache_dir=args.cache_dir / "data",
            )
            artefacts = ensure_fresh(recipe, args.cache_dir / CACHE_SUBDIR, logger=log)
            sizes = {name: artefacts.path(name).stat().st_size for name in artefacts.files}
            state = "built" if artefacts.built else "fresh"
            print(f"{state}: {', '.join(f'{name} {size:,}' for name, size in sizes.items())} bytes; "
                  f"total {sum(sizes.values()):,} bytes in {artefacts.directory}")
            return 0
        if args.command == "data":
            from .mnist.data import load_mnist
            from .mnist.data_sources import resolve_source

            started = time.perf_counter()
            source = resolve_source(args.data)
            arrays = load_mnist(args.data, args.cache_dir)
            print(f"{source.describe()}: {len(arrays.train_images)} train / {len(arrays.test_images)} test images "
                  f"({time.perf_counter() - started:.2f} s)")
            return 0
    except ModelBuildError as error:
        log.error("%s", error)
        return 2
    return 0
