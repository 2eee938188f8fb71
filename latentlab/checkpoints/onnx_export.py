"""Export a LatentLab model to ONNX: ``encoder.onnx``, ``decoder.onnx`` and ``export.json``, for use elsewhere.

The graphs are made by ``torch.onnx.export`` with the dynamo exporter (torch's maintained one, which needs
``onnxscript``; the TorchScript exporter is deprecated), with a dynamic batch dimension:

- ``encoder.onnx``: input ``items`` (batch, *item_shape) float32, the items as LatentLab feeds its models
  (``export.json``'s ``preprocessing``: uint8 pixels divided by 255, bool as 0/1, other numbers as they are);
  output ``code`` (batch, D), or ``mean`` and ``logvar`` (batch, D) for a model with a Gaussian posterior
  (the log-variance clamped as the model clamps it). A quantized model's code is its quantized values.
- ``decoder.onnx``: input ``code`` (batch, D) float32; output ``items`` (batch, *item_shape), exactly what the
  model's ``decode`` gives and LatentLab's reconstructions, traversals and samples show: probabilities in
  [0, 1] for a model with a Bernoulli likelihood (images), the Gaussian mean otherwise; a model whose
  ``decode`` departs from that says so in its ``decode_output`` (the TopK SAE's linear reconstruction).

Every registry model exports (their encoders and decoders are standard tensor operations: convolutions, linear
layers, TopK and scatter, the codebook's nearest value). So does a torch model brought from outside (a class path,
an entry point, a SAELens folder) or trained here by its class: its graphs hold its own preprocessing, and
``export.json`` records its source; without ``decode(z)`` only ``encoder.onnx`` is written. A model added as ONNX
files is refused: its files are the export. What the graphs leave out is said in ``export.json``:
the cluster heads of ``dec`` and ``gmvae`` (their assignments) and the priors beyond N(0, I) are not part of an
encoder or a decoder. A future model the exporter cannot trace fails in one sentence naming it.

The files are written into a temporary folder beside ``out_dir`` and moved into place at the end, so a failed
export leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import tempfile
import warnings
from datetime import datetime, timezone
from pathlib import Path

import torch
from torch import nn

from latentlab.core.errors import LatentLabError
from latentlab.core.workspace import file_sha256
from latentlab.models import LatentModel
from latentlab.checkpoints.sources import capabilities, source_of

FORMAT = "latentlab-onnx-export"
FORMAT_VERSION = 1
EXPORT_BATCH = 2  # items of the example batch the graphs are traced with (the batch stays dynamic)


class _Encoder(nn.Module):
    def __init__(self, model: LatentModel):
        super().__init__()
        self.model = model

    def forward(self, items: torch.Tensor):
        post = source_of(self.model).traced_encode(self.model, items)
        return post.mean.float() if post.logvar is None else (post.mean.float(), post.logvar.float())


class _Decoder(nn.Module):
    def __init__(self, model: LatentModel):
        super().__init__()
        self.model = model

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        return self.model.decode(code)


def require_exporter():
    """The packages torch.onnx's dynamo exporter needs, or one sentence saying how to install them."""
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError as exc:
        raise LatentLabError(f"Exporting to ONNX needs the onnx extra ({exc.name or exc} is not installed); install it "
                             "with pip install 'latentlab[onnx]'.") from None


def decoder_output(model: LatentModel) -> str:
    """What ``decoder.onnx`` gives, in words."""
    return source_of(model).decoder_output(model)


def _export_graph(module: nn.Module, example: torch.Tensor, path: Path, input_name: str, output_names: list[str],
                  what: str) -> None:
    batch = torch.export.Dim("batch")
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)  # the exporter logs every optional operator library it does not find
    # a torch.distributions posterior checks its arguments' values when made, which a trace cannot follow
    validate = torch.distributions.Distribution._validate_args
    torch.distributions.Distribution.set_default_validate_args(False)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(module.eval(), (example,), input_names=[input_name], output_names=output_names,
                                        dynamo=True, dynamic_shapes=({0: batch},), external_data=False, verbose=False)
            program.save(str(path))
    except LatentLabError:
        raise
    except Exception as exc:  # the exporter's many error types: the model uses something ONNX cannot express
        reason = re.sub(r"\x1b\[[0-9;]*m", "", (str(exc).strip().splitlines() or [type(exc).__name__])[0])[:200]
        raise LatentLabError(f"The {what} cannot be expressed in ONNX ({type(exc).__name__}: {reason}).") from None
    finally:
        logger.setLevel(level)
        torch.distributions.Distribution.set_default_validate_args(validate)


def _io(name: str, shape: list) -> dict:
    return {"name": name, "dtype": "float32", "shape": ["batch", *[int(v) for v in shape]]}


def export_model(model: LatentModel, model_name: str, out_dir, about: dict, stored_dtype: str) -> dict:
    """Write ``encoder.onnx``, ``decoder.onnx`` and ``export.json`` into the new folder ``out_dir``.

    Parameters
    ----------
    model : the model (any device; exported on the CPU in eval mode, from a copy)
    model_name : its registry name
    out_dir : a folder that does not exist yet (or is empty)
    about : what ``export.json`` records of where the model came from (checkpoint, dataset, ...)
    stored_dtype : the dataset's stored dtype (``uint8``, ``bool``, ``float32``...), for the preprocessing note

    Returns
    -------
    The ``export.json`` description (also written), with the files' paths under ``files``.
    """
    import copy

    require_exporter()
    import onnx

    out_dir = Path(out_dir).expanduser()
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise LatentLabError(f"{out_dir}: the folder already exists and is not empty; choose a new folder for the export.")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    model = copy.deepcopy(model).to("cpu").eval()
    shape, D = list(model.config.input_shape), int(model.config.latent_dim)
    outputs = ["mean", "logvar"] if model.stochastic else ["code"]
    generator = torch.Generator().manual_seed(0)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp's folder is private; the export is an ordinary folder
        _export_graph(_Encoder(model), torch.rand(EXPORT_BATCH, *shape, generator=generator), tmp / "encoder.onnx",
                      "items", outputs, f"encoder of '{model_name}'")
        decoder = capabilities(model).has_decoder
        if decoder:
            _export_graph(_Decoder(model), torch.randn(EXPORT_BATCH, D, generator=generator), tmp / "decoder.onnx",
                          "code", ["items"], f"decoder of '{model_name}'")
        opset = {o.domain or "ai.onnx": o.version for o in onnx.load(str(tmp / "encoder.onnx")).opset_import}
        scale = 1 / 255 if stored_dtype == "uint8" else 1.0
        description = {
            "format": FORMAT, "format_version": FORMAT_VERSION, **about,
            "model": model_name, "model_config": model.config.to_dict(), "latent_dim": D,
            "gaussian": bool(model.stochastic), "quantized": bool(model.quantized),
            "encoder": {"file": "encoder.onnx", "sha256": file_sha256(tmp / "encoder.onnx"),
                        "inputs": [_io("items", shape)], "outputs": [_io(name, [D]) for name in outputs]},
            "decoder": {"file": "decoder.onnx", "sha256": file_sha256(tmp / "decoder.onnx"),
                        "inputs": [_io("code", [D])], "outputs": [_io("items", shape)],
                        "output_meaning": decoder_output(model)} if decoder else None,
            "preprocessing": {"input_shape": shape, "stored_dtype": stored_dtype, "scale": scale, "mean": None, "std": None,
                              "how": "items as LatentLab feeds its models: stored values times scale (uint8 pixels "
                                     "divided by 255, bool as 0/1, other numbers as they are), as float32; "
                                     "no per-channel mean or std" + source_of(model).preprocessing_note(model)},
            "not_exported": _not_exported(model),
            "opset": opset, "exporter": f"torch.onnx (dynamo), torch {torch.__version__}",
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        description.update(source_of(model).export_entry())
        (tmp / "export.json").write_text(json.dumps(description, indent=2, sort_keys=True))
        with contextlib.suppress(FileNotFoundError):
            out_dir.rmdir()  # an empty folder the user made for the export: replaced by the finished one
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    written = ("encoder.onnx", "decoder.onnx", "export.json") if decoder else ("encoder.onnx", "export.json")
    return {**description, "files": {name: str(out_dir / name) for name in written}}


def _not_exported(model: LatentModel) -> list[str]:
    """What the two graphs leave out of the model, in words."""
    out = []
    if not capabilities(model).has_decoder:
        out.append("a decoder: the model provides no decode(z), so only encoder.onnx is written")
    if model.n_clusters:
        out.append(f"the cluster assignments of its {model.n_clusters} clusters (the encoder gives the codes only)")
    if model.prior_components() is not None:
        out.append("its mixture prior (a foreign Gaussian model is sampled from N(0, I))")
    if model.quantized:
        out.append("its codebooks as a list (the codes and the decoder use them)")
    return out


def export_checkpoint(checkpoint, out_dir) -> dict:
    """``export_model`` for a checkpoint (a name, path or ``Checkpoint``): one of LatentLab's own models, or a torch
    model brought from outside or trained here by its class (not one that is ONNX already); see
    ``latentlab.lab.export_onnx``."""
    from latentlab.checkpoints.resolve import dataset_for, load_checkpoint

    ck = load_checkpoint(checkpoint)
    source = source_of(ck.model, ck.model_name)
    if not source.exportable:
        raise LatentLabError(f"Checkpoint '{ck.name}' is already an ONNX model; its files are in the checkpoint's "
                             "folder, listed in its manifest under files.")
    try:
        stored = str(dataset_for(ck).x.dtype)
    except LatentLabError:  # the training set is gone: the export still says what the model takes
        stored = "unknown"
    about = {"checkpoint": ck.name, "checkpoint_fingerprint": ck.fingerprint, "dataset": ck.manifest["dataset"]}
    return export_model(ck.model, source.label(), out_dir, about, stored)
