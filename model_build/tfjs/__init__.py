"""Keras 3 → TensorFlow.js Layers format: topology rules, weight names and encoding, the writer.

`export(model_or_path, directory, quantization=…, shard_bytes=…)` is the entry point; the command
line is `python -m model_build.tfjs export MODEL.keras OUT/`. Importing this package is cheap:
TensorFlow is imported when a model is exported.
"""

from .exporter import ExportError, export

__all__ = ["ExportError", "export"]
