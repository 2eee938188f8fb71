"""The sidebar every page shares: dataset, checkpoint, and the space to work in.

The choices live in ``st.session_state`` under ``ll_dataset``, ``ll_checkpoint`` and ``ll_space``, so they
survive page switches and other pages (and tests) can set them. The two stay consistent: the Checkpoint box
lists every checkpoint with the dataset it was trained on, and picking one trained on another dataset
switches the Dataset to it; picking a dataset keeps the checkpoint when its input shape fits, else picks one
that does. A checkpoint is never applied to a dataset whose items do not fit its input shape.
"""

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
VECTORS_SPACE = "the vectors as they are"  # how "latent means" reads on a dataset's own vectors: there is no model
_DATASET_BOX, _CHECKPOINT_BOX = "ll-sidebar-dataset", "ll-sidebar-checkpoint"  # the boxes' own widget keys
_NOTE = "ll-sidebar-note"  # a checkpoint pick that was refused, said once
_SHOWN = "ll-sidebar-shown"  # the checkpoint the sidebar showed last: ll_checkpoint differs once code sets it


@dataclass
class Context:
    dataset_name: str
    checkpoint_name: str | None  # None: no model; the dataset's vectors are the latent space (see ``vectors``)
    space: str  # one of SPACES; "latent means" is the vectors themselves when ``vectors``
    vectors: bool = False

    @property
    def ready(self) -> bool:
        return self.checkpoint_name is not None

    @property
    def space_label(self) -> str:
        """The space in words: on a dataset's own vectors "latent means" are the vectors as they are."""
        return VECTORS_SPACE if self.vectors and self.space == SPACES[0] else self.space

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
def user_errors(labels: dict[str, str] | None = None):
    """Show a ``LatentLabError`` as ``st.error`` and stop this run of the page; ``labels`` (parameter -> the
    label of the control that sets it, see ``latentlab.ui.param_labels``) words the parameters it names."""
    try:
        yield
    except LatentLabError as exc:
        from latentlab.ui.param_labels import worded

        st.error(worded(exc, labels))
        st.stop()


# ---- which checkpoint goes with which dataset (plain functions of the listings' rows) ----

def fits(checkpoint_row: dict, dataset_row: dict) -> bool:
    """Whether the checkpoint's input shape takes the dataset's items."""
    shape = dataset_row.get("item_shape")
    return shape is None or list(checkpoint_row.get("item_shape") or []) == list(shape)


def compatible_checkpoints(dataset_row: dict) -> list[dict]:
    return [r for r in loaders.checkpoint_rows() if fits(r, dataset_row)]


def default_checkpoint(dataset_row: dict, checkpoints: dict[str, dict]) -> str | None:
    """What picking the dataset picks: the demo model on digits, else one trained on it, else its own vectors
    (a dataset of embeddings), else the first whose input shape fits; None when none fits."""
    name = dataset_row["name"]
    fitting = [n for n, r in checkpoints.items() if fits(r, dataset_row)]
    trained = [n for n in fitting if checkpoints[n].get("dataset") == name]
    if DEFAULT_CHECKPOINT in trained:
        return DEFAULT_CHECKPOINT
    if trained:
        return trained[0]
    if dataset_row.get("kind") == "embedding":
        return VECTORS
    return fitting[0] if fitting else None


def checkpoint_for(dataset_row: dict, current: str | None, checkpoints: dict[str, dict]) -> str | None:
    """The checkpoint after picking ``dataset_row``: ``current`` when it still applies, else the default."""
    if current == VECTORS:
        return current if dataset_row.get("kind") == "embedding" else default_checkpoint(dataset_row, checkpoints)
    if current in checkpoints and fits(checkpoints[current], dataset_row):
        return current
    return default_checkpoint(dataset_row, checkpoints)


def dataset_for(checkpoint: str, current: str, datasets: dict[str, dict], checkpoints: dict[str, dict]) -> str | None:
    """The dataset after picking ``checkpoint``: the one it was trained on when the workspace has it, else
    ``current`` when its items fit; None when neither (the pick cannot be applied)."""
    if checkpoint == VECTORS:
        return current
    trained = checkpoints[checkpoint].get("dataset")
    if trained in datasets:
        return trained
    return current if fits(checkpoints[checkpoint], datasets[current]) else None


def settle(datasets: dict[str, dict], checkpoints: dict[str, dict], dataset: str | None, checkpoint: str | None,
           checkpoint_set: bool = False) -> tuple[str, str | None]:
    """A consistent (dataset, checkpoint) from the stored choice, which pages and tests may set in any pair.

    ``checkpoint_set``: the checkpoint was set (by code) since the sidebar last showed it; one that does not fit
    the dataset then brings its own dataset when the workspace has it. Otherwise the dataset was the one set,
    and a checkpoint that does not fit it gives way to the dataset's default."""
    if dataset not in datasets:
        dataset = DEFAULT_DATASET if DEFAULT_DATASET in datasets else next(iter(datasets))
    if checkpoint_set and checkpoint in checkpoints and not fits(checkpoints[checkpoint], datasets[dataset]):
        trained = checkpoints[checkpoint].get("dataset")
        if trained in datasets and fits(checkpoints[checkpoint], datasets[trained]):
            return trained, checkpoint
    return dataset, checkpoint_for(datasets[dataset], checkpoint, checkpoints)


def refusal(checkpoint: str, datasets: dict[str, dict], checkpoints: dict[str, dict]) -> str:
    """Why ``checkpoint`` cannot be picked (``dataset_for`` found no dataset for it), in one sentence."""
    row = checkpoints[checkpoint]
    shape = " x ".join(map(str, row.get("item_shape") or [])) or "unknown shape"
    here = [n for n, d in datasets.items() if fits(row, d)]
    then = f"pick one of those first ({', '.join(here)})" if here else "import one on the Data page"
    return (f"{checkpoint} was trained on {row.get('dataset') or 'data'} not in this workspace and takes items of "
            f"{shape}, which the current dataset's items are not; {then}.")


def checkpoint_label(name: str, checkpoints: dict[str, dict]) -> str:
    """"NAME · MODEL · DATASET" (the dataset it was trained on), as the Checkpoint box lists them."""
    if name not in checkpoints:
        return name
    row = checkpoints[name]
    return " · ".join(str(v) for v in (name, row.get("model"), row.get("dataset")) if v)


def checkpoint_caption(row: dict, dataset: str) -> str:
    """The checkpoint in one line: its model, its latent size, what it was trained on and, when that is not
    ``dataset``, what it encodes here."""
    trained = row.get("dataset") or "other data"
    size = f", {row['latent_dim']} latent dimensions" if row.get("latent_dim") else ""
    here = "" if trained == dataset else f"; here it encodes {dataset}"
    return f"{row.get('model')}{size}, trained on {trained}{here}."


# ---- the widgets ----

def _listings() -> tuple[dict[str, dict], dict[str, dict]]:
    return {r["name"]: r for r in loaders.dataset_rows()}, {r["name"]: r for r in loaders.checkpoint_rows()}


def _dataset_picked() -> None:
    datasets, checkpoints = _listings()
    name = st.session_state.get(_DATASET_BOX)
    if name in datasets:
        st.session_state["ll_dataset"] = name
        st.session_state["ll_checkpoint"] = checkpoint_for(datasets[name], st.session_state.get("ll_checkpoint"),
                                                           checkpoints)


def _checkpoint_picked() -> None:
    datasets, checkpoints = _listings()
    name = st.session_state.get(_CHECKPOINT_BOX)
    if name != VECTORS and name not in checkpoints:
        return
    current, _ = settle(datasets, checkpoints, st.session_state.get("ll_dataset"), None)
    dataset = dataset_for(name, current, datasets, checkpoints)
    if dataset is None:
        st.session_state[_NOTE] = refusal(name, datasets, checkpoints)  # the box goes back to the stored choice
        return
    st.session_state["ll_dataset"], st.session_state["ll_checkpoint"] = dataset, name


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


def render_sidebar() -> Context:
    datasets, checkpoints = _listings()
    stored = st.session_state.get("ll_checkpoint")
    ds_name, ck_name = settle(datasets, checkpoints, st.session_state.get("ll_dataset"), stored,
                              checkpoint_set=stored != st.session_state.get(_SHOWN))
    st.session_state["ll_dataset"] = st.session_state[_DATASET_BOX] = ds_name
    st.session_state["ll_checkpoint"] = st.session_state[_CHECKPOINT_BOX] = st.session_state[_SHOWN] = ck_name
    vectors_here = datasets[ds_name].get("kind") == "embedding"
    with st.sidebar:
        st.markdown("### LatentLab")
        st.selectbox("Dataset", list(datasets), key=_DATASET_BOX, on_change=_dataset_picked,
                     help="Built-in or imported data (Data page). Picking one keeps the checkpoint when its items "
                          "fit, else picks one that fits.")
        st.selectbox("Checkpoint", ([VECTORS] if vectors_here else []) + list(checkpoints), key=_CHECKPOINT_BOX,
                     on_change=_checkpoint_picked, format_func=lambda n: checkpoint_label(n, checkpoints),
                     placeholder="No checkpoint fits this dataset",
                     help="Every checkpoint (shipped, trained, uploaded) · its model · the dataset it was trained "
                          "on. Picking one trained on another dataset switches the Dataset to it.")
        note = st.session_state.pop(_NOTE, None)
        if note:
            st.warning(note)
        if ck_name is None:
            st.info("No checkpoint fits this dataset yet; train one on the Train page.")
        elif ck_name != VECTORS:  # the box's label may be cut short in the sidebar: the whole of it here
            st.caption(checkpoint_caption(checkpoints[ck_name], ds_name))
        vectors = ck_name == VECTORS
        space = _persisted_select(
            "Work in", list(SPACES), "ll_space", SPACES[0],
            format_func=lambda s: VECTORS_SPACE if vectors and s == SPACES[0] else s,
            help=("Space for clustering and nearest neighbours: the dataset's vectors themselves (there is no model "
                  "to encode them), or the map's projection of them." if vectors else
                  "Space for clustering and nearest neighbours: the model's latent means, or the map's projection."))
    if vectors:
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
