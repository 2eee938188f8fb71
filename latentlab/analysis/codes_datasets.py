"""A checkpoint's codes as a dataset of their own, to train a second model on (a sparse autoencoder on a
VAE's latents, say) and to see that model's features on the items the codes came from.

``codes_dataset`` encodes a dataset with a checkpoint (in chunks, cached: ``embedding.embed_dataset``) and returns an
``embedding`` dataset whose row i is the latent mean of item i, with the items' labels and factor table and
a link back to both (``Dataset.codes_of``). ``save_codes_dataset`` registers it in the workspace, where the
sidebar, the Train page, ``latentlab train --dataset NAME`` and background jobs find it like an imported
file. ``items_of`` follows the link: the dataset whose items a codes dataset's rows stand for.
"""

from __future__ import annotations

import contextlib

import numpy as np

from latentlab.core.errors import LatentLabError
from latentlab.core.progress import ProgressFn
from latentlab.core.workspace import digest
from latentlab.data import Dataset, load_dataset, save_dataset


def default_name(checkpoint_name: str, dataset_name: str, trained_on: str) -> str:
    """``CHECKPOINT-codes`` for the codes of a checkpoint's own training set, else ``DATASET-CHECKPOINT-codes``."""
    name = f"{checkpoint_name}-codes" if dataset_name == trained_on else f"{dataset_name}-{checkpoint_name}-codes"
    return name[:64]


def codes_dataset(checkpoint, dataset=None, name: str | None = None, progress: ProgressFn | None = None) -> Dataset:
    """The latent means (N, D) that ``checkpoint`` gives ``dataset`` (default: its training set) as an
    ``embedding`` dataset, with the items' labels and factors, linked back to the checkpoint and the items."""
    from latentlab.analysis.embedding import embed_dataset
    from latentlab.checkpoints.resolve import dataset_for, load_checkpoint

    ck = load_checkpoint(checkpoint)
    ds = dataset_for(ck, dataset)
    emb = embed_dataset(ck.model, ck.fingerprint, ds, progress=progress)
    D = emb.latent_dim
    return Dataset(
        name=name or default_name(ck.name, ds.name, ck.dataset_name),
        x=np.ascontiguousarray(emb.mean, dtype=np.float32),
        kind="embedding",
        labels=ds.labels,
        factors=ds.factors,
        feature_names=[f"z{d}" for d in range(D)],
        fingerprint=digest("codes", ck.fingerprint, ds.fingerprint),
        description=f"The {D} latent means that {ck.name} ({ck.model_name}) gives the {len(ds):,} items of {ds.name}.",
        label_name=ds.label_name,
        codes_of={"dataset": ds.name, "dataset_fingerprint": ds.fingerprint,
                  "checkpoint": ck.name, "checkpoint_fingerprint": ck.fingerprint},
    )


def save_codes_dataset(checkpoint, dataset=None, name: str | None = None, overwrite: bool = False,
                       progress: ProgressFn | None = None) -> Dataset:
    """``codes_dataset``, registered in the workspace under its name (never replacing one unless ``overwrite``)."""
    return save_dataset(codes_dataset(checkpoint, dataset, name, progress), overwrite=overwrite)


def items_of(ds: Dataset) -> Dataset:
    """The dataset whose items the rows of ``ds`` stand for: for a codes dataset the one its codes were made
    from, when it still loads with the same contents; else ``ds`` itself."""
    link = ds.codes_of
    if not link:
        return ds
    with contextlib.suppress(LatentLabError, OSError, ValueError, KeyError):
        source = load_dataset(link["dataset"])
        if source.fingerprint == link.get("dataset_fingerprint") and len(source) == len(ds):
            return source
    return ds
