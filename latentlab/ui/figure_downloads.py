"""The pages' "Download figure" (PDF, SVG, PNG) and "Download interactive map" (one offline HTML file) controls,
and the cluster names the Map page writes on its map (placed by ``latentlab.figures.labels``, as in the figure
and the shared HTML).

Each file is drawn when its button is clicked (a deferred download), from what the page shows; a missing
figures extra turns the figure control into one sentence naming it.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import streamlit as st

FORMATS = {"PDF": ("pdf", "application/pdf"), "SVG": ("svg", "image/svg+xml"), "PNG": ("png", "image/png")}


def figures_installed() -> bool:
    """Whether matplotlib is there, found without importing it (a tenth of a second on every page's first run)."""
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def figure_download(key: str, make: Callable, name: str, column=None) -> None:
    """A format choice and a "Download figure" button; ``make()`` returns the matplotlib Figure when clicked."""
    from latentlab.figures.output import figure_bytes

    where = column or st
    if not figures_installed():
        where.caption("Figures for papers need matplotlib: pip install 'latentlab[figures]'.")
        return
    c1, c2 = where.columns([3, 2])
    fmt = c1.radio("Figure format", list(FORMATS), horizontal=True, key=f"{key}-fmt", label_visibility="collapsed")
    ext, mime = FORMATS[fmt]
    c2.download_button("Download figure", lambda: figure_bytes(make(), ext), file_name=f"{name}.{ext}", mime=mime,
                       key=f"{key}-dl", help=f"A {fmt} of what this page shows, for a paper: text and labels stay "
                                             "editable, the points are one raster")


def placed_labels(ds, xy: np.ndarray, clusters: np.ndarray | None, keywords_labels: list[dict] | None = None,
                  names: dict[int, str] | None = None) -> list[dict] | None:
    """Every clustering's names on the live map: a text dataset's keywords (``keywords_labels``, at their anchors),
    else the user's names or the clusters' ids, placed so that none overlaps another or hides the densest points."""
    from latentlab.lab import label_anchors
    from latentlab.figures.labels import MAX_LABELS, cluster_texts
    from latentlab.figures.share import screen_labels
    from latentlab.ui.scatter import normalise

    if clusters is None or len(clusters) != len(xy):
        return None
    clusters = np.asarray(clusters)
    if keywords_labels:
        anchors = {int(clusters[d["i"]]): int(d["i"]) for d in keywords_labels}
        texts = {int(clusters[d["i"]]): str(d["text"]) for d in keywords_labels}
    else:
        anchors = label_anchors(xy, clusters, MAX_LABELS)
        texts = cluster_texts(clusters)
    texts.update({c: n for c, n in (names or {}).items() if c in texts})
    return screen_labels(normalise(xy).astype(np.float64), anchors, texts)


def map_downloads(key: str, ds, xy: np.ndarray, values, categorical: bool, colour: str, clusters, labels,
                  title: str, axes: tuple[str, str]) -> None:
    """The Map page's figure and interactive map, of the map as shown (its colouring, its cluster names)."""
    from latentlab.figures.map_figure import map_figure
    from latentlab.figures.share import THUMBNAIL_ITEMS, share_html

    anchors = {int(np.asarray(clusters)[d["i"]]): int(d["i"]) for d in labels or []}
    names = {int(np.asarray(clusters)[d["i"]]): str(d["text"]) for d in labels or []}
    left, right = st.columns([3, 1])
    figure_download(key, lambda: map_figure(xy, values, categorical, colour, title, axes, anchors, names),
                    "map", left)

    def page() -> bytes:
        colourings = [(colour, values, categorical)]
        if ds.labels is not None and colour != "label":
            colourings.append(("label", np.asarray(ds.labels), True))
        if clusters is not None and colour != "cluster":
            colourings.append(("cluster", np.asarray(clusters), True))
        images = ds.x if ds.is_image and len(ds) <= THUMBNAIL_ITEMS else None
        return share_html(xy, colourings, title, anchors or None, names or None, getattr(ds, "texts", None), images)

    right.download_button("Download interactive map", page, file_name="map.html", mime="text/html",
                          key=f"{key}-html", help="One HTML file that opens from disk with no server and no "
                                                  "network: pan, zoom, colours, hover, search and lasso")


def traversal_download(ds, emb, grid: np.ndarray, dims: list[int], values: np.ndarray, title: str) -> None:
    """The Traverse page's grid as a figure: rows named by latent and activity, the values on the columns."""
    from latentlab.figures.panels import traversal_figure

    activity = emb.activity()
    what = "KL" if emb.kl is not None else "var"
    rows = [f"z{d} · {what} {activity[d]:.2f}" for d in dims]
    kind = "image" if ds.is_image else "curves"
    figure_download("trav-fig", lambda: traversal_figure(grid, values, rows, kind, title=title), "traversal")


def metrics_download(results: dict, factor_names: list[str], title: str) -> None:
    """The Metrics page's factor x latent matrix (MIG's normalised mutual information, else DCI's importance)."""
    from latentlab.figures.panels import metrics_figure

    name, key, what = (("mig", "mi_normalised", "I(z; factor) / H(factor)") if "mig" in results
                       else ("dci", "importance", "DCI importance"))
    if name not in results:
        return
    matrix = np.asarray(results[name].matrices[key], dtype=np.float64).T  # (K factors, D latents)
    scores = {f"{m}: {s}": v for m, r in results.items() for s, v in r.scores.items() if "[" not in s}
    figure_download("m-fig", lambda: metrics_figure(matrix, factor_names, what, scores, title), "metrics")


def compare_download(xy_a: np.ndarray, xy_b_aligned: np.ndarray, values, categorical: bool, colour: str,
                     names: tuple[str, str], result) -> None:
    """The Compare page's two aligned maps with their similarity scores."""
    from latentlab.figures.panels import compare_figure

    scores = {"CKA": result.cka, "relative similarity": result.relative_similarity,
              f"{result.k}-NN agreement": result.knn_agreement}
    figure_download("cmp-fig", lambda: compare_figure(xy_a, xy_b_aligned, values, categorical, colour, names, scores),
                    "compare")


def clusters_download(xy: np.ndarray, clusters: np.ndarray, explanation, keywords: dict | None, title: str) -> None:
    """The Clusters page's map named by cluster, with each cluster's rule (the threshold tree's) beside it."""
    from latentlab.lab import label_anchors
    from latentlab.figures.labels import cluster_texts
    from latentlab.figures.panels import clusters_figure

    if xy is None or xy.shape[1] != 2:
        return
    texts = cluster_texts(clusters, keywords=keywords)
    rules = [] if explanation is None else [(texts.get(r.cluster, f"cluster {r.cluster}"), r.tree_rule)
                                            for r in explanation.rules]
    figure_download("cl-fig", lambda: clusters_figure(xy, clusters, label_anchors(xy, clusters), texts, rules, title),
                    "clusters")
