"""Long work from the pages: run it inline when it is quick or cached, else as
a background job whose progress the page polls (``st.fragment(run_every=...)``)."""

from __future__ import annotations

import json
import time

import numpy as np
import streamlit as st

from latentlab import jobs, lab
from latentlab.lab import CLUSTERERS
from latentlab.lab import PROJECTORS
from latentlab.jobs import executor
from latentlab.ui import loaders, warm
from latentlab.ui.param_labels import job_error

INLINE_EMBED_VALUES = 50_000_000  # items x values per item encoded while the page waits; more go to a job


def matching_job(kind: str, params: dict, states: tuple[str, ...] = jobs.ACTIVE + ("succeeded", "failed")):
    """The newest job of ``kind`` with exactly these parameters, if any."""
    for job in jobs.list_jobs(states, limit=50):
        if job.kind == kind and job.params == params:
            return job
    return None


def _job_for(kind: str, request: dict, name: str):
    """The job computing ``request``: an active or failed one with the same parameters, else a new one.
    A failed job shows its error and a button to try again; returns None then."""
    job = matching_job(kind, request, jobs.ACTIVE + ("failed",))
    if job is not None and job.state == "failed":
        st.error(job_error(job.error or f"Job {job.id} failed."))
        if not st.button("Try again", key=f"retry-{kind}-{job.id}"):
            return None
        job = None
    if job is None:
        # An encoding goes to the Ray cluster LATENTLAB_RAY_ADDRESS names, when one answers (sharded over its workers).
        spec = executor.configured_executor() if kind == "embed" else None
        job = jobs.get(jobs.submit(kind, request, name=name, executor=spec))
    return job


def _embedding_state(ctx) -> tuple[bool, dict | None]:
    """Whether the context's embedding is cached; and what an ``embed`` job would be asked, when it is neither
    cached nor quick to make while the page waits (None when the page can just read or make it)."""
    if ctx.checkpoint_name is None:
        return True, None  # a dataset of vectors is its own embedding
    ds = ctx.dataset()
    ready = lab.embedding_ready(ctx.checkpoint(), ds)
    if ready or len(ds) * int(np.prod(ds.item_shape)) <= INLINE_EMBED_VALUES:
        return ready, None
    return False, {"checkpoint": ctx.checkpoint_name, "dataset": ctx.dataset_name}


def _read_embedding(ctx, ready: bool):
    if ctx.checkpoint_name is None:
        return loaders.embedding(None, ctx.dataset_name)
    with st.spinner("Reading the embedding..." if ready else f"Encoding {len(ctx.dataset()):,} items..."):
        return loaders.embedding(ctx.checkpoint_name, ctx.dataset_name)


def embedding_or_wait(ctx):
    """The context's embedding; on a large dataset whose embedding is not cached yet, an ``embed`` job makes
    it while the page shows its progress (and this run stops)."""
    return embeddings_or_wait([ctx])[0]


def embeddings_or_wait(contexts: list) -> list:
    """The embeddings of several contexts (the Compare page's two sides). Those of large datasets that are not
    encoded yet are made by background jobs, all started with one button, while the page shows each job's
    progress (and this run stops)."""
    states = [(ctx, *_embedding_state(ctx)) for ctx in contexts]
    pending = [(ctx, request) for ctx, _, request in states if request is not None]
    if not pending:
        return [_read_embedding(ctx, ready) for ctx, ready, _ in states]
    unstarted = [ctx for ctx, request in pending if matching_job("embed", request, jobs.ACTIVE + ("failed",)) is None]
    if unstarted:
        # Minutes of work on a CPU: started by the user, not by picking a dataset or a checkpoint on the way.
        names = " and ".join(ctx.checkpoint_name for ctx in unstarted)
        n = len(unstarted[0].dataset())
        st.info(f"{names} {'have' if len(unstarted) > 1 else 'has'} not encoded the {n:,} items of "
                f"{unstarted[0].dataset_name} yet. That takes a while on a CPU (seconds on a GPU) and runs as a "
                f"background job{'s' if len(unstarted) > 1 else ''}; the page fills in when "
                f"{'they are' if len(unstarted) > 1 else 'it is'} done.")
        label = f"Encode {n:,} items" + (f" with both ({names})" if len(unstarted) > 1 else "")
        if not st.button(label, type="primary", key="embed-start"):
            st.stop()
    for ctx, request in pending:
        job = _job_for("embed", request, f"embed {ctx.dataset_name} with {ctx.checkpoint_name}")
        if job is not None:
            where = f" on {executor.describe(job.executor)}" if job.executor else ""
            st.info(f"Encoding {len(ctx.dataset()):,} items with {ctx.checkpoint_name} runs as background job "
                    f"{job.id}{where}; it keeps running if you leave this page, and the page fills in when it is done.")
            _poll_until_done(job.id)
    st.stop()


def run_or_submit_projection(ctx, emb, method: str, dims: int, params: dict, seed: int):
    """The projection when it is ready or quick to make here. While the server's warm-up or a background job
    makes it: a preview (the principal components, see ``lab.preview_projection``) that the page replaces
    when the projection is ready. None when a failed job waits for the user to try again."""
    n = len(emb.mean)
    if warm.making(lab.projection_key(emb, method, dims, seed, **params)):
        st.caption(f"Principal components of the {n:,} points while their {method.upper()} map is computed; "
                   "it replaces them in a moment.")
        _rerun_when_warmed()
        return lab.preview_projection(emb, dims)
    if n <= PROJECTORS.entry(method).inline_points or lab.projection_cached(emb, method, dims, seed, **params):
        with st.spinner(f"Projecting {n:,} points with {method.upper()}..."):
            return loaders.projection(emb.key, emb, method, dims, json.dumps(params, sort_keys=True), seed)
    request = {"checkpoint": ctx.checkpoint_name, "dataset": ctx.dataset_name, "method": method, "dims": dims,
               "seed": seed, "params": params}
    job = _job_for("project", request, f"{method} {ctx.checkpoint_name or ctx.dataset_name}")
    if job is None:
        return None
    st.info(f"{method.upper()} of {n:,} points runs as background job {job.id}; it keeps running if you leave this "
            "page. Until it is done the map shows the points' principal components.")
    _poll_until_done(job.id)
    return lab.preview_projection(emb, dims)


@st.fragment(run_every=0.5)
def _rerun_when_warmed() -> None:
    """Rerun the page when the warm-up's projection is ready. Its first call is part of the page's run; any
    later one comes after the browser has drawn that page, preview included."""
    if warm.done():
        st.rerun()
    calls = st.session_state.get("ll_warm_polls", 0) + 1
    st.session_state["ll_warm_polls"] = calls
    if calls > 1:
        warm.preview_shown()


def _progress(job) -> tuple[float, str]:
    return job.progress, f"job {job.id}: " + ("waiting to start" if job.state == "queued" else job.progress_text())


@st.fragment(run_every=1.0)
def _poll_until_done(job_id: int, status=_progress) -> None:
    """A progress bar with the job's stage, rate and ETA (``status(job)`` -> (fraction, line)), refreshed every
    second; the page reruns when the job ends."""
    job = jobs.get(job_id)
    if job.state == "succeeded":
        st.rerun()
    elif job.state in jobs.FINISHED:
        st.error(job_error(job.error or f"Job {job_id} ended as {job.state}."))
    else:
        fraction, text = status(job)
        st.progress(fraction, text=text)
        if st.button("Cancel", key=f"cancel-{job_id}"):
            jobs.cancel(job_id)


@st.cache_data(max_entries=32, show_spinner=False)
def _clustering(emb_key: str, _emb, _ds, method: str, on: str, seed: int, projection_json: str, params_json: str):
    return lab.cluster(_emb, _ds, method=method, on=on, seed=seed, projection=json.loads(projection_json),
                       **json.loads(params_json))


def run_or_submit_clustering(ctx, emb, ds, method: str, on: str, seed: int, projection: dict | None, params: dict):
    """The clustering if it is quick (or cached); else None while a background job computes it."""
    n = len(emb.mean)
    args = (emb.key, emb, ds, method, on, seed, json.dumps(projection, sort_keys=True), json.dumps(params, sort_keys=True))
    request = {"checkpoint": ctx.checkpoint_name, "dataset": ctx.dataset_name, "method": method, "on": on,
               "seed": seed, "projection": projection, "params": params}
    done = matching_job("cluster", request, ("succeeded",))
    limit = CLUSTERERS.entry(method).inline_points  # None: always quick (a model's own clusters are read, not fitted)
    inline = limit is None or n <= limit
    if inline or done is not None:
        with st.spinner(f"Clustering {n:,} points with {method}..."):
            return _clustering(*args)
    job = _job_for("cluster", request, f"{method} {ctx.checkpoint_name or ctx.dataset_name}")
    if job is not None:
        st.info(f"{method} on {n:,} points runs as background job {job.id}; it keeps running if you leave this page.")
        _poll_until_done(job.id)
    return None


def scores_or_wait(ctx, emb, names: list[str], n: int, seed: int) -> None:
    """Returns when the metrics ``names`` of the context's embedding are cached; else offers (or shows) the
    background job that computes them, and this run stops."""
    if lab.scores_cached(emb, names, n, seed):
        return
    request = {"checkpoint": ctx.checkpoint_name, "dataset": ctx.dataset_name, "names": names, "n": n, "seed": seed}
    job = matching_job("metrics", request, jobs.ACTIVE + ("failed",))
    if job is None or job.state == "failed":
        if job is not None:
            st.error(job_error(job.error))
        if st.button("Compute metrics (runs as a background job)", type="primary", key="m-run"):
            jobs.submit("metrics", request, name=f"metrics {ctx.checkpoint_name}")
            st.rerun()
        st.stop()
    items = min(n, len(ctx.dataset()))
    st.info(f"Computing {len(names)} metric{'s' if len(names) > 1 else ''} on {items:,} items as background job "
            f"{job.id}; it keeps running if you leave this page.")
    _poll_until_done(job.id, lambda job: metrics_status(job, time.time()))
    st.stop()


def metrics_status(job, now: float) -> tuple[float, str]:
    """A metrics job's bar (0..1) and line: what it does now, and an ETA from per-metric cost estimates
    (``latentlab.analysis.metrics.cost``) counted down between the job's reports."""
    from latentlab.lab import SCORING_STAGE as STAGE
    from latentlab.lab import eta_now
    from latentlab.jobs.store import format_seconds
    from latentlab.lab import metric_label

    head = f"job {job.id}: "
    if job.state == "queued":
        return 0.0, head + "waiting for a worker"
    if not job.stage:
        return 0.0, head + "starting (loading the model and the codes)"
    if job.stage == "encoding":
        return 0.0, head + f"encoding the sampled items, {job.step:,} of {job.total:,}"
    if not job.stage.startswith(f"{STAGE} "):
        return 1.0, head + "saving the scores"
    since = max(0.0, now - (job.stage_started or now))
    eta = eta_now(job.total - job.step, since)
    fraction = min(0.99, (job.step + since) / (job.step + since + eta))
    running = metric_label(job.stage[len(STAGE) + 1:])
    return fraction, head + f"computing {running} · about {format_seconds(eta)} left"
