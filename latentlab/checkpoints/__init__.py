"""Checkpoints: the format on disk (``format``: ``NAME.safetensors`` + ``NAME.json``), manifests read without torch
(``manifests``), resolving what a function is given (``resolve``), where a model comes from (``sources``: our
registry's classes, installed classes, ONNX files, SAELens folders), adding a model from outside (``add``) and
ONNX export (``onnx_export``).

Everything that encodes, maps or decodes reads checkpoints through this package; the training loop
(``latentlab.training``) writes them and sits above it.
"""
