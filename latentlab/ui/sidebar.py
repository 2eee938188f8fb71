"""The sidebar every page shares: dataset, a compatible checkpoint, and the
space to work in. Choices live in ``st.session_state`` under ``ll_*`` keys so
they survive page switches."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import streamlit as st

from latentlab.errors import LatentLabError
from latentlab.ui import cache

DEFAULT_DATASET = "digits"
DEFAULT_CHECKPOINT = "digits-vae"
SPACES = ("latent means", "projection")


@dataclass
class Context:
    dataset_name: str
    checkpoint_name: str | None
    space: str

    @property
    def ready(self) -> bool:
        return self.checkpoint_name is not None

    def dataset(self):
        return cache.dataset(self.dataset_name)

    def checkpoint(self):
        return cache.checkpoint(self.checkpoint_name)

    def embedding(self):
        return cache.embedding(self.checkpoint_name, self.dataset_name)


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
    rows = cache.checkpoint_rows()
    return [r for r in rows if shape is None or r.get("item_shape") == shape]


def render_sidebar() -> Context:
    with st.sidebar:
        st.markdown("### LatentLab")
        rows = {r["name"]: r for r in cache.dataset_rows()}
        ds_name = _persisted_select("Dataset", list(rows), "ll_dataset", DEFAULT_DATASET,
                                    help="Built-in or imported data (Data page).")
        ckpts = compatible_checkpoints(rows[ds_name])
        names = [r["name"] for r in ckpts]
        trained_on = {r["name"]: r["dataset"] for r in ckpts}
        preferred = next((n for n in names if trained_on[n] == ds_name), None)
        default = DEFAULT_CHECKPOINT if DEFAULT_CHECKPOINT in names and trained_on.get(DEFAULT_CHECKPOINT) == ds_name else preferred
        ck_name = _persisted_select(
            "Checkpoint", names, "ll_checkpoint", default,
            format_func=lambda n: f"{n}  ·  {next(r for r in ckpts if r['name'] == n)['model']}",
            help="Shipped, trained or uploaded checkpoints whose input shape fits this dataset.",
        )
        if ck_name is None:
            st.info("No checkpoint fits this dataset yet; train one on the Train page.")
        space = _persisted_select("Work in", list(SPACES), "ll_space", SPACES[0],
                                  help="Space for clustering and nearest neighbours.")
        if ck_name and trained_on.get(ck_name) != ds_name:
            st.caption(f"Note: {ck_name} was trained on {trained_on.get(ck_name)}.")
    return Context(ds_name, ck_name, space)


def start_page(title: str, needs_checkpoint: bool = True) -> Context:
    """Draw the shared sidebar and the page title; stop early if the page needs a checkpoint and has none."""
    ctx = render_sidebar()
    st.title(title)
    if needs_checkpoint and not ctx.ready:
        st.info("Pick or train a checkpoint for this dataset (Train page) to see this page.")
        st.stop()
    return ctx
