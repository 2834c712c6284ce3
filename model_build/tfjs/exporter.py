"""Export any Keras 3 model (Sequential or Functional) as a TF.js Layers model, all or nothing.

    from model_build.tfjs import export
    export("my_model.keras", "site/model", quantization="uint8")

Everything TF.js could not run is refused before a file is written (`UnsupportedLayerError`, naming
the layer and what to do). The files are written into a temporary folder beside `directory` and
moved into place at the end, so an interrupted or failed export leaves `directory` as it was.
"""

from __future__ import annotations

import json
import shutil
import uuid
import zipfile
from pathlib import Path
from typing import Any

from ..errors import ModelBuildError
from .weights import DEFAULT_SHARD_BYTES, QUANTIZATIONS, Quantization
from .graph import translate_model
from .writer import MODEL_JSON, WrittenModel, keras_model_parts, running_versions, write_layers_model

#: Model files Keras 3 can load (`.h5` is Keras 2's format, which Keras 3 still reads).
MODEL_SUFFIXES = (".keras", ".h5")


class ExportError(ModelBuildError):
    """The model file or the output folder cannot be used; the message says why and what to do."""


def export(
    model: Any,
    directory: str | Path,
    *,
    quantization: Quantization = "none",
    shard_bytes: int = DEFAULT_SHARD_BYTES,
) -> WrittenModel:
    """Write `model` (a Keras 3 model, or the path of a `.keras` / `.h5` file) into `directory`
    as `model.json` plus weight shards of at most `shard_bytes` bytes each.

    `directory` is created if missing; if it exists it must be empty or hold an earlier export
    (a `model.json` and its `group*.bin` shards), which is replaced.
    """
    import keras

    if quantization not in QUANTIZATIONS:
        raise ExportError(f"quantization must be one of {', '.join(QUANTIZATIONS)}, got {quantization!r}")
    if shard_bytes < 1:
        raise ExportError(f"shard_bytes must be a positive number of bytes, got {shard_bytes}")
    if not isinstance(model, keras.Model):
        model = load_keras_model(Path(model))
    model_config, weights = keras_model_parts(model)  # refuses what TF.js cannot run, before any write
    target = Path(directory)
    check_replaceable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = sibling_folder(target, "partial")
    try:
        written = write_layers_model(
            model_config, weights, staging,
            quantization=quantization,
            max_shard_bytes=shard_bytes,
            **running_versions(),
        )
        replace_directory(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return WrittenModel(target, written.files, written.weight_bytes)


def load_keras_model(path: Path) -> Any:
    """A saved Keras model, or an `ExportError` saying what is wrong with the file."""
    import keras

    if not path.is_file():
        raise ExportError(f"{path} does not exist: pass the .keras file written by model.save('model.keras').")
    if path.suffix not in MODEL_SUFFIXES:
        raise ExportError(
            f"{path} is not a Keras model file ({' or '.join(MODEL_SUFFIXES)}). Save the model with "
            "model.save('model.keras') and export that file."
        )
    check_saved_topology(path)
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as error:  # Keras raises many kinds; each means "this file cannot be loaded here"
        raise ExportError(
            f"Keras could not load {path}: {error}\nIf the model holds custom layers, TF.js cannot run them "
            "either: rebuild the model from built-in layers, train or copy its weights, save and export again."
        ) from error


def check_saved_topology(path: Path) -> None:
    """Run the topology rules on a `.keras` file's config before Keras loads it, so that a layer
    TF.js cannot run (a Lambda, say, which Keras also refuses to load) is named with what to do
    instead of Keras's own loading error."""
    if not zipfile.is_zipfile(path):
        return
    with zipfile.ZipFile(path) as archive:
        if "config.json" not in archive.namelist():
            return
        saved = json.loads(archive.read("config.json"))
    if isinstance(saved, dict) and "class_name" in saved and "config" in saved:
        translate_model(saved["config"], saved["class_name"])


def check_replaceable(target: Path) -> None:
    """Refuse an output folder holding anything but an earlier export: nothing else is overwritten."""
    if not target.exists():
        return
    if not target.is_dir():
        raise ExportError(f"{target} is a file; give a folder for model.json and its weight shards.")
    foreign = sorted(path.name for path in target.iterdir() if not is_export_file(path))
    if foreign:
        shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
        raise ExportError(
            f"{target} holds files that are not an earlier export ({shown}); nothing was written. "
            "Choose an empty or new folder."
        )


def is_export_file(path: Path) -> bool:
    return path.is_file() and (path.name == MODEL_JSON or (path.name.startswith("group") and path.suffix == ".bin"))


def sibling_folder(target: Path, role: str) -> Path:
    """A new hidden folder beside `target` (same file system, so renames are atomic), created with
    the user's usual permissions (unlike `tempfile.mkdtemp`'s owner-only ones, which the export
    folder would keep)."""
    folder = target.parent / f".{target.name}.{uuid.uuid4().hex[:12]}.{role}"
    folder.mkdir()
    return folder


def replace_directory(staging: Path, target: Path) -> None:
    """Move the finished export into place; an earlier export is removed only once the new one is there."""
    if not target.exists():
        staging.rename(target)
        return
    previous = sibling_folder(target, "previous")
    previous.rmdir()
    target.rename(previous)
    try:
        staging.rename(target)
    except BaseException:
        previous.rename(target)
        raise
    shutil.rmtree(previous, ignore_errors=True)
