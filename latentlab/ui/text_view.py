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


def search_box(ds) -> np.ndarray | None:
    """A "Search by meaning" box over a text dataset: its hits listed with their similarity and text.
    Returns the hits' rows, best first (None when nothing is searched)."""
    c1, c2 = st.columns([4, 1])
    query = c1.text_input("Search by meaning", key="map-search",
                          placeholder="Words or a sentence; the nearest texts are listed and ringed on the map")
    k = int(c2.number_input("Hits", min_value=1, max_value=200, value=SEARCH_K, step=5, key="map-search-k"))
    if not query.strip():
        return None
    hits = lab.search(ds, query, k)
    rows = np.asarray([h.index for h in hits], dtype=np.int64)
    st.caption(f"The {len(hits)} texts nearest in meaning to the query, by cosine similarity"
               + ("; the first 64 are ringed in red on the 2-D map." if len(hits) > 64 else "; they are ringed in red on the 2-D map."))
    show_texts(ds, rows, {"similarity": np.round([h.similarity for h in hits], 4)}, key="map-search-hits")
    return rows
