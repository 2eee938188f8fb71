"""Data: the datasets, a preview of each, and uploads."""

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from latentlab.data import import_dataset
from latentlab.data.readers import SUFFIXES, peek_columns
from latentlab.ui import cache, panels
from latentlab.ui.sidebar import user_errors

ctx = st.session_state["ll_context"]
st.title("Data")

rows = cache.dataset_rows()
st.dataframe(pd.DataFrame(rows)[["name", "kind", "source", "summary"]], hide_index=True, width="stretch")

st.subheader("Preview")
names = [r["name"] for r in rows]
name = st.selectbox("Dataset", names, index=names.index(ctx.dataset_name), key="data-preview")
if name == "shapes":
    st.caption("The full shapes set (737,280 images) is built once into the workspace cache (about 3 GB); "
               "shapes-20k is a quick subset.")
with user_errors():
    ds = cache.dataset(name)
    st.caption(ds.description)
    if ds.is_image:
        rng = np.random.default_rng(0)
        sample = np.sort(rng.choice(len(ds), size=min(32, len(ds)), replace=False))
        panels.gallery(ds.as_float(sample), 8, f"32 random items of {len(ds):,}")
        if ds.labels is not None:
            st.write("Labels:", ", ".join(map(str, sorted(set(np.asarray(ds.labels).tolist()))[:30])))
    else:
        frame = pd.DataFrame(ds.x, columns=ds.feature_names or None)
        if ds.labels is not None:
            frame.insert(0, ds.label_name, ds.labels)
        st.dataframe(frame.head(50), width="stretch")
        st.markdown("**Column statistics**")
        st.dataframe(frame.describe().T, width="stretch")
    if ds.factors is not None:
        st.markdown("**Ground-truth factors**: " + ", ".join(f"{c} ({ds.factors[c].nunique()} values)" for c in ds.factors.columns))

st.subheader("Upload")
st.caption("CSV, TSV, Parquet (tables or precomputed embeddings), NPY/NPZ arrays (items, optional 'labels' and "
           "'factors'), or a ZIP of PNG/JPEG images (labels from folder names or a labels.csv).")
upload = st.file_uploader("File", type=sorted(s.lstrip(".") for s in SUFFIXES), key="data-upload")
if upload is not None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(upload.name).name
        path.write_bytes(upload.getbuffer())
        columns = peek_columns(path)
        with st.form("import-form"):
            default_name = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in Path(upload.name).stem)[:64]
            new_name = st.text_input("Dataset name", value=default_name, key="data-name")
            label = st.selectbox("Label column", ["(none)"] + columns, key="data-label") if columns else "(none)"
            embedding = st.checkbox("These are precomputed embeddings", key="data-embedding")
            go = st.form_submit_button("Import", type="primary")
        if go:
            with user_errors():
                ds = import_dataset(path, new_name, labels=None if label == "(none)" else label,
                                    kind="embedding" if embedding else None)
                cache.clear_listings()
                st.session_state["ll_dataset"] = ds.name
                st.success(f"Imported '{ds.name}': {ds.description} Train a model on it on the Train page.")
