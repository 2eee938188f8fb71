"""What a notebook map draws: a checkpoint's codes of a dataset, a dataset of vectors, an array or a table.

``map_source`` turns whatever a researcher holds into one ``MapSource``: the dataset (for hover, labels and
texts), its embedding (the latent means, or the vectors themselves), the checkpoint when there is one, and
positions when the table already holds them (``x`` and ``y`` columns); ``positions`` projects the rest with
the facade's cached projection, so a map drawn twice is projected once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from latentlab.core.errors import LatentLabError


@dataclass
class MapSource:
    """The points of one map.

    dataset : the items (hover, labels, texts); for an array or a table, its vectors as an embedding dataset
    embedding : (N, D) latent means (or the vectors themselves) with whatever else the model gave
    checkpoint : the model behind the codes, or None for vectors
    xy : (N, 2) positions given by the source (a table's ``x`` and ``y``), or None: project the embedding
    columns : a table's own columns (colourings by name, and the selection's table), or None
    """

    dataset: object
    embedding: object
    checkpoint: object | None = None
    xy: np.ndarray | None = None
    columns: pd.DataFrame | None = None

    def __len__(self) -> int:
        return len(self.dataset)

    def positions(self, method: str = "umap", seed: int = 0, **params) -> np.ndarray:
        """(N, 2) map positions: the source's own, else the embedding projected by ``method`` (cached)."""
        if self.xy is not None:
            return self.xy
        from latentlab import lab

        return lab.project_embedding(self.embedding, method, 2, seed, **params)


def map_source(source, dataset=None) -> MapSource:
    """The ``MapSource`` of ``source``: a checkpoint (a name, a path or a loaded one), a dataset (a name or a
    ``Dataset``), an (N, D) NumPy array of vectors, or a pandas DataFrame (numeric columns as vectors, or
    ``x``/``y`` columns already projected). ``dataset`` is the dataset a checkpoint encodes (default: its
    training set)."""
    from latentlab import lab

    if isinstance(source, lab.Dataset):
        return _vectors(source)
    if isinstance(source, pd.DataFrame):
        return _table(source)
    if isinstance(source, np.ndarray):
        return _vectors(_array_dataset(source, "array"))
    if isinstance(source, lab.Checkpoint):
        return _checkpoint(source, dataset)
    if isinstance(source, (str, Path)):
        if isinstance(source, str) and source in {row["name"] for row in lab.list_datasets()}:
            return _vectors(lab.load_dataset(source))
        return _checkpoint(lab.load_checkpoint(source), dataset)
    raise LatentLabError(f"A map's `source` is a checkpoint (a name, a path or a loaded one), a dataset, a NumPy array "
                         f"or a pandas DataFrame, not a {type(source).__name__}.", param="source")


def _checkpoint(ck, dataset) -> MapSource:
    from latentlab import lab

    ds = lab.dataset_for(ck, dataset)
    return MapSource(ds, lab.embed(ck, ds), ck)


def _vectors(ds) -> MapSource:
    from latentlab import lab

    return MapSource(ds, lab.embed(None, ds))


def _array_dataset(x: np.ndarray, name: str, labels: np.ndarray | None = None):
    """An embedding dataset of the (N, D) vectors ``x`` (float32)."""
    from latentlab import lab

    x = np.asarray(x)
    if x.ndim != 2 or not np.issubdtype(x.dtype, np.number) or len(x) == 0 or x.shape[1] == 0:
        raise LatentLabError(f"An array to map must be 2-D numbers, one row per item (N, D); got shape {x.shape} of "
                             f"{x.dtype}.", param="source")
    return lab.Dataset(name=name, x=np.ascontiguousarray(x, dtype=np.float32), kind="embedding", labels=labels)


def _table(frame: pd.DataFrame) -> MapSource:
    """A table: its numeric columns (other than ``x`` and ``y``) are the vectors; ``x`` and ``y``, when both are
    numeric, are the positions (and the vectors too when there are no others)."""
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
    if not numeric:
        raise LatentLabError(f"The DataFrame has no numeric columns to map (its columns: "
                             f"{', '.join(map(str, frame.columns[:8])) or 'none'}); give vectors or x and y columns.",
                             param="source")
    given = "x" in numeric and "y" in numeric
    vectors = [c for c in numeric if not (given and c in ("x", "y"))] or ["x", "y"]
    labels = frame["label"].to_numpy() if "label" in frame.columns else None
    ds = _array_dataset(frame[vectors].to_numpy(np.float32), "table", labels)
    ds.feature_names = [str(c) for c in vectors]
    xy = frame[["x", "y"]].to_numpy(np.float64) if given else None
    return MapSource(ds, _vectors(ds).embedding, None, xy, frame.reset_index(drop=True))
