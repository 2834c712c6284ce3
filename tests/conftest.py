"""Shared fixtures: a tiny trained model (seconds, not minutes), MNIST, a local HTTP server."""

from __future__ import annotations

import functools
import http.server
import logging
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from model_build import MnistConfig, MnistRecipe, ensure_fresh
from model_build.mnist.data import MnistArrays, load_mnist

ROOT = Path(__file__).resolve().parent.parent

#: The smallest drawn-digit benchmark with every style in both parts: 100 digits (about 50 a part),
#: generated in a few tenths of a second instead of the full size's 3,600 in 12–40 s.
TINY_DRAWN_BENCHMARK = {"habits_per_digit": 8, "redrawn_per_digit": 2}
#: Trains in about a second and still reaches ~93 % on MNIST: enough to make parity meaningful.
TINY_RECIPE = {
    "epochs": 1, "train_subset": 6000, "test_subset": 2000, "batch_size": 64,
    "augmentation": False, "learning_rate": 3e-3, "learning_rate_schedule": "constant",
    "drawn_benchmark": TINY_DRAWN_BENCHMARK,
}


@pytest.fixture(scope="session")
def data_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mnist-cache")


@pytest.fixture(scope="session")
def mnist(data_cache_dir: Path) -> MnistArrays:
    return load_mnist(cache_dir=data_cache_dir)


def tiny_recipe(data_cache_dir: Path, **overrides) -> MnistRecipe:
    return MnistRecipe(MnistConfig.from_mapping({**TINY_RECIPE, **overrides}), data_cache_dir=data_cache_dir)


@pytest.fixture(scope="session")
def trained_model(data_cache_dir: Path, mnist: MnistArrays):
    """A tiny Keras model trained once per session, with the float32 test predictions."""
    from model_build.mnist.training import train

    result = train(tiny_recipe(data_cache_dir).config, mnist, logging.getLogger("tests"))
    return result.model


@pytest.fixture(scope="session")
def tiny_artefacts(tmp_path_factory: pytest.TempPathFactory, data_cache_dir: Path):
    """The full pipeline run once on the tiny recipe (uint8, the default quantization)."""
    cache = tmp_path_factory.mktemp("artefact-cache")
    return ensure_fresh(tiny_recipe(data_cache_dir), cache)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output readable
        pass


@pytest.fixture
def serve_directory() -> Iterator:
    """Start a loopback HTTP server for a directory; returns its base URL."""
    servers = []

    def start(directory: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def node_executable() -> str:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "@tensorflow" / "tfjs").is_dir():
        pytest.fail("Node.js and node_modules/@tensorflow/tfjs are required: run `make test` (it runs npm ci).")
    return node


def run_node(script: Path, *args: str) -> str:
    completed = subprocess.run(
        [node_executable(), str(script), *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    if completed.returncode != 0:
        raise AssertionError(f"node {script.name} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout
