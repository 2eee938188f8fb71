"""What sets a cluster apart: per cluster, its size, label mix, mean latent and
the latent dimensions whose mean differs most from the rest (a standardised
mean difference, like Cohen's d)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas is imported when a table is made
    import pandas as pd


def distinguishing_dims(latents: np.ndarray, pred: np.ndarray, cluster: int, top: int = 3) -> list[tuple[int, float]]:
    """The ``top`` dimensions with the largest |d| for ``cluster`` vs the rest: [(dim, d), ...]."""
    inside, outside = latents[pred == cluster], latents[pred != cluster]
    if len(inside) == 0 or len(outside) == 0:
        return []
    pooled = np.sqrt(0.5 * (inside.var(0) + outside.var(0))) + 1e-8
    d = (inside.mean(0) - outside.mean(0)) / pooled
    order = np.argsort(-np.abs(d))[:top]
    return [(int(i), float(d[i])) for i in order]


def cluster_table(latents: np.ndarray, pred: np.ndarray, labels: np.ndarray | None = None) -> pd.DataFrame:
    """One row per cluster: size, share, top label and its purity, top dims."""
    rows = []
    for c in sorted(set(pred.tolist())):
        members = pred == c
        row = {"cluster": int(c), "size": int(members.sum()), "share": float(members.mean())}
        if labels is not None:
            values, counts = np.unique(np.asarray(labels)[members].astype(str), return_counts=True)
            row["top_label"] = values[np.argmax(counts)]
            row["purity"] = float(counts.max() / counts.sum())
        dims = distinguishing_dims(latents, pred, c)
        row["distinguishing_dims"] = ", ".join(f"z{i} ({d:+.1f})" for i, d in dims)
        rows.append(row)
    import pandas as pd  # imported here: the registry is read by the command line's parser

    return pd.DataFrame(rows)


def centroids(latents: np.ndarray, pred: np.ndarray) -> dict[int, np.ndarray]:
    return {int(c): latents[pred == c].mean(0) for c in sorted(set(pred.tolist())) if c >= 0}
