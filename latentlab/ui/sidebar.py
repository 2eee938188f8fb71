"""The sidebar every page shares: dataset, a compatible checkpoint, and the
space to work in. Choices live in ``st.session_state`` under ``ll_*`` keys so
they survive page switches."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import streamlit as st

from latentlab.core.errors import LatentLabError
from latentlab.ui import loaders

DEFAULT_DATASET = "digits"
DEFAULT_CHECKPOINT = "digits-vae"
SPACES = ("latent means", "projection")
VECTORS = "(none: the vectors as they are)"  # the checkpoint choice for a dataset of precomputed embeddings


@dataclass
class Context:
    dataset_name: str
    checkpoint_name: str | None  # None: no model; the dataset's vectors are the latent space (see ``vectors``)
    space: str
    vectors: bool = False

    @property
    def ready(self) -> bool:
        return self.checkpoint_name is not None

    def dataset(self):
        return loaders.dataset(self.dataset_name)

    def checkpoint(self):
        """The loaded checkpoint, or None when the dataset's own vectors are the latent space."""
        return None if self.checkpoint_name is None else loaders.checkpoint(self.checkpoint_name)

    def embedding(self):
        """The embedding; on a large dataset not encoded yet, the page shows the encoding job and stops."""
        from latentlab.ui.jobs import embedding_or_wait

        return embedding_or_wait(self)


@contextlib.contextmanager
def user_errors():
    """Show a ``LatentLabError`` as ``st.error`` and stop this run of the page."""
    try:
        yield
    except LatentLabError as exc:
        st.error(str(exc))
        st.stop()


def _persisted_select(label: str, options: list[str], key: str, default: str | None, **kwargs) -> str | None:
    """A selectbox whose choice lives in ``st.session_state[key]``, so every page (and code) shares it.

    The widget has no key of its own: its default index comes from the stored
    choice, so a choice made on one page, or set by code, shows on the next.
    """
    if not options:
        return None
    current = st.session_state.get(key)
    if current not in options:
        current = default if default in options else options[0]
    choice = st.selectbox(label, options, index=options.index(current), **kwargs)
    st.session_state[key] = choice
    return choice


def compatible_checkpoints(dataset_row: dict) -> list[dict]:
    shape = dataset_row.get("item_shape")
    rows = loaders.checkpoint_rows()
    return [r for r in rows if shape is None or r.get("item_shape") == shape]


def render_sidebar() -> Context:
    with st.sidebar:
        st.markdown("### LatentLab")
        rows = {r["name"]: r for r in loaders.dataset_rows()}
        ds_name = _persisted_select("Dataset", list(rows), "ll_dataset", DEFAULT_DATASET,
                                    help="Built-in or imported data (Data page).")
        ckpts = compatible_checkpoints(rows[ds_name])
        names = [r["name"] for r in ckpts]
        if rows[ds_name].get("kind") == "embedding":
            names = [VECTORS, *names]
        trained_on = {r["name"]: r["dataset"] for r in ckpts}
        preferred = next((n for n in names if trained_on.get(n) == ds_name), names[0] if names else None)
        default = DEFAULT_CHECKPOINT if DEFAULT_CHECKPOINT in names and trained_on.get(DEFAULT_CHECKPOINT) == ds_name else preferred
        ck_name = _persisted_select(
            "Checkpoint", names, "ll_checkpoint", default,
            format_func=lambda n: n if n == VECTORS else f"{n}  ·  {next(r for r in ckpts if r['name'] == n)['model']}",
            help="Shipped, trained or uploaded checkpoints whose input shape fits this dataset.",
        )
        if ck_name is None:
            st.info("No checkpoint fits this dataset yet; train one on the Train page.")
        space = _persisted_select("Work in", list(SPACES), "ll_space", SPACES[0],
                                  help="Space for clustering and nearest neighbours.")
        if ck_name and ck_name != VECTORS and trained_on.get(ck_name) != ds_name:
            st.caption(f"Note: {ck_name} was trained on {trained_on.get(ck_name)}.")
    if ck_name == VECTORS:
        return Context(ds_name, None, space, vectors=True)
    return Context(ds_name, ck_name, space)


def start_page(title: str, needs_checkpoint: bool = True, vectors_ok: bool = False) -> Context:
    """Draw the shared sidebar and the page title; stop early if the page needs a checkpoint and has none.

    ``vectors_ok``: the page also works on a dataset of precomputed embeddings with no model.
    """
    ctx = render_sidebar()
    st.title(title)
    if ctx.vectors and needs_checkpoint and not vectors_ok:
        st.info("This page needs a model; the dataset's vectors are shown without one. Pick a checkpoint in the "
                "sidebar, or train one on these vectors (Train page).")
        st.stop()
    if needs_checkpoint and not ctx.ready and not (vectors_ok and ctx.vectors):
        st.info("Pick or train a checkpoint for this dataset (Train page) to see this page.")
        st.stop()
    return ctx
