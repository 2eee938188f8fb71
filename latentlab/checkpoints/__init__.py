"""Checkpoints: the format on disk (``format``: ``NAME.safetensors`` + ``NAME.json``), manifests read without torch
(``manifests``), resolving what a function is given (``resolve``), models brought from outside (``add``,
``foreign_files``) and ONNX export (``onnx_export``).

Everything that encodes, maps or decodes reads checkpoints through this package; the training loop
(``latentlab.training``) writes them and sits above it.
"""
