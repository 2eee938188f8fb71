"""Long work from the pages: run it inline when it is quick or cached, else as
a background job whose progress the page polls (``st.fragment(run_every=...)``)."""

from __future__ import annotations

import json

import streamlit as st

from latentlab import jobs, lab
from latentlab.ui import cache

INLINE_POINTS = {"umap": 6000, "tsne": 3000, "pca": 10**9}


def matching_job(kind: str, params: dict, states: tuple[str, ...] = jobs.ACTIVE + ("succeeded", "failed")):
    """The newest job of ``kind`` with exactly these parameters, if any."""
    for job in jobs.list_jobs(states, limit=50):
        if job.kind == kind and job.params == params:
            return job
    return None


def run_or_submit_projection(ctx, emb, method: str, dims: int, params: dict, seed: int):
    """The projection if it is ready (or quick to make here); else None while a job computes it."""
    n = len(emb.mean)
    if n <= INLINE_POINTS[method] or lab.projection_cached(emb, method, dims, seed, **params):
        with st.spinner(f"Projecting {n:,} points with {method.upper()}..."):
            return cache.projection(emb.key, emb, method, dims, json.dumps(params, sort_keys=True), seed)
    request = {"checkpoint": ctx.checkpoint_name, "dataset": ctx.dataset_name, "method": method, "dims": dims,
               "seed": seed, "params": params}
    job = matching_job("project", request)
    if job is None or job.state == "failed" and st.button("Try again"):
        job_id = jobs.submit("project", request, name=f"{method} {ctx.checkpoint_name}")
    else:
        job_id = job.id
        if job.state == "failed":
            st.error(job.error)
            return None
    st.info(f"{method.upper()} of {n:,} points runs as background job {job_id}; it keeps running if you leave this page.")
    _poll_until_done(job_id)
    return None


@st.fragment(run_every=2.0)
def _poll_until_done(job_id: int) -> None:
    job = jobs.get(job_id)
    if job.state == "succeeded":
        st.rerun()
    elif job.state in jobs.FINISHED:
        st.error(job.error or f"Job {job_id} ended as {job.state}.")
    else:
        st.progress(0.0 if job.state == "queued" else 0.5, text=f"job {job_id}: {job.state}")


SLOW_CLUSTERING_POINTS = {"agglomerative": 8000, "hdbscan": 20000, "gmm": 50000, "kmeans": 200000}


@st.cache_data(max_entries=32, show_spinner=False)
def _clustering(emb_key: str, _emb, _ds, method: str, on: str, seed: int, projection_json: str, params_json: str):
    return lab.cluster_embedding(_emb, _ds, method, on, seed, json.loads(projection_json), **json.loads(params_json))


def run_or_submit_clustering(ctx, emb, ds, method: str, on: str, seed: int, projection: dict | None, params: dict):
    """The clustering if it is quick (or cached); else None while a background job computes it."""
    n = len(emb.mean)
    args = (emb.key, emb, ds, method, on, seed, json.dumps(projection, sort_keys=True), json.dumps(params, sort_keys=True))
    request = {"checkpoint": ctx.checkpoint_name, "dataset": ctx.dataset_name, "method": method, "on": on,
               "seed": seed, "projection": projection, "params": params}
    job = matching_job("cluster", request)
    if n <= SLOW_CLUSTERING_POINTS[method] or (job is not None and job.state == "succeeded"):
        with st.spinner(f"Clustering {n:,} points with {method}..."):
            return _clustering(*args)
    if job is None:
        job = jobs.get(jobs.submit("cluster", request, name=f"{method} {ctx.checkpoint_name}"))
    if job.state == "failed":
        st.error(job.error)
        return None
    st.info(f"{method} on {n:,} points runs as background job {job.id}; it keeps running if you leave this page.")
    _poll_until_done(job.id)
    return None
