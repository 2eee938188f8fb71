"""Adding a model trained elsewhere as a checkpoint: a class the user installed (``--class``), ONNX files
(``--onnx-encoder``/``--onnx-decoder``) or a SAELens folder (``--saelens``), explored over a dataset.

The module is built and loaded where the files lie, then probed on the dataset's items: ``encode`` on two
batches of different sizes (the code's width must not change, the values must be finite; one code or a mean
and log-variance), ``decode`` on the codes (items of the dataset's shape). Only then are the files copied into
the workspace (each atomically, the manifest last, with every file's sha256): a bad input registers nothing.
See ``foreign_files`` for the manifest's keys.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from latentlab.core.errors import LatentLabError
from latentlab.core.limits import limit
from latentlab.core.version import __version__
from latentlab.core.workspace import atomic_path, file_sha256, write_json_atomic
from latentlab.data import Dataset
from latentlab.models.foreign import KIND, ForeignConfig, ForeignModel, Preprocessing, check_posterior, posterior_of
from latentlab.models.foreign_sources import build_module, check_config_object, load_weights, read_config, resolve_class
from latentlab.models.saelens import WEIGHTS_FILE, SAELensSAE, read_saelens_config
from latentlab.checkpoints import format as ckpts
from latentlab.checkpoints.foreign_files import load_foreign_model, onnx_module
from latentlab.checkpoints.resolve import as_dataset, likelihood_for

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
    if class_path:
        if not weights:
            raise LatentLabError(f"`class_path` {class_path} needs `weights` (a .safetensors file of the module's "
                                 "state_dict).", param="weights", also=("class_path",))
        cls, source = resolve_class(class_path)
        kwargs = check_config_object(config, "config") if isinstance(config, dict) else read_config(config)
        module = build_module(cls, kwargs, class_path)
        load_weights(module, weights)
        source["config"] = kwargs
        files = {"weights": Path(weights)}
    elif saelens:
        cfg = read_saelens_config(saelens)
        if ds.item_shape != (cfg["d_in"],):
            raise LatentLabError(f"The SAE in `saelens` {Path(saelens).name} reads vectors of width {cfg['d_in']}, but "
                                 f"dataset '{ds.name}' holds items of shape {list(ds.item_shape)}; import the activations "
                                 "it was trained on as an embedding dataset.", param="saelens", value=str(saelens))
        module = SAELensSAE(**cfg)
        load_weights(module, Path(saelens) / WEIGHTS_FILE)
        source = {"kind": "saelens", "folder": Path(saelens).name, "config": cfg}
        files = {"weights": Path(saelens) / WEIGHTS_FILE}
    else:
        module = onnx_module(Path(onnx_encoder), Path(onnx_decoder) if onnx_decoder else None, model_shape)
        source = {"kind": "onnx", "encoder_outputs": int(module.n_encoder_outputs)}
        files = {role: Path(p) for role, p in module.files().items()}
    model = probe(module, ds, prep, source)
    return _write(target, model, ds, files, source, prep)


@torch.no_grad()
def probe(module, ds: Dataset, prep: Preprocessing, source: dict) -> ForeignModel:
    """The module as a ``ForeignModel`` once ``encode`` and ``decode`` behave on the dataset's items."""
    label = source.get("entry_point") or source.get("class") or source["kind"]
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


def _write(target: Path, model: ForeignModel, ds: Dataset, files: dict[str, Path], source: dict,
           prep: Preprocessing) -> ckpts.Checkpoint:
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
        main = recorded.get("weights") or recorded["encoder"]
        manifest = {
            "format": ckpts.FORMAT, "format_version": ckpts.FORMAT_VERSION, "name": name, "model": KIND,
            "model_config": model.config.to_dict(), "source": source, "preprocessing": prep.to_dict(),
            "gaussian": bool(model.stochastic), "has_decoder": bool(model.has_decoder), "can_train": bool(model.can_train),
            "files": recorded, "weights": main["file"], "weights_sha256": main["sha256"],
            "dataset": {"name": ds.name, "fingerprint": ds.fingerprint, "kind": ds.kind,
                        "item_shape": list(ds.item_shape), "n": len(ds)},
            "training": {}, "step": 0, "final_terms": {}, "history": [],
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "latentlab_version": __version__,
        }
        write_json_atomic(target, manifest)
    except BaseException:
        for dest in written:  # nothing half-registered: without its manifest a copied file is only litter
            dest.unlink(missing_ok=True)
        raise
    loaded, fingerprint = load_foreign_model(target, manifest)
    return ckpts.Checkpoint(name=name, path=target, model=loaded, manifest=manifest, fingerprint=fingerprint[:20])
