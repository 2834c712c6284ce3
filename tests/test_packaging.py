"""The wheel carries everything a site needs (TF.js included), and building it leaves the
checkout as it was."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile

from .conftest import ROOT, Snapshot, _git


def test_building_the_wheel_leaves_no_untracked_files(snapshot_wheel: Snapshot) -> None:
    assert _git("status", "--porcelain", "--untracked-files=all", cwd=snapshot_wheel.checkout) == ""


def test_the_wheel_carries_the_pinned_tfjs_files_and_our_assets(snapshot_wheel: Snapshot) -> None:
    spec = json.loads((ROOT / "plugins/digit_model/tfjs_files.json").read_text())
    with zipfile.ZipFile(snapshot_wheel.wheel) as wheel:
        names = set(wheel.namelist())
        for file in spec["files"]:
            data = wheel.read(f"digit_model/tfjs/{file['path'].rsplit('/', 1)[-1]}")
            assert "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode() == file["integrity"]
        # The light build, made at package time, is the file its stamp describes (and the same
        # bytes as the checkout's: esbuild and every input are pinned).
        stamp = json.loads(wheel.read("digit_model/tfjs/light-build.json"))
        assert [part["backend"] for part in stamp["parts"]] == ["wasm"]
        for entry in (stamp, *stamp["parts"]):  # the build and its WASM part
            light = wheel.read(f"digit_model/tfjs/{entry['file']}")
            assert "sha384-" + base64.b64encode(hashlib.sha384(light).digest()).decode() == entry["integrity"]
            assert light == (ROOT / "plugins/digit_model/tfjs" / entry["file"]).read_bytes()
            assert f"digit_model/tfjs/{entry['file']}.LEGAL.txt" in names
        metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    for asset in (ROOT / "plugins/digit_model/assets").rglob("*"):
        if asset.is_file():
            assert f"digit_model/{asset.relative_to(ROOT / 'plugins/digit_model').as_posix()}" in names
    assert "digit_model/tfjs_files.json" in names and "model_build/tfjs/writer.py" in names
    assert not [name for name in names if name.startswith(("tests/", "node_modules/", "docs/"))]
    # A library's dependencies: ranges, TensorFlow only with the training extra, no test tools.
    requires = [line.removeprefix("Requires-Dist: ") for line in metadata.splitlines() if line.startswith("Requires-Dist: ")]
    plain = [line for line in requires if "extra ==" not in line]
    assert not [line for line in plain if "==" in line], plain
    assert not [line for line in plain if line.lower().startswith(("tensorflow", "keras", "pytest", "playwright", "mkdocs-material"))]
    assert any(line.startswith("tensorflow-cpu") and 'extra == "train"' in line for line in requires)
