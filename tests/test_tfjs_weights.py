"""Weight encoding: quantization as TF.js decodes it, sharding, manifest layout."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from model_build.tfjs import weights as tfjs_weights
from model_build.tfjs.writer import read_layers_model_weights, write_layers_model

RNG = np.random.default_rng(7)


def test_float32_is_exact_little_endian() -> None:
    values = RNG.normal(size=(3, 4)).astype(np.float32)
    encoded = tfjs_weights.encode_weight("w", values)
    assert encoded.spec == {"name": "w", "shape": [3, 4], "dtype": "float32"}
    assert encoded.data == values.astype("<f4").tobytes()


def test_float16_manifest_and_round_trip() -> None:
    values = RNG.normal(size=100).astype(np.float32)
    encoded = tfjs_weights.encode_weight("w", values, "float16")
    assert encoded.spec["quantization"] == {"dtype": "float16", "original_dtype": "float32"}
    assert len(encoded.data) == 200
    decoded = tfjs_weights.decode_weights([encoded.spec], encoded.data)["w"]
    assert np.array_equal(decoded, values.astype(np.float16).astype(np.float32))


def test_uint8_affine_contract() -> None:
    values = RNG.uniform(-0.7, 1.3, size=1000).astype(np.float32)
    encoded = tfjs_weights.encode_weight("w", values, "uint8")
    q = encoded.spec["quantization"]
    assert q["dtype"] == "uint8" and q["original_dtype"] == "float32"
    assert q["min"] == pytest.approx(values.min()) and q["scale"] == pytest.approx((values.max() - values.min()) / 255)
    stored = np.frombuffer(encoded.data, np.uint8)
    assert stored.min() == 0 and stored.max() == 255
    assert np.array_equal(stored, np.rint((values.astype(np.float64) - q["min"]) / q["scale"]).astype(np.uint8))
    decoded = tfjs_weights.decode_weights([encoded.spec], encoded.data)["w"]
    assert np.abs(decoded - values).max() <= q["scale"] / 2 + 1e-7


def test_uint8_constant_tensor_survives() -> None:
    encoded = tfjs_weights.encode_weight("b", np.zeros(5, np.float32), "uint8")
    assert np.array_equal(tfjs_weights.decode_weights([encoded.spec], encoded.data)["b"], np.zeros(5))


def test_unknown_quantization_is_refused() -> None:
    with pytest.raises(ValueError, match="none, float16, uint8"):
        tfjs_weights.encode_weight("w", np.zeros(1), "int4")


def test_decode_rejects_data_that_does_not_fit_the_manifest() -> None:
    encoded = tfjs_weights.encode_weight("w", np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="ends inside 'w'"):
        tfjs_weights.decode_weights([encoded.spec], encoded.data[:-1])
    with pytest.raises(ValueError, match="not described"):
        tfjs_weights.decode_weights([encoded.spec], encoded.data + b"\0")


def test_shards_are_bounded_named_and_concatenate_back(tmp_path: Path) -> None:
    weights = [("a/kernel", RNG.normal(size=(50, 40)).astype(np.float32)), ("a/bias", RNG.normal(size=40).astype(np.float32))]
    written = write_layers_model({"class_name": "Sequential", "config": {"name": "m", "layers": []}}, weights,
                                 tmp_path, max_shard_bytes=3000)
    total = (50 * 40 + 40) * 4
    count = -(-total // 3000)
    expected = tfjs_weights.shard_names(count)
    assert written.files == ("model.json", *expected)
    assert expected[0] == "group1-shard1of3.bin" and count == 3
    assert all((tmp_path / n).stat().st_size <= 3000 for n in expected)
    assert written.weight_bytes == total
    document = json.loads((tmp_path / "model.json").read_text())
    assert document["format"] == "layers-model" and document["weightsManifest"][0]["paths"] == expected
    for key in ("generatedBy", "convertedBy", "modelTopology"):
        assert key in document
    back = read_layers_model_weights(tmp_path)
    for name, values in weights:
        assert np.array_equal(back[name], values)


def test_default_shard_size_is_four_mebibytes() -> None:
    assert tfjs_weights.DEFAULT_SHARD_BYTES == 4 * 1024 * 1024
    assert len(tfjs_weights.split_into_shards(b"x" * (4 * 1024 * 1024 + 1))) == 2


def test_model_json_records_each_weight_files_sha256(tmp_path: Path) -> None:
    import hashlib

    weights = [("a/kernel", RNG.normal(size=(50, 40)).astype(np.float32)), ("a/bias", RNG.normal(size=40).astype(np.float32))]
    written = write_layers_model({"class_name": "Sequential", "config": {"name": "m", "layers": []}}, weights,
                                 tmp_path, max_shard_bytes=3000)
    document = json.loads((tmp_path / "model.json").read_text())
    shards = written.files[1:]
    assert document["userDefinedMetadata"] == {
        "weightsSha256": {name: hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() for name in shards}
    }
    assert len(set(document["userDefinedMetadata"]["weightsSha256"].values())) == 3


def test_reading_weights_back_refuses_a_shard_that_does_not_match_its_hash(tmp_path: Path) -> None:
    values = RNG.normal(size=(10, 10)).astype(np.float32)
    write_layers_model({"class_name": "Sequential", "config": {"name": "m", "layers": []}}, [("a/kernel", values)], tmp_path)
    shard = tmp_path / "group1-shard1of1.bin"
    data = bytearray(shard.read_bytes())
    data[0] ^= 1  # same length, one bit off: decodes silently as different weights
    shard.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="group1-shard1of1.bin does not match the SHA-256"):
        read_layers_model_weights(tmp_path)
