"""What the map shows about points: colourings, selections, neighbours.

Everything here is plain NumPy over a ``Dataset`` and an ``Embedding``; the
dashboard and the Python API share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from latentlab.analysis.clustering.model import assignment_confidence, model_labels
from latentlab.analysis.embedding import Embedding
from latentlab.analysis.metrics.diagnostics import PASSIVE_KL
from latentlab.analysis.projection.knn import top_k
from latentlab.core.errors import LatentLabError
from latentlab.data import Dataset, rows_have_unit_norm

if TYPE_CHECKING:
    from latentlab.models import LatentModel

MODEL_CLUSTER = "model cluster"  # colourings of a model that clusters its codes: its most likely cluster,
CONFIDENCE = "assignment confidence"  # and how sure it is (the largest soft assignment)


def suggested_metric(method: str, vectors: np.ndarray) -> str | None:
    """``"cosine"`` when projector ``method`` takes a ``metric`` that offers it (and does not start there) and
    every row of ``vectors`` (N, D) has unit norm, as many encoders' embeddings do; else None."""
    from latentlab.analysis.projection import PROJECTORS

    metric = next((p for p in PROJECTORS[method].PARAMS if p.name == "metric"), None)
    if metric is None or "cosine" not in metric.choices or metric.default == "cosine":
        return None
    return "cosine" if rows_have_unit_norm(vectors) else None


def colour_options(ds: Dataset, emb: Embedding, has_clusters: bool = False) -> list[str]:
    """Names accepted by ``colour_values``, most useful first."""
    opts = []
    if ds.labels is not None:
        opts.append("label")
    if has_clusters:
        opts.append("cluster")
    if emb.assign is not None:  # a model that clusters its codes
        opts += [MODEL_CLUSTER, CONFIDENCE]
    if ds.factors is not None:
        opts += [f"factor: {c}" for c in ds.factors.columns]
    if emb.kl is not None:
        opts.append("KL (total)")
    if emb.has_reconstructions:
        opts.append("reconstruction error")
    opts += [f"z{d}" for d in activity_order(emb)]
    return opts


def colour_values(ds: Dataset, emb: Embedding, by: str, clusters: np.ndarray | None = None) -> tuple[np.ndarray, bool]:
    """Values to colour each point by, and whether they are categorical."""
    if by == "label" and ds.labels is not None:
        return np.asarray(ds.labels), True  # as stored (numbers or text); a million need no string copies
    if by == "cluster" and clusters is not None:
        numbers, inverse = np.unique(clusters, return_inverse=True)  # names for the few clusters, not per item
        names = np.array(["noise" if k < 0 else str(k) for k in numbers.tolist()], dtype=object)
        return names[inverse.ravel()], True
    if by == MODEL_CLUSTER and emb.assign is not None:
        return model_labels(emb.assign), True  # cluster numbers as they are, like labels: no string copies
    if by == CONFIDENCE and emb.assign is not None:
        return assignment_confidence(emb.assign), False
    if by.startswith("factor: ") and ds.factors is not None:
        return ds.factors[by[len("factor: "):]].to_numpy(), False
    if by == "KL (total)" and emb.kl is not None:
        return emb.kl.sum(1), False
    if by == "reconstruction error" and emb.recon_error is not None:
        return emb.recon_error, False
    if by.startswith("z") and by[1:].isdigit() and int(by[1:]) < emb.latent_dim:
        return emb.mean[:, int(by[1:])], False
    raise LatentLabError(f"Cannot colour by '{by}' for this dataset and model.")


def activity_order(emb: Embedding) -> list[int]:
    """Latent dimensions from most to least active."""
    return [int(d) for d in np.argsort(-emb.activity(), kind="stable")]


def passive_dims(emb: Embedding, threshold: float = PASSIVE_KL) -> list[int]:
    """Dimensions whose mean KL is under ``threshold`` (none for deterministic AEs)."""
    kl = emb.kl_per_dim()
    return [] if kl is None else [int(d) for d in np.flatnonzero(kl < threshold)]


@dataclass
class SelectionSummary:
    count: int
    label_mix: pd.DataFrame  # label, count, share
    mean_latent: np.ndarray  # (D,)
    mean_recon_error: float


def summarise_selection(ds: Dataset, emb: Embedding, index: np.ndarray) -> SelectionSummary:
    index = np.asarray(index, dtype=np.int64)
    if index.size == 0:
        raise LatentLabError("The selection is empty; select points on the map first.")
    if ds.labels is not None:
        values, counts = np.unique(np.asarray(ds.labels)[index].astype(str), return_counts=True)
        order = np.argsort(-counts)
        mix = pd.DataFrame({"label": values[order], "count": counts[order], "share": counts[order] / counts.sum()})
    else:
        mix = pd.DataFrame(columns=["label", "count", "share"])
    recon = float("nan") if emb.recon_error is None else float(emb.recon_error[index].mean())
    return SelectionSummary(int(index.size), mix, emb.mean[index].mean(0), recon)


def nearest_neighbours(space: np.ndarray, index: int, k: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest other points to ``space[index]`` (Euclidean): (indices, distances)."""
    if not 0 <= index < len(space):
        raise LatentLabError(f"Point {index} is out of range (0..{len(space) - 1}).")
    rows, dist = top_k(space, space[index][None, :], min(k, len(space) - 1), "euclidean", exclude=np.array([index]))
    return rows[0], dist[0]


def reconstruct(model: LatentModel, ds: Dataset, index: np.ndarray) -> np.ndarray:
    """Reconstructions (decoded posterior means) of the chosen items: (n, *item_shape)."""
    import torch

    with torch.no_grad():
        x = torch.from_numpy(ds.as_float(np.asarray(index)))
        model.eval()
        return model.decode(model.encode(x).mean).numpy()


def selection_frame(ds: Dataset, emb: Embedding, index: np.ndarray, clusters: np.ndarray | None = None) -> pd.DataFrame:
    """The selected rows as a table for export: index, label, factors, text, latent means, recon error."""
    index = np.asarray(index, dtype=np.int64)
    df = pd.DataFrame({"index": index})
    if ds.labels is not None:
        df[ds.label_name] = np.asarray(ds.labels)[index]
    if clusters is not None:
        df["cluster"] = clusters[index]
    if ds.factors is not None:
        for c in ds.factors.columns:
            df[c] = ds.factors[c].to_numpy()[index]
    if ds.texts is not None:
        df["text"] = [ds.texts[i] for i in index.tolist()]  # whole, verbatim: a CSV cell is data
    df = pd.concat([df, pd.DataFrame(emb.mean[index], columns=[f"z{d}" for d in range(emb.latent_dim)])], axis=1)
    if emb.has_reconstructions:
        df["recon_error"] = emb.recon_error[index]
    return df
