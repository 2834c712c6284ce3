"""Write a Keras 3 model as a TF.js Layers model: `model.json` plus `groupN-shardXofY.bin`.

Our own writer, because the official `tensorflowjs_converter` cannot read Keras 3 models (and
`tensorflowjs` 4.22 does not even import next to current TensorFlow).

Besides what the converter writes, `model.json` records the SHA-256 of every weight file, as
`userDefinedMetadata: {"weightsSha256": {"group1-shard1of1.bin": "<hex>", …}}`.
`userDefinedMetadata` is TF.js's documented place for a model's own data: `tf.loadLayersModel`
keeps it (`model.getUserDefinedMetadata()`) and otherwise ignores it, so the files load as
usual, and a loader that fetches the shards itself can check them before using them (a cache
that mixes an old shard with a new `model.json` would otherwise load silently, as garbage).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .graph import translate_model
from .variables import tfjs_weights
from .weights import DEFAULT_SHARD_BYTES, Quantization, encode_weight, read_weight_group, write_weight_group

MODEL_JSON = "model.json"
FORMAT = "layers-model"
GENERATED_BY = "model_build.tfjs writer"
#: The key, inside `userDefinedMetadata`, of the weight files' hashes: {path: SHA-256 hex}.
WEIGHTS_SHA256 = "weightsSha256"


@dataclass(frozen=True)
class WrittenModel:
    """What the writer produced."""

    directory: Path
    files: tuple[str, ...]
    weight_bytes: int


def keras_model_parts(model: Any) -> tuple[dict[str, Any], list[tuple[str, np.ndarray]]]:
    """(tfjs model_config, [(weight name, values)]) for a Keras 3 model.

    Weights are named as tfjs-layers names the variables it creates (`variables.tfjs_weights`);
    optimizer state never enters: only the layers' own weights are listed.
    """
    model_config = translate_model(model.get_config(), type(model).__name__)
    return model_config, tfjs_weights(model)


def write_layers_model(
    model_config: dict[str, Any],
    weights: list[tuple[str, np.ndarray]],
    directory: Path,
    *,
    quantization: Quantization = "none",
    max_shard_bytes: int = DEFAULT_SHARD_BYTES,
    keras_version: str = "unknown",
    converted_by: str = "unknown",
) -> WrittenModel:
    """Write `model.json` and the weight shards into `directory` (which must exist).

    `model.json` records each shard's SHA-256 under `userDefinedMetadata.weightsSha256`.
    """
    encoded = [encode_weight(name, values, quantization) for name, values in weights]
    group = write_weight_group(encoded, directory, max_shard_bytes)
    document = {
        "format": FORMAT,
        "generatedBy": GENERATED_BY,
        "convertedBy": converted_by,
        "modelTopology": {"keras_version": keras_version, "backend": "tensorflow", "model_config": model_config},
        "weightsManifest": [group],
        "userDefinedMetadata": {WEIGHTS_SHA256: {path: file_sha256(directory / path) for path in group["paths"]}},
    }
    (directory / MODEL_JSON).write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    weight_bytes = sum(len(weight.data) for weight in encoded)
    return WrittenModel(directory, (MODEL_JSON, *group["paths"]), weight_bytes)


def write_keras_model(
    model: Any,
    directory: Path,
    *,
    quantization: Quantization = "none",
    max_shard_bytes: int = DEFAULT_SHARD_BYTES,
) -> WrittenModel:
    """Convenience: `keras_model_parts` + `write_layers_model` with the running library versions."""
    model_config, weights = keras_model_parts(model)
    return write_layers_model(
        model_config, weights, directory,
        quantization=quantization, max_shard_bytes=max_shard_bytes, **running_versions(),
    )


def running_versions() -> dict[str, str]:
    """`write_layers_model`'s `keras_version` and `converted_by`, from the libraries imported here."""
    import keras
    import tensorflow as tf

    return {"keras_version": keras.__version__,
            "converted_by": f"TensorFlow {tf.__version__}, Keras {keras.__version__}"}


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_weight_files(document: dict[str, Any], directory: Path) -> None:
    """Raise ValueError if a weight file differs from the hash `model.json` records for it.

    A `model.json` without recorded hashes (another writer's) passes unchecked.
    """
    recorded = document.get("userDefinedMetadata", {}).get(WEIGHTS_SHA256)
    if recorded is None:
        return
    for group in document["weightsManifest"]:
        for path in group["paths"]:
            if recorded.get(path) != file_sha256(directory / path):
                raise ValueError(f"{directory / path} does not match the SHA-256 that {MODEL_JSON} records for it")


def read_layers_model_weights(directory: Path) -> dict[str, np.ndarray]:
    """The weights of a written model, decoded exactly as TF.js will see them (after checking
    the files against the hashes `model.json` records)."""
    document = json.loads((directory / MODEL_JSON).read_text(encoding="utf-8"))
    check_weight_files(document, directory)
    weights: dict[str, np.ndarray] = {}
    for group in document["weightsManifest"]:
        weights.update(read_weight_group(group, directory))
    return weights
