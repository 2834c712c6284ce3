"""Shared fixtures and helpers: a tiny trained model (seconds, not minutes), MNIST, a local HTTP
server, and tiny MkDocs sites built with the plugin."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import http.server
import logging
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

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
    # A few hundred redrawn digits (a second, in-process) keep that step in every tiny build.
    "redrawn_training": {"images": 300},
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


# -- tiny MkDocs sites (shared by the plugin tests) ---------------------------------------------

PLACEHOLDER_PAGE = """# 測試頁

準確度 {{ digit_model.test_accuracy }}，上線權重 {{ digit_model.shipped_accuracy }}（{{ digit_model.quantization }}），
{{ digit_model.weight_bytes }} bytes，{{ digit_model.parameters }} 個參數，訓練 {{ digit_model.training_seconds }} 秒。
最常混淆：{{ digit_model.most_confused_pair }}。字面：\\{{ digit_model.test_accuracy }}

![curve]({{ digit_model.training_curve }})

{{ digit_model.per_digit_table }}

手繪數字 {{ digit_model.drawn_accuracy }}（{{ digit_model.drawn_digits }} 個，錯 {{ digit_model.drawn_errors }} 個，
其中 {{ digit_model.drawn_confident_errors }} 個信心 ≥ 90%），最弱寫法 {{ digit_model.drawn_worst_style }}
（{{ digit_model.drawn_worst_style_accuracy }}）。

{{ digit_model.drawn_style_table }}

{{ digit_model.drawn_confused_table }}
"""


def write_site(directory: Path, plugin_options: dict | None = None, pages: dict[str, str] | None = None,
               cache_dir: Path | None = None) -> Path:
    """A tiny Material site in `directory` using the plugin with the tiny recipe; returns its mkdocs.yml."""
    options = {
        "recipe": dict(TINY_RECIPE),
        "cache_dir": str(cache_dir or directory / "cache"),
        **(plugin_options or {}),
    }
    config = {
        "site_name": "tiny",
        "site_url": "https://example.invalid/",
        "theme": {"name": "material", "language": "zh-TW", "font": False},
        "plugins": [{"digit-model": options}],
    }
    (directory / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    docs = directory / "docs"
    for name, text in (pages or {"index.md": PLACEHOLDER_PAGE}).items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(text, encoding="utf-8")
    return directory / "mkdocs.yml"


def build_site(config_file: Path) -> Path:
    """Build a site as `mkdocs build` would; returns its site folder."""
    config = load_config(str(config_file))
    build(config)
    return Path(config.site_dir)


class _Capture(logging.Handler):
    """Collects what MkDocs (and so the plugin's logger) says, INFO and up."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def take(self) -> str:
        text, self.lines = "\n".join(self.lines), []
        return text


def build_fails(config_file: Path) -> str:
    """Build a site that must fail, as `mkdocs build` would; return what MkDocs logged."""
    with capture_mkdocs_log() as handler:
        with pytest.raises(Abort):
            build_site(config_file)
    return handler.take()


@contextlib.contextmanager
def capture_mkdocs_log():
    logger = logging.getLogger("mkdocs")
    handler, level = _Capture(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def model_copy(tiny_artefacts, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the tiny model's entry, as a restored CI cache holds it: (cache root, the entry's directory)."""
    root = tmp_path / "cache"
    entry = root / tiny_artefacts.fingerprint
    shutil.copytree(tiny_artefacts.directory, entry)
    return root, entry


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """A copy of the checkout as git sees it (tracked and new files, nothing ignored: no
    node_modules, no bundled TF.js, no .venv) and the wheel pip built from it."""

    checkout: Path
    wheel: Path


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="session")
def snapshot_wheel(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """`pip wheel .` of a fresh copy of the checkout, as a release would build it: in pip's
    isolated build environment, with TF.js fetched by `npm ci` from the lock file (npm's cache)."""
    checkout = tmp_path_factory.mktemp("snapshot") / "mkdocs-digit-model"
    for name in _git("ls-files", "--cached", "--others", "--exclude-standard", cwd=ROOT).splitlines():
        if (ROOT / name).is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, checkout / name)
    _git("init", "-q", cwd=checkout)
    _git("add", "-A", cwd=checkout)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "snapshot", cwd=checkout)
    out = checkout.parent / "dist"
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "--disable-pip-version-check", "-w", str(out)],
        cwd=checkout, capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (wheel,) = out.glob("*.whl")
    return Snapshot(checkout, wheel)
