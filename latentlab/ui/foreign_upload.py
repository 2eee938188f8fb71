"""The Data page's "Add a model trained elsewhere" panel: a class an installed package registers (named, never
uploaded: code comes from the environment) with uploaded safetensors weights and an optional JSON config, ONNX
files, or a SAELens folder's two files; added with ``lab.add_checkpoint`` over a chosen dataset."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from latentlab import lab
from latentlab.core.errors import LatentLabError
from latentlab.ui import loaders
from latentlab.ui.sidebar import user_errors
from latentlab.ui.uploads import safe_file_name

CLASS, ONNX, SAELENS = "An installed model class", "ONNX files", "A SAELens sparse autoencoder"
WEIGHT_TYPES = ["safetensors", "pt", "pth", "bin", "ckpt"]  # a pickle is taken in only to be refused with the way out


def numbers(text: str, what: str) -> list[float] | None:
    """Comma-separated numbers from a text box (None when empty), or one sentence."""
    if not text.strip():
        return None
    try:
        return [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise LatentLabError(f"{what}: '{text}' is not a comma-separated list of numbers.") from None


def preprocessing_form(key: str) -> dict | None:
    with st.expander("Preprocessing the model expects (leave empty if it reads the items as they are)"):
        c1, c2, c3, c4 = st.columns(4)
        scale = c1.text_input("Scale", "", key=f"{key}-scale", help="Multiply the float items (images in [0, 1]) by this.")
        mean = c2.text_input("Mean", "", key=f"{key}-mean", help="Then subtract this: one value or one per channel.")
        std = c3.text_input("Std", "", key=f"{key}-std", help="Then divide by this: one value or one per channel.")
        shape = c4.text_input("Input shape", "", key=f"{key}-shape", help="The model's own item shape, e.g. 784.")
    out = {"scale": (numbers(scale, "Scale") or [None])[0], "mean": numbers(mean, "Mean"), "std": numbers(std, "Std"),
           "input_shape": [int(v) for v in numbers(shape, "Input shape") or []] or None}
    return {k: v for k, v in out.items() if v is not None} or None


def _stage(folder: Path, upload, role: str) -> Path | None:
    """An uploaded file written under a clean name in ``folder`` (the name only gives its suffix)."""
    if upload is None:
        return None
    path = folder / f"{role}-{safe_file_name(upload.name)}"
    path.write_bytes(upload.getvalue())
    return path


def add_model_panel(dataset_names: list[str], default_dataset: str) -> None:
    """The panel; on success the new checkpoint is picked in the sidebar."""
    st.subheader("Add a model trained elsewhere")
    st.caption("A model from your own code explored like one trained here: a torch.nn.Module class with encode(x) "
               "(and optionally decode(z)), registered by an installed package, with its weights as safetensors; "
               "ONNX files; or a SAELens folder. Code is never uploaded: classes come from this environment "
               "(latentlab checkpoints add --class pkg.module:Class takes any class path).")
    kind = st.radio("Source", [CLASS, ONNX, SAELENS], horizontal=True, key="fm-kind")
    c1, c2 = st.columns(2)
    name = c1.text_input("Checkpoint name", "my-model", key="fm-name")
    dataset = c2.selectbox("Dataset it reads", dataset_names, index=dataset_names.index(default_dataset)
                           if default_dataset in dataset_names else 0, key="fm-dataset")
    uploads = {}
    class_name = None
    if kind == CLASS:
        classes = lab.installed_model_classes()
        if not classes:
            st.info("No installed package registers a model class. A package does so in its pyproject.toml under "
                    '[project.entry-points."latentlab.models"] (my-vae = "my_package.models:MyVAE"); any other class '
                    "is added from the command line with --class package.module:Class.")
            return
        class_name = st.selectbox("Model class", classes, key="fm-class")
        a, b = st.columns(2)
        uploads["weights"] = a.file_uploader("Weights (.safetensors)", type=WEIGHT_TYPES, key="fm-weights")
        uploads["config"] = b.file_uploader("Config (.json, the constructor's arguments)", type=["json"], key="fm-config")
    elif kind == ONNX:
        a, b = st.columns(2)
        uploads["encoder"] = a.file_uploader("Encoder (.onnx)", type=["onnx"], key="fm-onnx-encoder")
        uploads["decoder"] = b.file_uploader("Decoder (.onnx, optional)", type=["onnx"], key="fm-onnx-decoder")
    else:
        a, b = st.columns(2)
        uploads["cfg"] = a.file_uploader("cfg.json", type=["json"], key="fm-sae-cfg")
        uploads["sae"] = b.file_uploader("sae_weights.safetensors", type=["safetensors"], key="fm-sae-weights")
    with user_errors():
        preprocessing = preprocessing_form("fm-prep")
    if not st.button("Add model", key="fm-add", type="primary"):
        return
    with user_errors():
        ck = _add(kind, name, dataset, class_name, uploads, preprocessing)
        loaders.clear_listings()
        st.session_state["ll_dataset"], st.session_state["ll_checkpoint"] = dataset, ck.name
        caps = lab.capabilities(ck)
        st.success(f"Added '{ck.name}' ({ck.model.label}, {ck.latent_dim} latent dimensions, "
                   f"{'a Gaussian encoder' if caps.gaussian else 'one code per item'}"
                   f"{', with a decoder' if caps.has_decoder else ', no decoder'}); it is picked in the sidebar.")
        for view, why in caps.missing.items():
            st.caption(f"No {view}: {why}.")


def _add(kind: str, name: str, dataset: str, class_name: str | None, uploads: dict, preprocessing: dict | None):
    with tempfile.TemporaryDirectory(prefix="latentlab-model-") as tmp:
        folder = Path(tmp)
        if kind == CLASS:
            if uploads["weights"] is None:
                raise LatentLabError("Upload the model's weights (.safetensors) first.")
            return lab.add_checkpoint(name, dataset, class_path=class_name, weights=_stage(folder, uploads["weights"], "w"),
                                      config=_stage(folder, uploads["config"], "c"), preprocessing=preprocessing)
        if kind == ONNX:
            if uploads["encoder"] is None:
                raise LatentLabError("Upload the encoder (.onnx) first.")
            (folder / "enc").mkdir()
            (folder / "dec").mkdir()  # each graph in its own folder: external data may only lie beside its model
            return lab.add_checkpoint(name, dataset, onnx_encoder=_stage(folder / "enc", uploads["encoder"], "encoder"),
                                      onnx_decoder=_stage(folder / "dec", uploads["decoder"], "decoder"),
                                      preprocessing=preprocessing)
        if uploads["cfg"] is None or uploads["sae"] is None:
            raise LatentLabError("Upload both files of the SAELens folder: cfg.json and sae_weights.safetensors.")
        (folder / "cfg.json").write_bytes(uploads["cfg"].getvalue())
        (folder / "sae_weights.safetensors").write_bytes(uploads["sae"].getvalue())
        return lab.add_checkpoint(name, dataset, saelens=folder, preprocessing=preprocessing)
