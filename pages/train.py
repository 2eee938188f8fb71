"""Train: start training jobs and sweeps, watch progress and loss curves, cancel or resume."""

import streamlit as st

from latentlab import lab
from latentlab.ui import dynamics_view, forms, loaders, train_view
from latentlab.ui import param_labels
from latentlab.ui.sidebar import start_page, user_errors

ctx = start_page("Train", needs_checkpoint=False)

with user_errors(param_labels.TRAIN):
    names = [r["name"] for r in loaders.dataset_rows()]
    c1, c2 = st.columns(2)
    dataset = c1.selectbox("Dataset", names, index=names.index(ctx.dataset_name), key="tr-dataset")
    models = lab.trainable_models()  # the registry's, then installed classes that provide loss(x)
    model = c2.selectbox("Model", list(models), index=list(models).index("vae"), key="tr-model",
                         format_func=lambda m: f"{m} — {models[m]}")
    settings = lab.model_settings(model)
    unit = st.radio("Train for a number of", ["epochs", "steps"], horizontal=True, key="tr-unit")
    with st.form("train-form"):
        st.markdown("**Model settings**")
        model_params = forms.config_form(settings, f"tr-{model}")
        st.markdown("**Training**")
        t2, t3, t4, t5 = st.columns(4)
        length = int(t2.number_input(unit, min_value=1, value=20 if unit == "epochs" else 2000, step=1, key=f"tr-length-{unit}"))
        batch = int(t3.number_input("batch size", min_value=1, value=128, step=16, key="tr-batch"))
        lr = float(t4.number_input("learning rate", min_value=1e-6, max_value=1.0, value=1e-3, format="%.5f", key="tr-lr"))
        seed = int(t5.number_input("seed", value=0, step=1, key="tr-seed"))
        name = st.text_input("Checkpoint name (optional)", key="tr-name", help="Default: DATASET-MODEL-jobN")
        st.markdown("**Sweep (optional)**: one job per grid point, e.g. beta = 1, 4, 8 and seed = 0, 1")
        s1, s2, s3, s4 = st.columns(4)
        axes = ["(none)"] + [f.name for f in settings.user_fields()] + ["seed", "lr", "batch_size"]
        axis1 = s1.selectbox("Grid axis 1", axes, key="tr-axis1")
        values1 = s2.text_input("values", key="tr-values1", placeholder="1, 4, 8")
        axis2 = s3.selectbox("Grid axis 2", axes, key="tr-axis2")
        values2 = s4.text_input("values", key="tr-values2", placeholder="0, 1")
        where = train_view.executor_choice()
        submitted = st.form_submit_button("Start training", type="primary")

    if submitted:
        cfg = lab.TrainConfig(epochs=length if unit == "epochs" else None, steps=length if unit == "steps" else None,
                              batch_size=batch, lr=lr, seed=seed)
        train_view.submit_training(dataset, model, model_params, cfg, name, ((axis1, values1), (axis2, values2)), where)


with user_errors(param_labels.TRAIN):
    train_view.job_monitor()

with user_errors(param_labels.TRAIN):
    dynamics_view.formation_view()
