"""Cached loaders for the pages.

Models, datasets and embeddings are held with ``st.cache_resource`` (shared,
never copied; treated as read-only); small derived results with
``st.cache_data``. The engine's disk cache sits underneath, so a fresh server
process still reads results instead of recomputing them.
"""

from __future__ import annotations

import json

import numpy as np
import streamlit as st

from latentlab import lab
from latentlab.core.workspace import home
from latentlab.lab import list_datasets, load_dataset
from latentlab.ui import warm


def workspace_key() -> str:
    """Every cache key carries the workspace, so two workspaces never share entries."""
    return str(home())


def checkpoint_version(name: str) -> float:
    """Changes when the checkpoint file changes (a retrained run keeps its name)."""
    try:
        return lab.resolve_checkpoint(name).stat().st_mtime
    except Exception:
        return 0.0


@st.cache_resource(max_entries=6, show_spinner="Loading dataset...")
def _dataset(name: str, ws: str):
    return load_dataset(name)


def dataset(name: str):
    return _dataset(name, workspace_key())


@st.cache_resource(max_entries=12, show_spinner=False)
def _checkpoint(name: str, version: float, ws: str):
    # lazy: one of LatentLab's own models is built on its first use, so a page that reads only the manifest and
    # the cached embedding (the first map) waits for no torch
    return lab.read_checkpoint(name, lazy=True)


def checkpoint(name: str):
    return _checkpoint(name, checkpoint_version(name), workspace_key())


@st.cache_resource(max_entries=12, show_spinner="Reading the embedding...")
def _embedding(ckpt_name: str | None, version: float, dataset_name: str, ws: str):
    warm.wait(embedding_only=True)  # the server's warm-up may be encoding the demo right now
    ck = None if ckpt_name is None else _checkpoint(ckpt_name, version, ws)
    return lab.embed(ck, _dataset(dataset_name, ws))


def embedding(ckpt_name: str | None, dataset_name: str):
    """The embedding (read from the disk cache, encoded here when small; see ``ui.jobs.embedding_or_wait``).
    With no checkpoint, a dataset of vectors is its own embedding."""
    version = 0.0 if ckpt_name is None else checkpoint_version(ckpt_name)
    return _embedding(ckpt_name, version, dataset_name, workspace_key())


@st.cache_data(max_entries=32, show_spinner=False)
def projection(emb_key: str, _emb, method: str, dims: int, params_json: str, seed: int = 0) -> np.ndarray:
    """Small projections made here; ``emb_key`` stands for ``_emb`` in the cache key."""
    warm.wait()
    return lab.project(_emb, method=method, dims=dims, seed=seed, **json.loads(params_json))


def _space_key(emb) -> str:
    """What stands for an embedding in a cache key: its key, and its rows when it is a subset (which shares
    its whole set's key)."""
    from latentlab.lab import array_digest

    return f"{emb.key}:{'all' if emb.index is None else array_digest(np.asarray(emb.index))}"


@st.cache_data(max_entries=16, show_spinner=False)
def _diagnostics(space_key: str, _emb, seed: int):
    return lab.diagnose(_emb, seed=seed)


def diagnostics(emb, seed: int = 0):
    """An embedding's latent diagnostics (``lab.diagnose``), made once per embedding: the Metrics
    and Compare pages rerun on every click, and at a million items these take about a second."""
    return _diagnostics(_space_key(emb), emb, seed)


@st.cache_data(max_entries=16, show_spinner=False)
def _codebook_usage(space_key: str, _codes: np.ndarray, codebook: np.ndarray) -> np.ndarray:
    from latentlab.lab import codebook_usage as usage

    return usage(_codes, codebook)


def codebook_usage(emb, codebook: np.ndarray) -> np.ndarray:
    """A quantized model's codebook usage over an embedding (``metrics.diagnostics.codebook_usage``), made once
    per embedding and codebook (0.85 s at 737k items and 10 × 10 values)."""
    return _codebook_usage(_space_key(emb), emb.mean, np.asarray(codebook))


@st.cache_data(ttl=5, show_spinner=False)
def _dataset_rows(ws: str) -> list[dict]:
    return list_datasets()


@st.cache_data(ttl=5, show_spinner=False)
def _checkpoint_rows(ws: str) -> list[dict]:
    return lab.list_checkpoints()


def dataset_rows() -> list[dict]:
    return _dataset_rows(workspace_key())


def checkpoint_rows() -> list[dict]:
    return _checkpoint_rows(workspace_key())


def clear_listings() -> None:
    _dataset_rows.clear()
    _checkpoint_rows.clear()


@st.cache_data(max_entries=6, show_spinner=False)
def _thumbnails(name: str, fingerprint: str, ws: str) -> list[str] | None:
    from latentlab.ui.figures import thumbnails_for

    return thumbnails_for(_dataset(name, ws))


def thumbnails(name: str) -> list[str] | None:
    """Hover pictures of a dataset's items, made once per dataset (they do not depend on the model)."""
    return _thumbnails(name, dataset(name).fingerprint, workspace_key())
