"""The Data page's text import: the texts are read and checked while the page waits (a wrong column or a file
that is not UTF-8 is said at once), then embedded by a background job (``latentlab.jobs.submit_text_import``,
what ``latentlab import FILE --text COLUMN --background`` runs) whose progress the page shows with its rate
and ETA. The job outlives the page: leaving it or closing the tab does not stop the embedding."""

from __future__ import annotations

import shutil

import streamlit as st

from latentlab import jobs
from latentlab.ui import loaders, uploads

JOB_KEY = "ll_text_import_job"  # session key: the id of the text import this session started last


def start(upload_name: str, data: bytes, name: str, text: str, labels: str | None, encoder: str | None) -> int:
    """Stage the upload in the workspace and queue its import; the staged copy goes if the import is refused."""
    path = uploads.stage_upload(upload_name, data)
    try:
        job_id = jobs.submit_text_import(path, name, text, labels=labels, encoder=encoder, staged=True)
    except BaseException:
        shutil.rmtree(path.parent, ignore_errors=True)
        raise
    st.session_state[JOB_KEY] = job_id
    return job_id


def show_progress() -> None:
    """The last text import this session started: its progress while it runs, its outcome once."""
    job_id = st.session_state.get(JOB_KEY)
    if job_id is not None:
        _watch(int(job_id))


@st.fragment(run_every=1.0)
def _watch(job_id: int) -> None:
    job = jobs.get(job_id)
    if job.state == "succeeded":
        st.session_state.pop(JOB_KEY, None)
        name = job.params["name"]
        st.session_state["ll_dataset"] = name
        loaders.clear_listings()
        st.session_state["ll_text_import_done"] = (f"Imported '{name}': {loaders.dataset(name).description} "
                                                   "Train a model on it on the Train page.")
        st.rerun()  # the whole page: the dataset list and the sidebar show the new dataset
    elif job.state in jobs.FINISHED:
        st.session_state.pop(JOB_KEY, None)
        st.error(job.error or f"The import (job {job_id}) ended as {job.state}.")
    else:
        text = f"job {job_id}: " + ("waiting to start" if job.state == "queued" else job.progress_text())
        st.progress(job.progress, text=f"Embedding the texts for '{job.params['name']}' · {text}")
        if st.button("Cancel", key=f"text-import-cancel-{job_id}"):
            jobs.cancel(job_id)


def show_outcome() -> None:
    """The message of an import that ended since the last run (shown once)."""
    done = st.session_state.pop("ll_text_import_done", None)
    if done:
        st.success(done)
