"""Keras 3 → TensorFlow.js Layers format: topology rules, weight encoding, the writer."""
