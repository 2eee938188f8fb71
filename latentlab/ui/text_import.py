"""The Data page's text import: the texts are read and checked while the page waits (a wrong column or a file
that is not UTF-8 is said at once), then embedded by a background job (``latentlab.jobs.submit_text_import``,
what ``latentlab import FILE --text COLUMN --background`` runs) whose progress the page shows with its rate
and ETA. The job outlives the page: leaving it or closing the tab does not stop the embedding.

Once an import is done (this one, or any other of the page's) its outcome stays on the page with what to do next:
a dataset of vectors (texts, precomputed embeddings) can be mapped as it is, so it offers to open it on the Map;
other data needs a model first (Train page)."""

from __future__ import annotations

import shutil

import streamlit as st

from latentlab import jobs
from latentlab.ui import loaders, uploads
from latentlab.ui.sidebar import VECTORS
from latentlab.ui.param_labels import job_error

JOB_KEY = "ll_text_import_job"  # session key: the id of the text import this session started last
OUTCOME_KEY = "ll_import_outcome"  # session key: the last import's dataset and whether it is vectors
MAP_PAGE = "pages/map.py"


def start(upload_name: str, data: bytes, name: str, text: str, labels: str | None, encoder: str | None) -> int:
    """Stage the upload in the workspace and queue its import; the staged copy goes if the import is refused."""
    path = uploads.stage_upload(upload_name, data)
    try:
        job_id = jobs.submit_text_import(path, name, text, labels=labels, encoder=encoder, staged=True)
    except BaseException:
        shutil.rmtree(path.parent, ignore_errors=True)
        raise
    st.session_state[JOB_KEY] = job_id
    st.session_state.pop(OUTCOME_KEY, None)  # the previous import's outcome makes way for this one's progress
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
        record_outcome(job.params["name"], vectors=True)
        st.rerun()  # the whole page: the dataset list and the sidebar show the new dataset
    elif job.state in jobs.FINISHED:
        st.session_state.pop(JOB_KEY, None)
        st.error(job_error(job.error or f"The import (job {job_id}) ended as {job.state}."))
    else:
        text = f"job {job_id}: " + ("waiting to start" if job.state == "queued" else job.progress_text())
        st.progress(job.progress, text=f"Embedding the texts for '{job.params['name']}' · {text}")
        if st.button("Cancel", key=f"text-import-cancel-{job_id}"):
            jobs.cancel(job_id)


def record_outcome(name: str, vectors: bool) -> None:
    """Note a finished import of dataset ``name`` (``vectors``: a dataset of vectors, mappable with no model) and
    make it the sidebar's dataset."""
    loaders.clear_listings()
    st.session_state["ll_dataset"] = name
    st.session_state[OUTCOME_KEY] = {"name": name, "vectors": vectors}


def show_outcome() -> None:
    """The last import's outcome and what to do next: open a dataset of vectors on the Map, or train a model."""
    done = st.session_state.get(OUTCOME_KEY)
    if not done or done["name"] not in [r["name"] for r in loaders.dataset_rows()]:
        return
    name = done["name"]
    description = loaders.dataset(name).description
    if not done["vectors"]:
        st.success(f"Imported '{name}': {description} Train a model on it on the Train page.")
        return
    st.success(f"Imported '{name}': {description} Its vectors can be mapped right away, as they are; a model "
               "trained on them (Train page) is optional.")
    if st.button(f"Open {name} on the Map", key="data-open-map", type="primary",
                 help="Picks it in the sidebar with the vectors as they are."):
        st.session_state.pop(OUTCOME_KEY, None)
        st.session_state["ll_dataset"], st.session_state["ll_checkpoint"] = name, VECTORS
        st.switch_page(MAP_PAGE)
