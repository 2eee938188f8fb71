"""Texts on the pages: search by meaning, and the texts of chosen items, always shown as data (a dataframe's
cells), never as Markdown or HTML, so a document holding markup stays inert."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from latentlab import lab

SNIPPET_CHARS = 300  # characters of a text shown in a table cell or a hover
SEARCH_K = 20


def has_texts(ds) -> bool:
    return getattr(ds, "texts", None) is not None


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def texts_frame(ds, rows, extra: dict | None = None) -> pd.DataFrame:
    """The texts of ``rows`` (with their labels, and any ``extra`` columns first), one row each."""
    rows = np.asarray(rows, dtype=np.int64)
    frame = pd.DataFrame({"index": rows})
    for name, values in (extra or {}).items():
        frame[name] = values
    if ds.labels is not None:
        frame[ds.label_name] = np.asarray(ds.labels)[rows]
    frame["text"] = [snippet(ds.texts[i]) for i in rows.tolist()]
    return frame


def show_texts(ds, rows, extra: dict | None = None, key: str | None = None) -> None:
    st.dataframe(texts_frame(ds, rows, extra), hide_index=True, width="stretch", key=key,
                 column_config={"text": st.column_config.TextColumn("text", width="large")})


@st.cache_data(max_entries=8, show_spinner="Naming the clusters by their keywords...")
def _keywords(fingerprint: str, labels_key: str, _texts: list[str], _labels: np.ndarray) -> dict[int, list[str]]:
    return lab.cluster_keywords(_texts, _labels)


def map_labels(ds, xy: np.ndarray, clusters: np.ndarray | None, keywords: dict | None = None) -> list[dict] | None:
    """A text dataset's clusters named on the map by their c-TF-IDF keywords (computed here, once per
    clustering, unless ``keywords`` are given); None for no clustering or no texts."""
    from latentlab.ui.scatter import content_key, keyword_labels

    if clusters is None or not has_texts(ds) or len(clusters) != len(xy):
        return None
    if keywords is None:
        keywords = _keywords(ds.fingerprint, content_key(np.asarray(clusters)), ds.texts, np.asarray(clusters))
    return keyword_labels(xy, clusters, keywords)


def cluster_labels_csv(labels: np.ndarray, keywords: dict | None) -> bytes:
    """The Clusters page's export: each item's cluster, and its cluster's keywords for a text dataset (as
    ``latentlab cluster`` writes them)."""
    frame = pd.DataFrame({"index": np.arange(len(labels)), "cluster": labels})
    if keywords:
        frame["keywords"] = [" ".join(keywords.get(int(c), [])) for c in np.asarray(labels).tolist()]
    return frame.to_csv(index=False).encode()


def search_box(ds) -> list | None:
    """A "Search by meaning" box over a text dataset. Returns its hits, best first (None when nothing is
    searched); ``show_search_hits`` lists them (the Map page lists them below the map, which rings them)."""
    c1, c2 = st.columns([4, 1])
    query = c1.text_input("Search by meaning", key="map-search",
                          placeholder="Words or a sentence; the nearest texts are ringed on the map and listed below it")
    k = int(c2.number_input("Hits", min_value=1, max_value=200, value=SEARCH_K, step=5, key="map-search-k"))
    if not query.strip():
        return None
    return lab.search(ds, query, k)


def hit_rows(hits: list) -> np.ndarray:
    return np.asarray([h.index for h in hits], dtype=np.int64)


def show_search_hits(ds, hits: list) -> None:
    """The hits of ``search_box`` with their similarity and text."""
    st.subheader(f"Search: the {len(hits)} nearest texts")
    st.caption("By cosine similarity to the query"
               + ("; the first 64 are ringed in red on the 2-D map." if len(hits) > 64 else "; they are ringed in red on the 2-D map."))
    show_texts(ds, hit_rows(hits), {"similarity": np.round([h.similarity for h in hits], 4)}, key="map-search-hits")


NEAREST_K = 5  # texts listed for one decoded vector; a grid lists the nearest one per cell


def nearest_frame(ds, vectors: np.ndarray, names: list[str], k: int) -> pd.DataFrame:
    """For each decoded vector (named by ``names``), its ``k`` nearest texts (``lab.nearest_texts``), one row each."""
    hits = lab.nearest_texts(ds, vectors, k)
    rows = [{"decoded": name, "rank": r + 1, "index": h.index, "similarity": round(h.similarity, 4),
             **({} if h.label is None else {"label": str(h.label)}), "text": snippet(h.text)}
            for name, found in zip(names, hits) for r, h in enumerate(found)]
    frame = pd.DataFrame(rows)
    return frame if k > 1 else frame.drop(columns=["rank"])


def show_nearest(ds, vectors: np.ndarray, names: list[str], caption: str, k: int = NEAREST_K,
                 key: str | None = None) -> None:
    """What decoded vectors read like: the texts nearest to each (cosine, in the dataset's space), as data."""
    st.caption(caption)
    st.dataframe(nearest_frame(ds, vectors, names, k), hide_index=True, width="stretch", key=key,
                 column_config={"text": st.column_config.TextColumn("text", width="large")})
