"""The figures of a checkpoint (or a dataset of vectors), computed through the facade: ``ll.figures.map(...)``
and the rest each return a matplotlib Figure; ``save`` writes one as PDF, SVG or PNG."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentlab.core.errors import LatentLabError
from latentlab.figures.labels import cluster_texts, read_cluster_names
from latentlab.figures.style import DEFAULT_DPI, DEFAULT_WIDTH_MM

MATRICES = {"mi": ("mig", "mi", "mutual information (nats)"), "importance": ("dci", "importance", "importance")}


@dataclass
class MapData:
    """What a map figure and a shared map draw: positions, a colouring and the cluster names."""

    xy: np.ndarray  # (N, 2)
    values: np.ndarray | None  # (N,) the colouring
    categorical: bool
    colour: str  # its name, the legend's title
    clusters: np.ndarray | None  # (N,) or None
    texts: dict[int, str]  # cluster -> name
    title: str
    method: str
    dataset: object  # the Dataset
    embedding: object  # the Embedding


def open_source(source, dataset=None):
    """(checkpoint or None, dataset, embedding): ``source`` is a checkpoint (a name, a path or a ``Checkpoint``)
    encoding ``dataset`` (default its training set), or None or a dataset's name with a dataset of vectors."""
    from latentlab import lab

    if isinstance(source, str) and not _is_checkpoint(source) and dataset is None:
        source, dataset = None, source
    if source is None:
        if dataset is None:
            raise LatentLabError("Give a checkpoint, or a dataset of precomputed embeddings.", param="checkpoint")
        ds = lab.as_dataset(dataset)
        return None, ds, lab.embed(None, ds)
    ck = lab.load_checkpoint(source)
    ds = lab.dataset_for(ck, dataset)
    return ck, ds, lab.embed(ck, ds)


def _is_checkpoint(name: str) -> bool:
    from latentlab import lab

    if name.endswith((".json", ".safetensors")) or "/" in name:
        return True
    return any(c["name"] == name for c in lab.list_checkpoints())


def colour_name(color: str) -> str:
    """The command line's colour names (``label``, ``cluster``, ``factor:NAME``, ``latent:K``) as the engine's."""
    if color.startswith("factor:"):
        return "factor: " + color.split(":", 1)[1].strip()
    if color.startswith("latent:"):
        return "z" + color.split(":", 1)[1].strip()
    return color


def map_data(checkpoint=None, dataset=None, method: str = "umap", color: str = "label", labels: str | None = "clusters",
             clusters: np.ndarray | None = None, seed: int = 0, k: int | None = None) -> MapData:
    """Project, cluster and colour a checkpoint's codes (or a dataset's vectors) for a map (see ``map``)."""
    from latentlab import lab

    ck, ds, emb = open_source(checkpoint, dataset)
    colour = colour_name(color)
    options = lab.colour_options(ds, emb, has_clusters=True)
    if colour not in options:
        raise LatentLabError(f"Cannot colour by '{color}'; choose label, cluster, factor:NAME or latent:K among "
                             f"{', '.join(options[:8])}.", param="color", value=color)
    xy = np.asarray(lab.project(ck, ds, method=method, seed=seed))[:, :2]
    if clusters is None and (labels not in (None, "none") or colour == "cluster"):
        clusters = lab.cluster(ck, ds, "kmeans", seed=seed, **({"k": k} if k else {})).labels
    values, categorical = lab.colour_values(ds, emb, colour, clusters)
    texts = {} if labels in (None, "none") else cluster_names(labels, clusters, ds)
    name = ck.name if ck is not None else ds.name
    return MapData(xy, values, categorical, colour, clusters, texts, f"{name}: {method.upper()} of {len(ds):,} items",
                   method, ds, emb)


def cluster_names(labels: str, clusters: np.ndarray, ds) -> dict[int, str]:
    """The clusters' names: ``clusters`` (their ids), ``keywords`` (a text dataset's c-TF-IDF words) or a CSV."""
    from latentlab import lab

    if labels == "clusters":
        return cluster_texts(clusters)
    if labels == "keywords":
        if getattr(ds, "texts", None) is None:
            raise LatentLabError(f"Dataset '{ds.name}' has no texts, so its clusters have no keywords; use clusters "
                                 "or a CSV of names.", param="labels", value=labels)
        return cluster_texts(clusters, keywords=lab.cluster_keywords(ds.texts, clusters))
    if str(labels).lower().endswith(".csv"):
        return cluster_texts(clusters, names=read_cluster_names(labels, clusters))
    raise LatentLabError(f"Unknown `labels` '{labels}'; choose clusters, keywords, none or a FILE.csv of names.",
                         param="labels", value=labels)


def figure_of_map(data: MapData, style: str = "paper", width_mm: float = DEFAULT_WIDTH_MM, dpi: int = DEFAULT_DPI):
    from latentlab.analysis.projection.labels import label_anchors
    from latentlab.figures.map_figure import map_figure

    anchors = label_anchors(data.xy, data.clusters) if data.texts and data.clusters is not None else None
    axes = (f"{data.method.upper()} 1", f"{data.method.upper()} 2")
    return map_figure(data.xy, data.values, data.categorical, data.colour, data.title, axes, anchors, data.texts,
                      style, width_mm, dpi)


def map(checkpoint=None, dataset=None, method: str = "umap", color: str = "label", labels: str | None = "clusters",
        clusters: np.ndarray | None = None, style: str = "paper", width_mm: float = DEFAULT_WIDTH_MM,
        dpi: int = DEFAULT_DPI, seed: int = 0):
    """The projection of a checkpoint's codes (or a dataset's vectors), coloured by ``color`` (``label``,
    ``cluster``, ``factor:NAME``, ``latent:K``), its clusters named by ``labels`` (``clusters``, ``keywords``,
    ``none`` or a CSV of cluster,name rows) and placed so that no two names overlap. ``clusters`` (N,): a
    clustering to name (default k-means on the codes)."""
    data = map_data(checkpoint, dataset, method, color, labels, clusters, seed)
    return figure_of_map(data, style, width_mm, dpi)


def _activity(ck, emb, dims: list[int]) -> list[str]:
    if emb.kl is not None:
        kl = np.asarray(emb.kl).mean(0)
        return [f"z{d} · KL {kl[d]:.2f}" for d in dims]
    var = np.asarray(emb.mean).var(0)
    return [f"z{d} · var {var[d]:.2g}" for d in dims]


def traversal(checkpoint, dataset=None, latents: list[int] | None = None, span: float = 3.0, steps: int = 7,
              index: int | None = None, style: str = "paper", width_mm: float = DEFAULT_WIDTH_MM,
              dpi: int = DEFAULT_DPI):
    """The traversal grid of ``latents`` (default the five most active) over ``span`` standard deviations: decoded
    images, curves for signals and tables, the nearest texts for a text model."""
    from latentlab import lab

    ck = lab.load_checkpoint(checkpoint)
    ds = lab.dataset_for(ck, dataset)
    emb = lab.embed(ck, ds)
    dims = list(latents) if latents else lab.activity_order(emb)[:5]
    tr = lab.traverse(ck, ds, index=index, dims=dims, steps=steps, span=span)
    kind = "text" if getattr(ds, "texts", None) is not None else "image" if ds.kind == "image" else "curves"
    texts = None
    if kind == "text":
        r, c = tr.values.shape
        hits = lab.nearest_texts(ds, tr.items.reshape(r * c, -1), k=1)
        texts = [[hits[i * c + j][0].text for j in range(c)] for i in range(r)]
    from latentlab.figures.panels import traversal_figure

    title = f"{ck.name}: traversal of {len(dims)} latents over ±{span:g}"
    return traversal_figure(tr.items, tr.values, _activity(ck, emb, dims), kind, texts, title, style, width_mm, dpi)


def metrics(checkpoint, dataset=None, matrix: str = "mi", style: str = "paper", width_mm: float = DEFAULT_WIDTH_MM,
            dpi: int = DEFAULT_DPI):
    """The factor x latent matrix (``mi``: MIG's mutual information, or ``importance``: DCI's) as an annotated
    heatmap, with the metric's scores beside it."""
    from latentlab import lab
    from latentlab.figures.panels import metrics_figure

    if matrix not in MATRICES:
        raise LatentLabError(f"Unknown `matrix` '{matrix}'; choose {' or '.join(MATRICES)}.", param="matrix",
                             value=matrix)
    metric, key, what = MATRICES[matrix]
    ck = lab.load_checkpoint(checkpoint)
    ds = lab.dataset_for(ck, dataset)
    result = lab.score(ck, ds, [metric])[metric]
    m = np.asarray(result.matrices[key], dtype=np.float64).T  # (K factors, D latents)
    factors = list(ds.factors.columns) if ds.factors is not None else [f"factor {i}" for i in range(len(m))]
    return metrics_figure(m, factors[: len(m)], what, result.scores, f"{ck.name} on {ds.name}: {metric.upper()}",
                          style, width_mm, dpi)


def compare(a, b, dataset=None, method: str = "umap", color: str = "label", style: str = "paper",
            width_mm: float = DEFAULT_WIDTH_MM, dpi: int = DEFAULT_DPI, seed: int = 0):
    """Two checkpoints' maps of the same items, B's aligned onto A's (Procrustes), with CKA, relative similarity
    and neighbour agreement."""
    from latentlab import lab
    from latentlab.figures.panels import compare_figure

    data_a = map_data(a, dataset, method, color, None, seed=seed)
    data_b = map_data(b, dataset, method, color, None, seed=seed)
    if len(data_a.xy) != len(data_b.xy):
        raise LatentLabError(f"'{a}' and '{b}' map {len(data_a.xy):,} and {len(data_b.xy):,} items; compare two "
                             "maps of the same items.", param="b")
    aligned = lab.procrustes(data_a.xy, data_b.xy).aligned
    c = lab.compare(a, b, dataset, seed=seed)
    scores = {"CKA": c.cka, "relative similarity": c.relative_similarity, f"{c.k}-NN agreement": c.knn_agreement}
    return compare_figure(data_a.xy, aligned, data_a.values, data_a.categorical, data_a.colour, (str(a), str(b)),
                          scores, style, width_mm, dpi)


def clusters(checkpoint=None, dataset=None, method: str = "umap", labels: str = "clusters", k: int | None = None,
             style: str = "paper", width_mm: float = DEFAULT_WIDTH_MM, dpi: int = DEFAULT_DPI, seed: int = 0):
    """The map coloured and named by k-means clusters, with each cluster's rule from the threshold tree beside it."""
    from latentlab import lab
    from latentlab.analysis.projection.labels import label_anchors
    from latentlab.figures.panels import clusters_figure

    data = map_data(checkpoint, dataset, method, "cluster", labels, seed=seed, k=k)
    ck, ds, _ = open_source(checkpoint, dataset)
    explained = lab.explain_clusters(ck, ds, labels=data.clusters, seed=seed)
    rules = [(data.texts.get(r.cluster, f"cluster {r.cluster}"), r.tree_rule) for r in explained.rules]
    anchors = label_anchors(data.xy, data.clusters)
    return clusters_figure(data.xy, data.clusters, anchors, data.texts, rules, data.title, style, width_mm, dpi)


def save(fig, out, dpi: int = DEFAULT_DPI):
    """Write a figure to ``out`` (.pdf, .svg or .png, by its extension) through a temporary file; returns the path."""
    from latentlab.figures.output import save_figure

    return save_figure(fig, out, dpi)
