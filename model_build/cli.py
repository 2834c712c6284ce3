"""`python -m model_build`: build, check or inspect a recipe's artefacts without MkDocs."""

from __future__ import annotations

import _thread
import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from .errors import ModelBuildError, StaleArtefactsError
from .pipeline import TRAIN_POLICIES, Recipe, check_freshness, ensure_fresh
from .recipe_file import read_mapping_file
from .recipes import DEFAULT_RECIPE, RECIPES, recipe_class

log = logging.getLogger("model_build")
#: How long a child whose parent ended may take to stop cleanly before it exits hard.
CHILD_GRACE_SECONDS = 10


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m model_build", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument(
        "--as-child", action="store_true",
        help="run as another program's worker (the MkDocs plugin): log records as JSON lines on stderr, "
        "and stop when standard input closes, i.e. when that program ends",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def recipe_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--recipe-name", choices=sorted(RECIPES), default=DEFAULT_RECIPE,
                             help="which recipe (default: %(default)s)")
        command.add_argument("--cache-dir", type=Path, help="artefact cache (default: the recipe's own)")
        command.add_argument("--recipe", type=Path, help="YAML or JSON file of recipe overrides")
        command.add_argument(
            "--set", action="append", default=[], metavar="KEY=VALUE",
            help="override one recipe key; VALUE is read as JSON (e.g. --set epochs=1 --set train_subset=500)",
        )
        command.add_argument("--data", type=Path, help="where the recipe reads its data (default: its own search)")

    build = commands.add_parser("build", help="make the artefacts fresh, training only if stale")
    recipe_options(build)
    build.add_argument("--train", choices=TRAIN_POLICIES, default="auto", help="auto: only when stale (default)")
    build.add_argument("--json", action="store_true", help="print the artefacts' location and metrics as JSON")

    check = commands.add_parser("check", help="say whether the artefacts are fresh (exit 0) or stale (exit 1)")
    recipe_options(check)

    fingerprint = commands.add_parser(
        "fingerprint", help="print the recipe's cache key (its full fingerprint) without importing TensorFlow")
    recipe_options(fingerprint)

    _add_mnist_commands(commands)
    return parser


def _add_mnist_commands(commands: argparse._SubParsersAction) -> None:
    """Tools of the MNIST recipes: the tutorial's training set, the drawn-digit benchmark, the data."""
    from .mnist.browser_data import BrowserDataConfig

    browser = commands.add_parser("browser-data", help="make the tutorial's browser training set fresh (sprite PNG + labels)")
    browser.add_argument("--cache-dir", type=Path,
                         help="plugin cache; the entries go to its browser-data/ folder (default: the digits recipe's)")
    browser.add_argument("--data", type=Path, help="MNIST as IDX directory or mnist.npz (default: search)")
    browser.add_argument("--train-images", type=int, default=BrowserDataConfig.train_images, help="default: %(default)s")
    browser.add_argument("--test-images", type=int, default=BrowserDataConfig.test_images, help="default: %(default)s")

    drawn = commands.add_parser("drawn-digits", help="generate the drawn-digit benchmark; write one contact sheet (PNG) per style")
    drawn.add_argument("--out", type=Path, required=True, help="folder for the contact sheets, <style>.png")
    drawn.add_argument("--cache-dir", type=Path,
                       help="cache (default: the digits recipe's); decoded MNIST and the benchmark's arrays go to its data/ folder")
    drawn.add_argument("--data", type=Path, help="MNIST as IDX directory or mnist.npz (default: search)")
    drawn.add_argument("--seed", type=int, help="benchmark seed (default: the one the project reports)")
    drawn.add_argument("--habits-per-digit", type=int, help="habit samples per digit (default: full size)")
    drawn.add_argument("--redrawn-per-digit", type=int, help="redrawn MNIST test digits per digit (default: full size)")

    data = commands.add_parser("data", help="load MNIST and print what was found")
    data.add_argument("--data", type=Path, help="MNIST as IDX directory or mnist.npz (default: search)")
    data.add_argument("--cache-dir", type=Path, help="decoded-array cache (default: ~/.cache/model_build)")


def _recipe(args: argparse.Namespace) -> Recipe:
    """The recipe --recipe-name names, with the overrides of --recipe and then --set."""
    overrides: dict = dict(read_mapping_file(args.recipe)) if args.recipe else {}
    for item in args.set:
        key, separator, raw = item.partition("=")
        if not separator:
            raise ModelBuildError(f"--set expects KEY=VALUE, got {item!r}.")
        try:
            overrides[key] = json.loads(raw)
        except json.JSONDecodeError:
            overrides[key] = raw  # a bare word such as uint8
    recipe_type = recipe_class(args.recipe_name)
    cache_dir = args.cache_dir or recipe_type.default_cache_dir
    recipe = recipe_type.from_options(overrides, data_path=args.data, data_cache_dir=cache_dir / "data")
    if not args.as_child:  # a parent that starts us has said so already
        for warning in recipe.warnings():
            log.warning("%s", warning)
    return recipe


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record, so a parent process can tell records (even multi-line ones)
    from any other output on stderr; read by `isolated.run_child`."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        return json.dumps({"level": record.levelno, "message": message}, ensure_ascii=False)


def _stop_when_stdin_closes() -> None:
    """End this process once the parent that holds our stdin's other end is gone.

    A KeyboardInterrupt in the main thread lets a build clean up its staging directory; if the
    main thread is stuck in native code and ignores it, the process exits hard a little later
    (the cache stays consistent either way: entries are published by an atomic rename).
    """

    def watch() -> None:
        # os.read on the descriptor, not sys.stdin: a daemon thread blocked inside a buffered
        # reader's lock makes the interpreter abort when it shuts down.
        while os.read(stdin_fd, 65536):
            pass
        _thread.interrupt_main()
        time.sleep(CHILD_GRACE_SECONDS)
        os._exit(130)

    # interrupt_main() does nothing unless Python handles SIGINT, and a process started with
    # SIGINT ignored (inherited: CI's full pytest run started mkdocs that way) keeps it
    # ignored; the child then always waited out the grace period and left its staging directory.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    stdin_fd = sys.stdin.fileno()
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _configure_logging(verbose: bool, as_child: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLineFormatter() if as_child else logging.Formatter("%(levelname)s %(message)s"))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _configure_logging(args.verbose, args.as_child)
    if args.as_child:
        _stop_when_stdin_closes()
    try:
        return _run(args)
    except StaleArtefactsError as error:
        log.error("%s Run the same command with `--train auto` to train them.", error)
        return 2
    except ModelBuildError as error:
        log.error("%s", error)
        return 2
    except KeyboardInterrupt:
        log.error("interrupted")
        return 130
    except Exception as error:  # a failure we did not foresee still ends in one line that says what happened
        log.debug("traceback of the failure:", exc_info=True)
        log.error("the build failed: %s: %s (run with -v for the traceback)", type(error).__name__, error)
        return 1


def _run(args: argparse.Namespace) -> int:
    """The chosen command; its exit status."""
    if args.command == "build":
        recipe = _recipe(args)
        artefacts = ensure_fresh(recipe, args.cache_dir, train=args.train, logger=log)
        if args.json:
            print(json.dumps({"directory": str(artefacts.directory), "built": artefacts.built,
                              "fingerprint": artefacts.fingerprint, "metrics": artefacts.metrics()}, indent=1))
        else:
            state = "built" if artefacts.built else "fresh"
            log.info("%s: %s", state, recipe.summarize(artefacts))
            log.info("artefacts in %s", artefacts.directory)
        return 0
    if args.command == "check":
        started = time.perf_counter()
        freshness = check_freshness(_recipe(args), args.cache_dir)
        elapsed = time.perf_counter() - started
        if freshness.fresh:
            print(f"fresh {freshness.entry.fingerprint} ({elapsed * 1000:.0f} ms) {freshness.entry.directory}")
            if freshness.stand_in is not None:
                log.info("it stands in for %s, whose inputs this machine cannot all see: %s",
                         freshness.fingerprint[:12], freshness.stand_in)
            return 0
        print(f"stale {freshness.fingerprint} ({elapsed * 1000:.0f} ms): {'; '.join(freshness.reasons)}")
        for why in freshness.inputs.unavailable.values():
            log.warning("cannot build here: %s", why)
        return 1
    if args.command == "fingerprint":
        inputs = _recipe(args).fingerprint_inputs()
        if inputs.unavailable:
            log.warning("this key covers placeholders for what is not available here (%s), so it will not match "
                        "the key of a machine that has them. %s", " and ".join(inputs.unavailable),
                        " ".join(inputs.unavailable.values()))
        print(inputs.digest())
        return 0
    return _run_mnist_command(args)


def _model_cache(args: argparse.Namespace) -> Path:
    """--cache-dir, else the digits model's cache folder: the plugin's too, so that a later site
    build finds fresh what these commands made."""
    return args.cache_dir or recipe_class("digits").default_cache_dir


def _run_mnist_command(args: argparse.Namespace) -> int:
    """The commands of `_add_mnist_commands`."""
    if args.command == "browser-data":
        from .mnist.browser_data import CACHE_SUBDIR

        model_cache = _model_cache(args)
        recipe = recipe_class("browser-data").from_options(
            {"train_images": args.train_images, "test_images": args.test_images},
            data_path=args.data, data_cache_dir=model_cache / "data",
        )
        artefacts = ensure_fresh(recipe, model_cache / CACHE_SUBDIR, logger=log)
        sizes = {name: artefacts.path(name).stat().st_size for name in artefacts.files}
        state = "built" if artefacts.built else "fresh"
        print(f"{state}: {', '.join(f'{name} {size:,}' for name, size in sizes.items())} bytes; "
              f"total {sum(sizes.values()):,} bytes in {artefacts.directory}")
        return 0
    if args.command == "drawn-digits":
        from .mnist.drawn.contact_sheets import write_benchmark_sheets

        sizes = {key: value for key in ("habits_per_digit", "redrawn_per_digit") if (value := getattr(args, key)) is not None}
        sheets = write_benchmark_sheets(args.out, args.seed, args.data, _model_cache(args) / "data", **sizes)
        print(f"{len(sheets)} contact sheets (one per style) in {args.out}")
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
    raise AssertionError(f"unknown command {args.command!r}")
