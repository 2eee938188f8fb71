"""The Train page's parts: queue a training run or a sweep (on this machine or, when one is configured and answers,
a Ray cluster), and watch the jobs (progress, loss curves, where each runs, cancel, resume)."""

from __future__ import annotations

import importlib.util
import time

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from latentlab import jobs
from latentlab.jobs import executor
from latentlab.ui import compare_view, loaders
from latentlab.ui.param_labels import job_error

WATCH = "tr-watch"  # session key: the job the view follows (set when a run starts, or picked in the Job box)
_JOB_BOX = "tr-job"
MAIN_TERMS = ("recon", "kl")  # drawn at first beside the total; the other terms wait in the legend
MAP_PAGE = "pages/map.py"


@st.cache_data(ttl=10, show_spinner=False)
def _cluster_answers(address: str) -> bool:
    return executor.reachable(address, timeout=1.0)


def executor_choice() -> tuple[str, float, float] | None:
    """Where to run, inside the training form: offered when ``LATENTLAB_RAY_ADDRESS`` names a Ray cluster that
    answers and Ray is installed. Returns (address or "" for this machine, CPUs per run, GPUs per run), or None
    when there is nothing to choose (jobs run on this machine)."""
    address = executor.configured_address()
    if address is None or importlib.util.find_spec("ray") is None:
        return None
    if not _cluster_answers(address):
        st.caption(f"The Ray cluster at {address} (LATENTLAB_RAY_ADDRESS) does not answer; jobs run on this machine.")
        return None
    st.markdown("**Where to run**")
    w1, w2, w3 = st.columns([2, 1, 1])
    where = w1.radio("Run on", ["Ray cluster", "this machine"], horizontal=True, key="tr-where",
                     help=f"The Ray cluster at {address}: each run is a Ray task; follow them here or on Ray's "
                          "dashboard.")
    cpus = float(w2.number_input("CPUs per run", min_value=0.25, value=1.0, step=0.25, key="tr-cpus"))
    gpus = float(w3.number_input("GPUs per run", min_value=0.0, value=0.0, step=0.25, key="tr-gpus",
                                 help="A fraction shares one GPU between runs: 0.25 fits four."))
    return (address if where == "Ray cluster" else "", cpus, gpus)


def submit_training(dataset: str, model: str, model_params: dict, cfg, name: str,
                    axes: tuple[tuple[str, str], ...], where: tuple[str, float, float] | None = None) -> None:
    """Queue one run, or a sweep over the grid ``axes`` ((setting, "V1, V2, ...") pairs; "(none)" skipped), on
    this machine or, when ``where`` (``executor_choice``) names a cluster, on Ray."""
    grid = {}
    for axis, values in axes:
        if axis != "(none)" and values.strip():
            grid.update(jobs.parse_grid([f"{axis}={values}"]))
    spec = (executor.resolve_executor("ray", where[0], where[1], where[2]) if where and where[0]
            else executor.resolve_executor("local"))
    on = f" on {executor.describe(spec)}" if spec else ""
    if grid:
        sweep, ids = jobs.submit_sweep(dataset, model, grid, model_params, cfg, name=name or None, executor=spec)
        st.session_state[WATCH] = ids[0]  # the view follows the sweep's first run
        st.success(f"Sweep {sweep}: jobs {', '.join(map(str, ids))} queued{on}.")
    else:
        job_id = jobs.submit_train(dataset, model, model_params, cfg, name=name or None, executor=spec)
        st.session_state[WATCH] = job_id  # the view follows the run just started
        st.success(f"Job {job_id} queued{on}; it keeps running if you close this tab.")


def loss_figure(history: list[dict], title: str = "Loss") -> go.Figure:
    """A run's loss curves in two panels sharing the step axis: the total loss above, its terms below (recon and
    kl drawn, the others a click away in the legend), so a term as large as the total is not hidden under it.
    A panel is on a log scale when the values it draws are all positive."""
    terms = [k for k in (history[-1] if history else {}) if k not in ("step", "loss")]
    shown = [t for t in terms if t in MAIN_TERMS] or terms[:1]
    rows = 2 if terms else 1
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=("total loss", "terms") if terms else None)
    steps = [h["step"] for h in history]
    series = {k: [h.get(k) for h in history] for k in ["loss", *terms]}
    fig.add_trace(go.Scatter(x=steps, y=series["loss"], mode="lines", name="loss (total)",
                             line=dict(color="#31333f", width=2.5)), row=1, col=1)
    for term in terms:
        fig.add_trace(go.Scatter(x=steps, y=series[term], mode="lines", name=term,
                                 visible=True if term in shown else "legendonly"), row=2, col=1)
    for row, names in ((1, ["loss"]), (2, shown)):
        values = [v for n in names for v in series.get(n, [])]
        if row <= rows and values and all(v is not None and v > 0 for v in values):
            fig.update_yaxes(type="log", row=row, col=1)
    fig.update_xaxes(title_text="step", row=rows, col=1)
    fig.update_layout(title=title, height=460 if terms else 300, margin=dict(l=10, r=10, t=60, b=10),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1))
    return fig


def likelihood_words(checkpoint: str) -> str:
    """`` Likelihood: gaussian (sd 0.1).``: the likelihood a run was trained with (``auto`` resolved from the data),
    for the line that says its checkpoint is ready; empty for a model that has none (a sparse autoencoder)."""
    ck = loaders.checkpoint(checkpoint)
    config = getattr(ck.model, "config", None)
    name = getattr(config, "likelihood", None)
    if not name or name == "auto" or ck.model_name == "topk-sae":
        return ""
    scale = {"gaussian": "sd", "laplace": "scale"}.get(name)
    return f" Likelihood: {name}" + (f" ({scale} {config.noise_std:g})." if scale else ".")


def open_checkpoint(checkpoint: str, dataset: str) -> None:
    """Make ``checkpoint`` (trained on ``dataset``) the sidebar's choice and show it on the Map."""
    loaders.clear_listings()
    st.session_state["ll_dataset"], st.session_state["ll_checkpoint"] = dataset, checkpoint
    st.switch_page(MAP_PAGE)


def _eta(seconds) -> str:
    if seconds is None:
        return ""
    return time.strftime("%H:%M:%S", time.gmtime(seconds)) if seconds < 86400 else f"{seconds / 3600:.0f} h"


def _job_picked() -> None:
    st.session_state[WATCH] = st.session_state[_JOB_BOX]


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
    if any(j.executor for j in all_jobs):  # jobs sent to a Ray cluster: the node each runs on, its Ray task
        table["node"] = [j.node or ("" if j.executor else "this machine") for j in all_jobs]
        table["ray task"] = [j.ray_task or "" for j in all_jobs]
    st.dataframe(table, hide_index=True, width="stretch", key="jobs-table",
                 column_config={"progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0)})
    ids = [j.id for j in all_jobs]
    watched = st.session_state.get(WATCH)
    # The box shows the followed job, so a run started on this page (or a job named by another) is the one shown.
    st.session_state[_JOB_BOX] = watched if watched in ids else ids[0]
    job_id = st.selectbox("Job", ids, key=_JOB_BOX, on_change=_job_picked,
                          format_func=lambda i: f"{i} · {next(j for j in all_jobs if j.id == i).name}")
    st.session_state[WATCH] = job_id
    job = jobs.get(job_id)
    st.progress(job.progress, text=f"{job.state} · step {job.step}/{job.total}" + (f" · ETA {_eta(job.eta_s)}" if job.eta_s else ""))
    if job.executor:
        where = [f"On {executor.describe(job.executor)}", f"node {job.node}" if job.node else "",
                 f"Ray task {job.ray_task}" if job.ray_task else "", f"try {job.attempts}" if job.attempts > 1 else "",
                 f"resumed from step {job.resumed_from}" if job.resumed_from else ""]
        st.caption(", ".join(w for w in where if w))
    if job.error:
        (st.warning if job.state == "cancelled" else st.error)(job_error(job.error))
    b1, b2, _ = st.columns([1, 1, 4])
    if job.state in jobs.ACTIVE and b1.button("Cancel", key=f"cancel-{job.id}"):
        jobs.cancel(job.id)
        st.rerun(scope="fragment")
    if job.kind == "train" and job.state in ("interrupted", "failed", "cancelled") and b2.button("Resume", key=f"resume-{job.id}"):
        jobs.resume(job.id)
        st.rerun(scope="fragment")
    if job.kind == "train":
        st.plotly_chart(loss_figure(jobs.history(job.id), f"Loss · job {job.id} · {job.name}"), width="stretch",
                        key=f"loss-{job.id}-{job.step}")
        if job.state == "succeeded":
            name, dataset = job.params["name"], job.params["dataset"]
            st.success(f"Checkpoint '{name}' is ready (trained on {dataset}).{likelihood_words(name)}")
            loaders.clear_listings()
            if st.button(f"Open {name} on the Map", key=f"open-{job.id}", type="primary",
                         help="Picks it in the sidebar, with the dataset it was trained on."):
                open_checkpoint(name, dataset)
            if job.sweep:  # compare with another finished run of the same sweep
                runs = [j.params["name"] for j in all_jobs if j.sweep == job.sweep and j.kind == "train"
                        and j.state == "succeeded"]
                compare_view.compare_link(job.params["dataset"], runs, job.params["name"], f"tr-compare-{job.id}",
                                          "Compare this sweep's run")
