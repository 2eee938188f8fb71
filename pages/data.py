"""Data: the datasets, a preview of each, and uploads."""

import numpy as np
import pandas as pd
import streamlit as st

from latentlab.ui import foreign_upload, loaders, panels, signal_upload, text_import, uploads
from latentlab.ui import param_labels
from latentlab.ui.sidebar import start_page, user_errors

ENCODER_NAMES = {"minilm": "MiniLM (all-MiniLM-L6-v2)", "tfidf": "TF-IDF + SVD (the weaker choice)"}
IMPORT_HELP = ("Texts: a column of documents, each embedded into a vector (a map right away). A table of numbers or "
               "an array: items for a model to learn, standardised per column. Precomputed embeddings: vectors kept "
               "as given (a map right away). Signals: time series, one per item.")
IMPORT_NOTES = {
    "table": "Its numeric columns are standardised (mean 0, standard deviation 1).",
    "items": "A 2-D array is read as a table, its columns standardised; a 3-D or 4-D one as images, scaled to [0, 1].",
    "images": "Images are scaled to [0, 1]; labels come from folder names or a labels.csv.",
}

ctx = start_page("Data", needs_checkpoint=False)

rows = loaders.dataset_rows()
st.dataframe(pd.DataFrame(rows)[["name", "kind", "source", "summary"]], hide_index=True, width="stretch")

st.subheader("Preview")
names = [r["name"] for r in rows]
name = st.selectbox("Dataset", names, index=names.index(ctx.dataset_name), key="data-preview")
if name == "shapes":
    st.caption("The full shapes set (737,280 images) is built once into the workspace cache (about 3 GB); "
               "shapes-20k is a quick subset.")
with user_errors(param_labels.DATA_IMPORT):
    ds = loaders.dataset(name)
    st.caption(ds.description)
    if ds.is_image:
        rng = np.random.default_rng(0)
        sample = np.sort(rng.choice(len(ds), size=min(32, len(ds)), replace=False))
        panels.gallery(ds.as_float(sample), 8, f"32 random items of {len(ds):,}")
        if ds.labels is not None:
            st.write("Labels:", ", ".join(map(str, sorted(set(np.asarray(ds.labels).tolist()))[:30])))
    elif ds.is_signal:
        signal_upload.preview(ds)
    else:
        frame = pd.DataFrame(ds.x, columns=ds.feature_names or None)
        if ds.labels is not None:
            frame.insert(0, ds.label_name, ds.labels)
        st.dataframe(frame.head(50), width="stretch")
        st.markdown("**Column statistics**")
        st.dataframe(frame.describe().T, width="stretch")
    if ds.factors is not None:
        st.markdown("**Ground-truth factors**: " + ", ".join(f"{c} ({ds.factors[c].nunique()} values)" for c in ds.factors.columns))

st.subheader("Upload data")
st.caption("CSV, TSV, Parquet (tables, precomputed embeddings or a column of texts), JSON Lines (texts), NPY/NPZ "
           "arrays (items, optional 'labels' and 'factors'), or a ZIP of PNG/JPEG images (labels from folder names or "
           "a labels.csv). Rows with missing values are dropped and counted. Choose what the file holds once it is "
           "uploaded: only the options for that kind of import are shown.")
upload = st.file_uploader("Data file", type=sorted(s.lstrip(".") for s in uploads.SUFFIXES), key="data-upload")
if upload is not None:
    data = upload.getvalue()
    with user_errors(param_labels.DATA_IMPORT):
        text_columns = uploads.peek_uploaded_text_columns(upload.name, data)
        columns = uploads.peek_uploaded_columns(upload.name, data) or text_columns
    fid = upload.file_id  # widgets keyed per upload, so each new file gets fresh defaults
    kinds = uploads.import_kinds(upload.name, text_columns)
    kind = st.radio("Read the file as", kinds, horizontal=True, key=f"data-kind-{fid}", format_func=uploads.IMPORT_KINDS.get,
                    help=IMPORT_HELP)
    with st.form(f"import-form-{fid}"):
        new_name = st.text_input("Dataset name", value=uploads.suggested_dataset_name(upload.name), key=f"data-name-{fid}")
        label = st.selectbox("Label column", ["(none)"] + columns, key=f"data-label-{fid}") if columns else "(none)"
        settings: dict = {}
        if kind == "texts":
            settings["text"] = st.selectbox(
                "Text column", text_columns, key=f"data-text-{fid}",
                help="The column of documents: each is embedded by the encoder into a vector, and the texts are kept "
                     "to read on the map. The other columns stay as metadata.")
            settings["encoder"] = st.selectbox(
                "Encoder", uploads.text_encoder_choices(), key=f"data-encoder-{fid}", format_func=ENCODER_NAMES.get,
                help="Both run offline. MiniLM (the text extra) compares meanings; TF-IDF only words.")
        elif kind == "embeddings":
            settings["standardise"] = st.checkbox(
                "Standardise the embeddings' columns (mean 0, standard deviation 1)", key=f"data-standardise-{fid}",
                help="Precomputed embeddings are otherwise kept as given, so distances stay the encoder's.")
        elif kind == "signals":
            settings = signal_upload.signal_options(upload.name, columns, f"data-{fid}")
        else:
            st.caption(IMPORT_NOTES[kind])
        go = st.form_submit_button("Import", type="primary")
    if go:
        with user_errors(param_labels.DATA_IMPORT):
            labels = None if label == "(none)" else label
            if kind == "texts":  # embedded by a background job; its progress is shown below
                text_import.start(upload.name, data, new_name, settings["text"], labels, settings["encoder"])
            else:
                if kind == "signals":
                    ds = uploads.import_uploaded_signals(upload.name, data, new_name, labels=labels, **settings)
                else:
                    ds = uploads.import_uploaded_dataset(upload.name, data, new_name, labels, kind == "embeddings",
                                                         standardise=True if settings.get("standardise") else None)
                text_import.record_outcome(ds.name, vectors=ds.kind == "embedding")
                st.rerun()  # the listing and the sidebar show the new dataset
text_import.show_outcome()
text_import.show_progress()

st.subheader("Upload a checkpoint")
st.caption("A LatentLab checkpoint: its .json manifest and its .safetensors weights. Pickled files (.pt, .ckpt) are "
           "refused; the weights are checked against the manifest before anything is kept.")
c1, c2 = st.columns(2)
manifest_up = c1.file_uploader("Manifest (.json)", type=["json"], key="ckpt-manifest")
weights_up = c2.file_uploader("Weights (.safetensors)", type=["safetensors"], key="ckpt-weights")
if manifest_up is not None and weights_up is not None and st.button("Add checkpoint", key="ckpt-import"):
    with user_errors(param_labels.DATA_IMPORT):
        ck = uploads.import_uploaded_checkpoint(manifest_up.name, manifest_up.getvalue(), weights_up.name, weights_up.getvalue())
        loaders.clear_listings()
        st.success(f"Added checkpoint '{ck.name}' ({ck.model_name}); pick it in the sidebar's Checkpoint box, which "
                   "switches to the dataset it was trained on when this workspace has it.")

foreign_upload.add_model_panel(names, ctx.dataset_name)
