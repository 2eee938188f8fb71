"""An encoder (and optionally a decoder) given as ONNX files, run by onnxruntime, as a ``torch.nn.Module``.

For a model whose code the user cannot or will not install: the files are data, checked before anything runs
(``onnx_checks``: size, parse, standard domains only, external data only beside the model, the graph's
inputs and outputs). The encoder takes a batch of items ``(B, *item_shape)`` float32 and gives one output, the
code ``(B, D)``, or two, the mean and the log-variance ``(B, D)`` of a Gaussian posterior; the decoder takes
codes ``(B, D)`` and gives items ``(B, *item_shape)``. The graphs run on the CPU, or on a CUDA GPU when
onnxruntime has its CUDA provider. A graph with a fixed batch dimension is run that many items at a time.

Both are probed once when the model is built (a seeded batch of items, then of codes), which finds the
latent width and checks the decoder's output shape; every later call checks its outputs too (the width, and
that every value is finite), so a model that misbehaves on some batch says so in one sentence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from latentlab.core.errors import LatentLabError
from latentlab.models.onnx_checks import CheckedGraph, check_signature, checked_graph, require_onnx, shape_text

PROBE_ITEMS = 2  # items of the probe batch (a graph with a fixed batch runs its own batch size)


class OnnxModel(nn.Module):
    """ONNX encoder (and decoder) files as a module with ``encode`` and ``decode``.

    Parameters
    ----------
    encoder_path : path of the encoder's ``.onnx`` file
    decoder_path : path of the decoder's ``.onnx`` file, or None for an encoder alone
    item_shape : the dataset's item shape the encoder must take (its input is ``(B, *item_shape)``); None takes
        it from the encoder's input, which must then be fixed but for the batch

    Attributes
    ----------
    n_encoder_outputs : 1 (the code) or 2 (mean and log-variance), from the graph's outputs
    latent_dim : D, the width of the encoder's outputs
    has_decoder : whether ``decode`` is available
    item_shape : the items' shape
    """

    def __init__(self, encoder_path, decoder_path=None, item_shape=None):
        super().__init__()
        _, ort = require_onnx()
        encoder = checked_graph(encoder_path, "encoder")
        self.item_shape = check_signature(encoder, "encoder", None if item_shape is None else tuple(item_shape), (1, 2))
        self.n_encoder_outputs = len(encoder.proto.graph.output)
        self._encoder = _Session(encoder, "encoder", ort)
        probe = torch.from_numpy(np.random.default_rng(0).random((self._encoder.probe_batch, *self.item_shape),
                                                                 dtype=np.float32))
        outputs = self._encoder.run(probe)
        widths = {o.shape[1] if o.ndim == 2 else None for o in outputs}
        if len(widths) != 1 or None in widths or any(o.shape[0] != len(probe) for o in outputs):
            shapes = ", ".join(shape_text(o.shape) for o in outputs)
            raise LatentLabError(f"{encoder.path.name}: the encoder gives outputs of shape {shapes} for a batch of "
                                 f"{len(probe)} items, but LatentLab reads (batch, D) codes (and as many log-variances); "
                                 "export it to return flat codes.")
        self.latent_dim = int(widths.pop())
        self.has_decoder = decoder_path is not None
        self._decoder = None
        if self.has_decoder:
            decoder = checked_graph(decoder_path, "decoder")
            check_signature(decoder, "decoder", (self.latent_dim,), (1,))
            self._decoder = _Session(decoder, "decoder", ort)
            self._check_decoder_shape(decoder)

    def _check_decoder_shape(self, decoder: CheckedGraph) -> None:
        n = self._decoder.probe_batch
        (out,) = self._decoder.run(torch.zeros(n, self.latent_dim))
        if tuple(out.shape) != (n, *self.item_shape):
            raise LatentLabError(f"{decoder.path.name}: the decoder gives items of shape {shape_text((None, *out.shape[1:]))}, but the "
                                 f"dataset's items have shape {shape_text((None, *self.item_shape))}; export the decoder "
                                 "to return items of that shape.")

    # -- the interface ForeignModel and the views use ----------------------------------------------
    def encode(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Items (B, *item_shape) -> the code (B, D), or (mean, logvar), each (B, D), on ``x``'s device."""
        outputs = self._encoder.run(x)
        for o in outputs:
            if o.shape != (x.shape[0], self.latent_dim):
                raise LatentLabError(f"{self._encoder.name}: the encoder gave outputs of shape {shape_text(o.shape)} for "
                                     f"{x.shape[0]} items, where it gave width {self.latent_dim} before; an encoder's "
                                     "output width must not change between batches.")
        tensors = [torch.from_numpy(o).to(x.device) for o in outputs]
        return tensors[0] if len(tensors) == 1 else (tensors[0], tensors[1])

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes (B, D) -> items (B, *item_shape), on ``z``'s device."""
        if self._decoder is None:
            raise LatentLabError("This ONNX model has no decoder; add it again with a decoder file to decode codes.")
        (out,) = self._decoder.run(z)
        return torch.from_numpy(out).to(z.device)

    def forward(self, x: torch.Tensor):
        return self.encode(x)

    def files(self) -> dict[str, Path]:
        """Every file the model reads, to hash: ``encoder``, ``decoder`` and each external-data file as
        ``encoder:NAME`` / ``decoder:NAME``."""
        out = {}
        for session in (self._encoder, self._decoder):
            if session is not None:
                out[session.role] = session.path
                out.update({f"{session.role}:{p.name}": p for p in session.data_files})
        return out

    def __deepcopy__(self, memo):
        # The sessions hold no state between calls (and cannot be copied): a copy may share them.
        return self

    def extra_repr(self) -> str:
        return (f"encoder={self._encoder.name}, decoder={self._decoder.name if self._decoder else None}, "
                f"item_shape={self.item_shape}, latent_dim={self.latent_dim}, outputs={self.n_encoder_outputs}")


class _Session:
    """One checked graph in an onnxruntime session; ``run`` feeds float32 batches and checks the outputs."""

    def __init__(self, graph: CheckedGraph, role: str, ort):
        self.role, self.path, self.data_files, self.name = role, graph.path, graph.data_files, graph.path.name
        providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()]
        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only: the runtime's warnings are not the user's to read
        # A model with external data is loaded from its path (the runtime finds the checked files beside it);
        # otherwise from the very bytes that were checked.
        source = str(graph.path) if graph.data_files else graph.content
        try:
            self.session = ort.InferenceSession(source, options, providers=providers)
        except Exception as exc:  # onnxruntime raises its own exception types for graphs it cannot run
            reason = ((str(exc).strip().splitlines() or [type(exc).__name__])[-1])[:200]
            raise LatentLabError(f"{self.name}: onnxruntime cannot load the {role} ({reason}); export it again with "
                                 "standard operators.") from None
        value = self.session.get_inputs()[0]
        self.input = value.name
        batch = value.shape[0] if value.shape else None
        self.fixed_batch = batch if isinstance(batch, int) and batch > 0 else None
        self.probe_batch = self.fixed_batch or PROBE_ITEMS

    def run(self, x: torch.Tensor) -> list[np.ndarray]:
        """x (B, ...) -> the graph's outputs, each (B, ...) float32, checked finite."""
        array = np.ascontiguousarray(x.detach().to("cpu", torch.float32).numpy())
        if self.fixed_batch is None:
            outputs = self._run(array)
        else:  # a graph exported for one batch size: run it that many items at a time, the last batch padded
            b, n = self.fixed_batch, len(array)
            parts = []
            for start in range(0, n, b):
                chunk = array[start:start + b]
                if len(chunk) < b:
                    chunk = np.concatenate([chunk, np.zeros((b - len(chunk), *chunk.shape[1:]), np.float32)])
                parts.append([o[: min(b, n - start)] for o in self._run(chunk)])
            outputs = [np.concatenate(list(outs)) for outs in zip(*parts)] if parts else self._run(array)
        for out in outputs:
            if not np.isfinite(out).all():
                raise LatentLabError(f"{self.name}: the {self.role} gave NaN or infinite values for a batch of "
                                     f"{len(array)}; check the model and the preprocessing it expects.")
        return outputs

    def _run(self, array: np.ndarray) -> list[np.ndarray]:
        try:
            outputs = self.session.run(None, {self.input: array})
        except Exception as exc:  # onnxruntime's own errors (a shape the graph cannot take, ...)
            reason = ((str(exc).strip().splitlines() or [type(exc).__name__])[-1])[:200]
            raise LatentLabError(f"{self.name}: onnxruntime could not run the {self.role} on a batch of shape "
                                 f"{shape_text(array.shape)} ({reason}).") from None
        return [np.asarray(o, dtype=np.float32) for o in outputs]
