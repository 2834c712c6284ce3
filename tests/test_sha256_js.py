"""The page's pure-JS SHA-256 fallback (for pages without crypto.subtle) against Python's hashlib."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np

from .conftest import ROOT, run_node

SCRIPT = ROOT / "tests" / "node" / "sha256_digests.mjs"
MODULE = ROOT / "plugins" / "digit_model" / "assets" / "js" / "sha256.js"


def test_js_sha256_fallback_matches_hashlib(tmp_path) -> None:
    # Around the padding boundaries (55/56/64 bytes), several blocks, and a shard-sized input.
    lengths = [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 106_000, 1_000_003]
    rng = np.random.default_rng(3)
    files = []
    for length in lengths:
        path = tmp_path / f"{length}.bin"
        path.write_bytes(b"abc" if length == 3 else rng.integers(0, 256, length, dtype=np.uint8).tobytes())
        files.append(path)
    # Node treats a .js file outside a "type": "module" package as CommonJS: import a .mjs copy.
    module = tmp_path / "sha256.mjs"
    shutil.copyfile(MODULE, module)
    digests = json.loads(run_node(SCRIPT, str(module), *map(str, files)))
    for path in files:
        expected = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digests[str(path)] == {"fallback": expected, "webcrypto": expected}, path.name
    assert digests[str(tmp_path / "3.bin")]["fallback"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
