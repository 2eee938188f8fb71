"""The Train page's parts: queue a training run or a sweep (on this machine or, when one is configured and answers,
a Ray cluster), and watch the jobs (progress, loss curves, where each runs, cancel, resume)."""

from __future__ import annotations

import importlib.util
import time

import pandas as pd
import streamlit as st

from latentlab import jobs
from latentlab.jobs import executor
from latentlab.ui import compare_view, figures, loaders


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
        st.success(f"Sweep {sweep}: jobs {', '.join(map(str, ids))} queued{on}.")
    else:
        job_id = jobs.submit_train(dataset, model, model_params, cfg, name=name or None, executor=spec)
        st.session_state["tr-watch"] = job_id
        st.success(f"Job {job_id} queued{on}; it keeps running if you close this tab.")


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
    if any(j.executor for j in all_jobs):  # jobs sent to a Ray cluster: the node each runs on, its Ray task
        table["node"] = [j.node or ("" if j.executor else "this machine") for j in all_jobs]
        table["ray task"] = [j.ray_task or "" for j in all_jobs]
    st.dataframe(table, hide_index=True, width="stretch", key="jobs-table",
                 column_config={"progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0)})
    ids = [j.id for j in all_jobs]
    watched = st.session_state.get("tr-watch", ids[0])
    job_id = st.selectbox("Job", ids, index=ids.index(watched) if watched in ids else 0, key="tr-job",
                          format_func=lambda i: f"{i} · {next(j for j in all_jobs if j.id == i).name}")
    st.session_state["tr-watch"] = job_id
    job = jobs.get(job_id)
    st.progress(job.progress, text=f"{job.state} · step {job.step}/{job.total}" + (f" · ETA {_eta(job.eta_s)}" if job.eta_s else ""))
    if job.executor:
        where = [f"On {executor.describe(job.executor)}", f"node {job.node}" if job.node else "",
                 f"Ray task {job.ray_task}" if job.ray_task else "", f"try {job.attempts}" if job.attempts > 1 else "",
                 f"resumed from step {job.resumed_from}" if job.resumed_from else ""]
        st.caption(", ".join(w for w in where if w))
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
