"""Resolving what the facade and the modules below it are given: a checkpoint (a name, a path or a loaded
``Checkpoint``) and a dataset (a name or a ``Dataset``; by default the one the checkpoint was trained on)."""

from __future__ import annotations

from pathlib import Path

from latentlab.core.errors import LatentLabError
from latentlab.data import Dataset, load_dataset
from latentlab.checkpoints.format import Checkpoint, read_checkpoint


def load_checkpoint(ref: str | Path | Checkpoint) -> Checkpoint:
    """A checkpoint by name (your workspace's first, then the shipped ones), by the path of its ``.json`` manifest,
    or a loaded ``Checkpoint`` as it is: its model in eval mode on the CPU, weights checked against the manifest."""
    return ref if isinstance(ref, Checkpoint) else read_checkpoint(ref)


def as_dataset(ref: str | Dataset) -> Dataset:
    return ref if isinstance(ref, Dataset) else load_dataset(ref)


def dataset_for(ckpt: Checkpoint, dataset: str | Dataset | None = None) -> Dataset:
    """The dataset to use with ``ckpt``: the given one, else its training set; shapes must match."""
    ds = as_dataset(dataset if dataset is not None else ckpt.dataset_name)
    need = ckpt.input_shape
    if ds.item_shape != need:
        raise LatentLabError(
            f"Dataset '{ds.name}' has items of shape {ds.item_shape} but checkpoint '{ckpt.name}' expects {need}; "
            "pick a dataset of the same shape."
        )
    return ds


def likelihood_for(ds: Dataset) -> str:
    return "bernoulli" if ds.kind == "image" else "gaussian"
