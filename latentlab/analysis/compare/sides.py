"""Two latent spaces of the same items, for ``lab.compare``.

A side of a comparison is a checkpoint (its codes of a dataset: the one given, else its training set) or a
dataset of vectors (precomputed embeddings, a checkpoint's codes saved with ``latentlab codes``), which is
its own latent space (as ``lab.embed`` and ``resolve.dataset_for`` have it; this module sits below ``lab``). Both sides must stand for the same items in the same order: the same number of rows,
and, where each side says which items its rows are (a checkpoint's dataset, a codes dataset's link back to
its items), the same items. Only the compared rows are encoded (a seeded sample of a large dataset).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentlab.analysis.compare.similarity import DEFAULT_ANCHORS, DEFAULT_K, Comparison, compare_codes
from latentlab.core.errors import LatentLabError
from latentlab.data import Dataset
from latentlab.checkpoints.format import Checkpoint
from latentlab.checkpoints.resolve import dataset_for


@dataclass
class Side:
    """One side of a comparison: a checkpoint and the dataset it encodes, or a dataset of vectors."""

    name: str
    dataset: Dataset
    checkpoint: Checkpoint | None
    items: str | None  # fingerprint of the items the rows stand for; None when the rows say nothing of them
    items_name: str

    def describe(self) -> str:
        return f"'{self.name}' ({len(self.dataset):,} items of {self.items_name})"

    def codes(self, rows: np.ndarray | None) -> np.ndarray:
        """Latent means of ``rows`` (all rows when None): (n, D), cached like ``lab.embed``'s."""
        return self.codes_and_kl(rows)[0]

    def codes_and_kl(self, rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        """Latent means of ``rows`` (all rows when None), (n, D), and each latent's mean KL to the prior over
        them, (D,) (None for vectors or a model without a posterior)."""
        from latentlab.analysis.embedding import embed_dataset, embed_rows, vectors_embedding

        if self.checkpoint is None:
            x = vectors_embedding(self.dataset).mean
            return (x if rows is None else x[rows]), None
        ck = self.checkpoint
        if rows is None:
            emb = embed_dataset(ck.model, ck.fingerprint, self.dataset)
        else:
            emb = embed_rows(ck.model, ck.fingerprint, self.dataset, rows)
        return emb.mean, emb.kl_per_dim()


def _identity(name: str, kind: str, fingerprint: str | None, codes_of: dict | None) -> tuple[str | None, str]:
    """(fingerprint of the items the rows stand for, or None when the rows say nothing of them; their name)."""
    if codes_of:  # a checkpoint's codes: its rows are the items of the dataset they were made from
        return codes_of.get("dataset_fingerprint"), codes_of.get("dataset", name)
    if kind == "embedding":
        return None, name  # imported vectors: their rows are the items, whose identity is not recorded
    return fingerprint, name


def _items_of(ds: Dataset) -> tuple[str | None, str]:
    return _identity(ds.name, ds.kind, ds.fingerprint, ds.codes_of)


def resolve_side(ref, dataset=None) -> Side:
    """A checkpoint (a name, a path or a loaded one) or a dataset of vectors (a name or a ``Dataset``)."""
    from latentlab.data import load_dataset
    from latentlab.checkpoints.format import read_checkpoint, resolve_checkpoint

    if isinstance(ref, Dataset):
        ck, ds = None, ref
    elif isinstance(ref, Checkpoint):
        ck, ds = ref, None
    else:
        try:
            resolve_checkpoint(ref)
            ck, ds = read_checkpoint(ref), None
        except LatentLabError:
            try:
                ck, ds = None, load_dataset(str(ref))
            except LatentLabError:
                raise LatentLabError(f"'{ref}' is neither a checkpoint nor a dataset; run 'latentlab checkpoints' or "
                                     "'latentlab datasets' to list them.") from None
    if ck is not None:
        ds = dataset_for(ck, dataset)  # the given one, else its training set; shapes checked
        fingerprint, items_name = _items_of(ds)
        return Side(ck.name, ds, ck, fingerprint, items_name)
    if len(ds.item_shape) != 1:
        raise LatentLabError(f"Dataset '{ds.name}' holds {ds.kind} items, not vectors; compare a checkpoint trained "
                             "on it instead.")
    fingerprint, items_name = _items_of(ds)
    return Side(ds.name, ds, None, fingerprint, items_name)


def check_same_items(a: Side, b: Side) -> None:
    """Raise unless the two sides' rows stand for the same items."""
    hint = ("give `dataset` to encode the same items with both checkpoints" if a.checkpoint and b.checkpoint
            else "compare spaces of the same items, in the same order")
    if len(a.dataset) != len(b.dataset):
        raise LatentLabError(f"{a.describe()} and {b.describe()} cover different items; {hint}.", also=("dataset",))
    if a.items is not None and b.items is not None and a.items != b.items:
        raise LatentLabError(f"{a.describe()} and {b.describe()} hold different items (the data differ); {hint}.",
                             also=("dataset",))


def same_items(a: Dataset, b: Dataset) -> bool:
    """Whether the rows of ``a`` and ``b`` (each the input of a checkpoint or a dataset of vectors) stand for
    the same items, by ``check_same_items``'s rules: what a picker may offer beside a dataset."""
    sides = [Side(ds.name, ds, None, *_items_of(ds)) for ds in (a, b)]
    try:
        check_same_items(*sides)
    except LatentLabError:
        return False
    return True


def same_items_as_listed(ds: Dataset, row: dict) -> bool | None:
    """``same_items`` of ``ds`` and a listed dataset (a ``list_datasets`` row), from the row's manifest fields
    without loading its arrays; None when the row does not carry them (then load it and ask ``same_items``)."""
    if row.get("n") is None or "kind" not in row:
        return None
    if len(ds) != int(row["n"]):
        return False
    mine, theirs = _items_of(ds)[0], _identity(row["name"], row["kind"], row.get("fingerprint"), row.get("codes_of"))[0]
    return mine is None or theirs is None or mine == theirs


def paired_sides(a, b, dataset=None) -> tuple[Side, Side]:
    side_a, side_b = resolve_side(a, dataset), resolve_side(b, dataset)
    check_same_items(side_a, side_b)
    return side_a, side_b


def compare_sides(a: Side, b: Side, rows: np.ndarray | None = None, k: int = DEFAULT_K,
                  n_anchors: int = DEFAULT_ANCHORS, seed: int = 0) -> Comparison:
    """``compare_codes`` of two sides' codes of ``rows`` (all when None), with their KL per latent, so passive
    latents are told apart."""
    (codes_a, kl_a), (codes_b, kl_b) = a.codes_and_kl(rows), b.codes_and_kl(rows)
    return compare_codes(codes_a, codes_b, (a.name, b.name), k, n_anchors, seed, kl=(kl_a, kl_b))
