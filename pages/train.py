"""Train: start training jobs and sweeps, watch progress and loss curves, cancel or resume."""

import time

import pandas as pd
import streamlit as st

from latentlab import jobs
from latentlab.cli.jobs import parse_grid
from latentlab.models import MODELS
from latentlab.training.trainer import TrainConfig
from latentlab.ui import loaders, compare_view, figures, forms
from latentlab.ui.sidebar import start_page, user_errors

ctx = start_page("Train", needs_checkpoint=False)

with user_errors():
    names = [r["name"] for r in loaders.dataset_rows()]
    c1, c2 = st.columns(2)
    dataset = c1.selectbox("Dataset", names, index=names.index(ctx.dataset_name), key="tr-dataset")
    model = c2.selectbox("Model", list(MODELS), index=list(MODELS).index("vae"), format_func=lambda m: f"{m} — {MODELS.entry(m).description}",
                         key="tr-model")
    unit = st.radio("Train for a number of", ["epochs", "steps"], horizontal=True, key="tr-unit")
    with st.form("train-form"):
        st.markdown("**Model settings**")
        model_params = forms.config_form(MODELS[model].config_cls, f"tr-{model}")
        st.markdown("**Training**")
        t2, t3, t4, t5 = st.columns(4)
        length = int(t2.number_input(unit, min_value=1, value=20 if unit == "epochs" else 2000, step=1, key=f"tr-length-{unit}"))
        batch = int(t3.number_input("batch size", min_value=1, value=128, step=16, key="tr-batch"))
        lr = float(t4.number_input("learning rate", min_value=1e-6, max_value=1.0, value=1e-3, format="%.5f", key="tr-lr"))
        seed = int(t5.number_input("seed", value=0, step=1, key="tr-seed"))
        name = st.text_input("Checkpoint name (optional)", key="tr-name", help="Default: DATASET-MODEL-jobN")
        st.markdown("**Sweep (optional)**: one job per grid point, e.g. beta = 1, 4, 8 and seed = 0, 1")
        s1, s2, s3, s4 = st.columns(4)
        axes = ["(none)"] + [f.name for f in MODELS[model].config_cls.user_fields()] + ["seed", "lr", "batch_size"]
        axis1 = s1.selectbox("Grid axis 1", axes, key="tr-axis1")
        values1 = s2.text_input("values", key="tr-values1", placeholder="1, 4, 8")
        axis2 = s3.selectbox("Grid axis 2", axes, key="tr-axis2")
        values2 = s4.text_input("values", key="tr-values2", placeholder="0, 1")
        submitted = st.form_submit_button("Start training", type="primary")

    if submitted:
        cfg = TrainConfig(epochs=length if unit == "epochs" else None, steps=length if unit == "steps" else None,
                          batch_size=batch, lr=lr, seed=seed)
        grid = {}
        for axis, values in ((axis1, values1), (axis2, values2)):
            if axis != "(none)" and values.strip():
                grid.update(parse_grid([f"{axis}={values}"]))
        if grid:
            sweep, ids = jobs.submit_sweep(dataset, model, grid, model_params, cfg, name=name or None)
            st.success(f"Sweep {sweep}: jobs {', '.join(map(str, ids))} queued.")
        else:
            job_id = jobs.submit_train(dataset, model, model_params, cfg, name=name or None)
            st.session_state["tr-watch"] = job_id
            st.success(f"Job {job_id} queued; it keeps running if you close this tab.")


def _eta(seconds) -> str:
    if seconds is None:
        return ""
    return time.strftime("%H:%M:%S", time.gmtime(seconds)) if seconds < 86400 else f"{seconds / 3600:.0f} h"


@st.fragment(run_every=2.0)
def job_monitor() -> None:
    all_jobs = jobs.list_jobs(limit=200)
    st.subheader("Jobs")
    if not all_jobs:
        st.caption("No jobs yet.")
        return
    table = pd.DataFrame([{
        "id": j.id, "kind": j.kind, "name": j.name, "state": j.state, "progress": j.progress,
        "step": f"{j.step}/{j.total}", "loss": j.terms.get("loss"), "ETA": _eta(j.eta_s), "sweep": j.sweep or "",
    } for j in all_jobs])
    st.dataframe(table, hide_index=True, width="stretch", key="jobs-table",
                 column_config={"progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0)})
    ids = [j.id for j in all_jobs]
    watched = st.session_state.get("tr-watch", ids[0])
    job_id = st.selectbox("Job", ids, index=ids.index(watched) if watched in ids else 0, key="tr-job",
                          format_func=lambda i: f"{i} · {next(j for j in all_jobs if j.id == i).name}")
    st.session_state["tr-watch"] = job_id
    job = jobs.get(job_id)
    st.progress(job.progress, text=f"{job.state} · step {job.step}/{job.total}" + (f" · ETA {_eta(job.eta_s)}" if job.eta_s else ""))
    if job.error:
        (st.warning if job.state == "cancelled" else st.error)(job.error)
    b1, b2, _ = st.columns([1, 1, 4])
    if job.state in jobs.ACTIVE and b1.button("Cancel", key=f"cancel-{job.id}"):
        jobs.cancel(job.id)
        st.rerun(scope="fragment")
    if job.kind == "train" and job.state in ("interrupted", "failed", "cancelled") and b2.button("Resume", key=f"resume-{job.id}"):
        jobs.resume(job.id)
        st.rerun(scope="fragment")
    if job.kind == "train":
        st.plotly_chart(figures.loss_curve(jobs.history(job.id), f"Loss · job {job.id}"), width="stretch",
                        key=f"loss-{job.id}-{job.step}")
        if job.state == "succeeded":
            st.success(f"Checkpoint '{job.params['name']}' is ready; pick it in the sidebar.")
            loaders.clear_listings()
            if job.sweep:  # compare with another finished run of the same sweep
                runs = [j.params["name"] for j in all_jobs if j.sweep == job.sweep and j.kind == "train"
                        and j.state == "succeeded"]
                compare_view.compare_link(job.params["dataset"], runs, job.params["name"], f"tr-compare-{job.id}",
                                          "Compare this sweep's run")


with user_errors():
    job_monitor()
