"""``Compare``: two latent spaces of the same items side by side, as on the Compare page: B's map turned and
scaled onto A's (orthogonal Procrustes, ``latentlab.lab.procrustes``) so the same items sit in the same places,
one selection on both, and the similarity scores above them (linear CKA, relative representations, k-NN
agreement: ``latentlab.lab.compare``).
"""

from __future__ import annotations

import html

import ipywidgets as w
import numpy as np

from latentlab.widgets.linking import link
from latentlab.widgets.map_widget import Map
from latentlab.widgets.sources import MapSource, map_source


class Compare(w.VBox):
    """Two aligned maps with a linked selection.

    Parameters
    ----------
    a, b : checkpoints, datasets of vectors, arrays or DataFrames (as ``Map`` takes) of the same items
    dataset : name or ``Dataset``, optional
        The items both checkpoints encode.
    method : str
        The projection of both.
    color_by : str, optional
        Both maps' colouring (default the labels).
    scores : bool
        Compute the similarity scores (``latentlab.lab.compare``) for checkpoints and datasets.

    Examples
    --------
    >>> c = ll.widgets.Compare("shapes-beta-vae", "shapes-beta-tcvae", method="pca")   # doctest: +SKIP
    >>> c.a.selection = [0, 1, 2]; c.b.selection   # the same rows on B   # doctest: +SKIP
    """

    def __init__(self, a, b, dataset=None, method: str = "umap", color_by=None, height: int = 420,
                 scores: bool = True, seed: int = 0):
        from latentlab import lab

        sa, sb = map_source(a, dataset), map_source(b, dataset)
        xa, xb = sa.positions(method, seed), sb.positions(method, seed)
        aligned = lab.procrustes(xa, xb).aligned  # B's map in A's frame: same items, same places
        both = np.concatenate([xa, aligned])
        extra = {"height": height, "frame": (both.min(0), both.max(0))} | ({} if color_by is None else {"color_by": color_by})
        self.a = Map(MapSource(sa.dataset, sa.embedding, sa.checkpoint, xa, sa.columns), **extra)
        self.b = Map(MapSource(sb.dataset, sb.embedding, sb.checkpoint, aligned, sb.columns), **extra)
        self.link = link(self.a, self.b)
        summary = w.HTML(self._scores(a, b, dataset) if scores else "")
        titles = [w.HTML(f"<b>A</b>: {html.escape(_name(a))}"), w.HTML(f"<b>B</b>: {html.escape(_name(b))} (aligned to A)")]
        columns = [w.VBox([titles[0], self.a], layout=w.Layout(width="50%")),
                   w.VBox([titles[1], self.b], layout=w.Layout(width="50%"))]
        super().__init__([summary, w.HBox(columns)])
        self.add_class("ll-compare")

    @staticmethod
    def _scores(a, b, dataset) -> str:
        from latentlab import lab

        if not all(isinstance(s, (str, lab.Checkpoint, lab.Dataset)) for s in (a, b)):
            return ""
        c = lab.compare(a, b, dataset)
        return (f"Linear CKA <b>{c.cka:.3f}</b> · relative representations <b>{c.relative_similarity:.3f}</b> · "
                f"{c.k}-NN agreement <b>{c.knn_agreement:.3f}</b> <small>(on {c.n:,} items)</small>")


def _name(source) -> str:
    return getattr(source, "name", None) or (source if isinstance(source, str) else type(source).__name__)
