"""Weight encoding for TF.js: quantization, the weights manifest, and shards.

The manifest lists weights in the order their bytes are concatenated; TF.js fetches every
shard of a group, concatenates them, and slices the result by the listed shapes and dtypes.
Decoding here mirrors TF.js's `decodeWeights` step by step, so that Python can evaluate exactly
the numbers a browser will run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

Quantization = Literal["none", "float16", "uint8"]
QUANTIZATIONS: tuple[Quantization, ...] = ("none", "float16", "uint8")
DEFAULT_SHARD_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class EncodedWeight:
    """One weight as stored: its manifest entry and its little-endian bytes."""

    spec: dict[str, Any]
    data: bytes


def encode_weight(name: str, values: np.ndarray, quantization: Quantization = "none") -> EncodedWeight:
    """Encode a float32 array as TF.js stores it, with or without quantization."""
    values = np.asarray(values, dtype=np.float32)
    spec: dict[str, Any] = {"name": name, "shape": list(values.shape), "dtype": "float32"}
    if quantization == "none":
        return EncodedWeight(spec, values.astype("<f4").tobytes())
    if quantization == "float16":
        spec["quantization"] = {"dtype": "float16", "original_dtype": "float32"}
        return EncodedWeight(spec, values.astype("<f2").tobytes())
    if quantization == "uint8":
        low = float(values.min()) if values.size else 0.0
        high = float(values.max()) if values.size else 0.0
        # A constant tensor has no range; any positive scale reproduces it exactly from q = 0.
        scale = (high - low) / 255.0 if high > low else 1.0
        quantized = np.rint((values.astype(np.float64) - low) / scale).clip(0, 255).astype(np.uint8)
        spec["quantization"] = {"dtype": "uint8", "min": low, "scale": scale, "original_dtype": "float32"}
        return EncodedWeight(spec, quantized.tobytes())
    raise ValueError(f"quantization must be one of {', '.join(QUANTIZATIONS)}, got {quantization!r}")


def decode_weights(specs: Sequence[Mapping[str, Any]], data: bytes) -> dict[str, np.ndarray]:
    """Slice concatenated weight bytes per the manifest and dequantize, as TF.js does.

    uint8: TF.js computes ``q * scale + min`` in JavaScript doubles and stores the result in a
    Float32Array; the float64 arithmetic followed by a float32 cast below is the same rounding.
    """
    weights: dict[str, np.ndarray] = {}
    offset = 0
    for spec in specs:
        shape = tuple(spec["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        quantization = spec.get("quantization")
        stored = quantization["dtype"] if quantization else spec["dtype"]
        item = {"float32": 4, "float16": 2, "uint8": 1}[stored]
        chunk = data[offset : offset + count * item]
        if len(chunk) != count * item:
            raise ValueError(f"weight data ends inside {spec['name']!r}")
        offset += count * item
        if stored == "float32":
            values = np.frombuffer(chunk, "<f4")
        elif stored == "float16":
            values = np.frombuffer(chunk, "<f2").astype(np.float32)
        else:
            q = np.frombuffer(chunk, np.uint8).astype(np.float64)
            values = (q * quantization["scale"] + quantization["min"]).astype(np.float32)
        weights[spec["name"]] = values.reshape(shape)
    if offset != len(data):
        raise ValueError(f"{len(data) - offset} bytes of weight data are not described by the manifest")
    return weights


def shard_names(count: int, group: int = 1) -> list[str]:
    """`group1-shard1of3.bin` … (1-based, as TF.js's converter names them)."""
    return [f"group{group}-shard{index}of{count}.bin" for index in range(1, count + 1)]


def split_into_shards(data: bytes, max_shard_bytes: int = DEFAULT_SHARD_BYTES) -> list[bytes]:
    """Cut the concatenated weights into pieces of at most `max_shard_bytes` (at least one piece)."""
    if max_shard_bytes < 1:
        raise ValueError("max_shard_bytes must be positive")
    return [data[start : start + max_shard_bytes] for start in range(0, len(data), max_shard_bytes)] or [b""]


def write_weight_group(
    weights: Iterable[EncodedWeight], directory: Path, max_shard_bytes: int = DEFAULT_SHARD_BYTES
) -> dict[str, Any]:
    """Write one group's shards into `directory`; return its `weightsManifest` entry."""
    weights = list(weights)
    data = b"".join(weight.data for weight in weights)
    shards = split_into_shards(data, max_shard_bytes)
    names = shard_names(len(shards))
    for name, shard in zip(names, shards):
        (directory / name).write_bytes(shard)
    return {"paths": names, "weights": [weight.spec for weight in weights]}


def read_weight_group(group: Mapping[str, Any], directory: Path) -> dict[str, np.ndarray]:
    """Read a group's shards back, concatenated in order, and decode them."""
    data = b"".join((directory / path).read_bytes() for path in group["paths"])
    return decode_weights(group["weights"], data)
