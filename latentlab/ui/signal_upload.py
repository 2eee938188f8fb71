"""The Data page's signal options: an uploaded array or long table read as time series
(``latentlab.data.signal_import`` states the rules; the command line's ``import FILE --signal``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from latentlab.lab import ARRAY_SUFFIXES

NONE = "(none)"


def signal_options(upload_name: str, columns: list[str], key: str) -> dict:
    """Inside the import form, for a file read as signals: whether to standardise each channel and, for a long
    table, which columns are the item, the time, the channels and the factors. Returns the import's settings."""
    st.caption("An NPY/NPZ array of shape (items, samples) or (items, channels, samples), or a long table with one "
               "row per sample.")
    options: dict = {"standardise": st.checkbox("Standardise each channel (mean 0, standard deviation 1)",
                                                key=f"{key}-signal-std", help="Signals are otherwise kept as given.")}
    if Path(upload_name).suffix.lower() not in ARRAY_SUFFIXES and columns:
        c1, c2 = st.columns(2)
        options["id"] = c1.selectbox("Item column", columns, key=f"{key}-signal-id")
        options["time"] = c2.selectbox("Time column", columns, index=min(1, len(columns) - 1), key=f"{key}-signal-time")
        options["channels"] = st.multiselect("Channel columns (empty: every other numeric column)", columns,
                                             key=f"{key}-signal-channels")
        options["factors"] = st.multiselect("Factor columns (integer codes, one per item)", columns,
                                            key=f"{key}-signal-factors")
    return options


def preview(ds) -> None:
    """Eight fixed random items of a signal dataset as curves."""
    from latentlab.ui.signal_view import overlay_figure

    rows = np.sort(np.random.default_rng(0).choice(len(ds), size=min(8, len(ds)), replace=False))
    titles = [f"#{i}" + ("" if ds.labels is None else f" ({np.asarray(ds.labels)[i]})") for i in rows]
    st.plotly_chart(overlay_figure(ds, ds.as_float(rows), None, titles), width="stretch", key="data-signal-preview")
    st.caption(f"8 random items of {len(ds):,}; {ds.item_shape[0]} channel(s) x {ds.item_shape[1]:,} samples.")
