"""Adding a model trained elsewhere as a checkpoint: a class the user installed (``--class``), ONNX files
(``--onnx-encoder``/``--onnx-decoder``) or a SAELens folder (``--saelens``), explored over a dataset.

The module is built and loaded where the files lie, then probed on the dataset's items: ``encode`` on two
batches of different sizes (the code's width must not change, the values must be finite; one code or a mean
and log-variance), ``decode`` on the codes (items of the dataset's shape). Only then are the files copied into
the workspace (each atomically, the manifest last, with every file's sha256): a bad input registers nothing.
See ``sources`` for the manifest's keys.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import torch

from latentlab.checkpoints import format as ckpts
from latentlab.checkpoints.resolve import as_dataset, likelihood_for
from latentlab.checkpoints.foreign_sources import ForeignSource, InstalledClass, OnnxFiles, SAELensFolder
from latentlab.core.errors import LatentLabError
from latentlab.core.limits import limit
from latentlab.core.workspace import atomic_path, file_sha256, write_json_atomic
from latentlab.data import Dataset
from latentlab.models.foreign import ForeignConfig, ForeignModel, Preprocessing, check_posterior, posterior_of
from latentlab.models.foreign_sources import check_config_object, load_weights, read_config

PROBE_SIZES = (8, 3)  # two batch sizes: an encoder whose width follows the batch shows it here


def add_checkpoint(name: str, dataset: str | Dataset, class_path: str | None = None, weights=None, config=None,
                   onnx_encoder=None, onnx_decoder=None, saelens=None, preprocessing: dict | None = None) -> ckpts.Checkpoint:
    """Add a model trained elsewhere as checkpoint ``name``, explored over ``dataset`` like one of ours.

    Give exactly one source:

    - ``class_path``: ``"package.module:Class"`` or the name an installed package registers under the
      entry-point group ``latentlab.models``; a ``torch.nn.Module`` with ``encode(x)`` (the code, a
      ``(mean, logvar)`` pair, or an object with ``mean``/``logvar``-like attributes, see
      ``latentlab.models.foreign``) and optionally ``decode(z)`` and ``loss(x)``. It is built as
      ``Class(**config)`` (``config``: a JSON file of keyword arguments, or a dict) and ``weights`` (a
      ``.safetensors`` file of its ``state_dict``; pickles are refused) are loaded into it.
    - ``onnx_encoder`` (and ``onnx_decoder``): ONNX files run by onnxruntime.
    - ``saelens``: a SAELens folder (``cfg.json`` and ``sae_weights.safetensors``) over a dataset of vectors of
      its ``d_in``.

    ``preprocessing`` (``{"scale", "mean", "std", "input_shape"}``) says how the model wants the dataset's float
    items: ``(x * scale - mean) / std`` per channel, reshaped to ``input_shape``. The model is probed on the
    dataset's items before anything is written; the manifest records the source, the preprocessing and every
    file's sha256 (checked on load). Returns the loaded ``Checkpoint``.
    """
    given = [f"`{param}`" for param, value in (("class_path", class_path), ("onnx_encoder", onnx_encoder),
                                                ("saelens", saelens)) if value]
    if len(given) != 1:
        raise LatentLabError("Give exactly one of `class_path` (with `weights`), `onnx_encoder` or `saelens` "
                             f"({'none' if not given else ' and '.join(given)} given).", param="class_path",
                             also=("weights", "onnx_encoder", "saelens"))
    if onnx_decoder and not onnx_encoder:
        raise LatentLabError("`onnx_decoder` goes with `onnx_encoder`; give both or leave the decoder out.",
                             param="onnx_decoder", value=onnx_decoder, also=("onnx_encoder",))
    target = ckpts.checkpoint_path(name)
    if target.exists() or target.with_suffix(".safetensors").exists():
        raise LatentLabError(f"A checkpoint named '{name}' already exists; choose another name.")
    ds = as_dataset(dataset)
    prep = Preprocessing.from_dict(preprocessing, ds.item_shape)
    model_shape = tuple(prep.input_shape or ds.item_shape)
    source, files, module = _arrival(ds, model_shape, class_path, weights, config, onnx_encoder, onnx_decoder, saelens)
    model = probe(module, ds, prep, source)
    return _write(target, model, ds, files)


def _arrival(ds: Dataset, model_shape: tuple, class_path, weights, config, onnx_encoder, onnx_decoder,
             saelens) -> tuple[ForeignSource, dict[str, Path], torch.nn.Module]:
    """The source the arguments name, the files it brings (by role) and its module, built with its weights."""
    if class_path:
        if not weights:
            raise LatentLabError(f"`class_path` {class_path} needs `weights` (a .safetensors file of the module's "
                                 "state_dict).", param="weights", also=("class_path",))
        source, klass = InstalledClass.named(class_path)
        source.config = check_config_object(config, "config") if isinstance(config, dict) else read_config(config)
        module = source.build(klass)
        load_weights(module, weights)
        return source, {"weights": Path(weights)}, module
    if saelens:
        source, files = SAELensFolder.read(saelens)
        if ds.item_shape != (source.config["d_in"],):
            raise LatentLabError(f"The SAE in `saelens` {Path(saelens).name} reads vectors of width "
                                 f"{source.config['d_in']}, but dataset '{ds.name}' holds items of shape "
                                 f"{list(ds.item_shape)}; import the activations it was trained on as an embedding "
                                 "dataset.", param="saelens", value=str(saelens))
        return source, files, source.module(files, model_shape)
    source = OnnxFiles()
    module = source.module({"encoder": Path(onnx_encoder), "decoder": Path(onnx_decoder) if onnx_decoder else None},
                           model_shape)
    return source, {role: Path(p) for role, p in module.files().items()}, module


@torch.no_grad()
def probe(module, ds: Dataset, prep: Preprocessing, source: ForeignSource) -> ForeignModel:
    """The module as a ``ForeignModel`` once ``encode`` and ``decode`` behave on the dataset's items."""
    label = source.label()
    module.eval()
    if len(ds) == 0:
        raise LatentLabError(f"Dataset '{ds.name}' is empty; a model is probed on its items.")
    rows = np.arange(min(len(ds), sum(PROBE_SIZES)))
    batches = [rows[: PROBE_SIZES[0]], rows[PROBE_SIZES[0]:]]
    width = gaussian = None
    first = None
    for batch in (b for b in batches if len(b)):
        x = torch.from_numpy(ds.as_float(batch))
        try:
            raw = module.encode(prep.apply(x))
        except LatentLabError:
            raise
        except Exception as exc:
            raise LatentLabError(f"{label}: encode(x) failed on items of shape {list(ds.item_shape)} with "
                                 f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}; check the "
                                 "preprocessing's input_shape and the dataset.") from None
        post = check_posterior(posterior_of(raw, f"{label}: encode(x)"), len(batch), width, gaussian, label)
        width, gaussian = post.mean.shape[1], post.logvar is not None
        first = post if first is None else first
    if width > limit("max_latent_dim"):
        raise LatentLabError(f"{label}: its codes have {width:,} dimensions, over LatentLab's limit of "
                             f"{limit('max_latent_dim'):,} (LATENTLAB_LIMIT_MAX_LATENT_DIM).")
    config = ForeignConfig(int(width), tuple(ds.item_shape), likelihood_for(ds))
    model = ForeignModel(module, config, bool(gaussian), prep, source)
    if model.has_decoder:
        try:
            model.decode(first.mean)
        except LatentLabError:
            raise
        except Exception as exc:
            raise LatentLabError(f"{label}: decode(z) failed on codes of width {width} with {type(exc).__name__}: "
                                 f"{(str(exc).splitlines() or [''])[0][:200]}.") from None
    return model.eval()


def _write(target: Path, model: ForeignModel, ds: Dataset, files: dict[str, Path]) -> ckpts.Checkpoint:
    """Copy the files beside the manifest (atomically, each named after the checkpoint), then the manifest."""
    name = target.stem
    suffixes = {"weights": ".safetensors", "encoder": ".encoder.onnx", "decoder": ".decoder.onnx"}
    recorded, written = {}, []
    try:
        for role, src in files.items():
            dest = target.with_name(f"{name}{suffixes.get(role, '.' + role)}")
            with atomic_path(dest) as tmp:
                shutil.copyfile(src, tmp)
            written.append(dest)
            recorded[role] = {"file": dest.name, "sha256": file_sha256(dest), "original": Path(src).name}
        dataset = {"name": ds.name, "fingerprint": ds.fingerprint, "kind": ds.kind, "item_shape": list(ds.item_shape),
                   "n": len(ds)}
        manifest = ckpts.checkpoint_manifest(name, model.source, model, dataset, recorded)
        write_json_atomic(target, manifest)
    except BaseException:
        for dest in written:  # nothing half-registered: without its manifest a copied file is only litter
            dest.unlink(missing_ok=True)
        raise
    return ckpts.read_checkpoint(target)
