"""Where a map writes each cluster's name: on a member near the cluster's centre."""

from __future__ import annotations

import numpy as np


def label_anchors(xy: np.ndarray, labels: np.ndarray, top: int | None = None) -> dict[int, int]:
    """Where to write each cluster's name on a map: the row of the member nearest the cluster's median position
    (a member, so the name sits on the cluster even when its shape is bent, and the map can place it by row).

    Parameters
    ----------
    xy : ndarray of shape (N, 2), the map's positions.
    labels : ndarray of shape (N,), the cluster of each point; noise (-1) gets no anchor.
    top : only the ``top`` largest clusters (None: all).

    Returns
    -------
    dict mapping each cluster id to an anchor row, largest cluster first.
    """
    xy = np.asarray(xy, dtype=np.float64)[:, :2]
    labels = np.asarray(labels)
    clusters, members, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    order = [k for k in np.argsort(-sizes, kind="stable") if clusters[k] != -1][:top]
    anchors = {}
    for k in order:
        rows = np.flatnonzero(members == k)
        centre = np.median(xy[rows], axis=0)  # (2,)
        anchors[int(clusters[k])] = int(rows[np.argmin(((xy[rows] - centre) ** 2).sum(axis=1))])
    return anchors
