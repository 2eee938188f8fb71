"""Pieces of the Compare page: the pair's pickers, the two aligned maps with one shared selection, the
selection's inputs beside both models' reconstructions, the correlation heatmap and matched traversals (the
two models' metrics with their differences: ``compare_metrics``).

A side is a checkpoint that fits the sidebar's dataset or a dataset of vectors of the same items (imported
embeddings, a checkpoint's codes): a ``Context`` whose ``checkpoint_name`` is None. What needs a model
(reconstructions, traversals, metrics) is shown for the sides that have one.

Other pages open the Compare page on a pair with ``open_compare(dataset, a, b)``.
"""

from __future__ import annotations

import contextlib
import json

import numpy as np
import pandas as pd
import streamlit as st

from latentlab import lab
from latentlab.lab import items_of
from latentlab.lab import Comparison
from latentlab.core.errors import LatentLabError
from latentlab.lab import same_items, same_items_as_listed
from latentlab.core.render import image_grid
from latentlab.core.rows import row_sample
from latentlab.ui import capabilities, loaders, figures, item_route, panels, scatter
from latentlab.ui.sidebar import Context, compatible_checkpoints

PAGE = "pages/compare.py"
PICK_A, PICK_B = "ll_compare_a", "ll_compare_b"
SELECTION = "ll_compare_selection"
MAP_KEYS = ("cmp-map-a", "cmp-map-b")
SAMPLE_SEED = 0  # the selection's items shown are a fixed random sample of it
HEATMAP_COLUMNS = 48  # of a wide B (a sparse dictionary), the columns that are some latent's best match come first


def open_compare(dataset: str, a: str, b: str) -> None:
    """Switch to the Compare page with ``a`` (also the sidebar's checkpoint) against ``b`` on ``dataset``."""
    st.session_state.update({"ll_dataset": dataset, "ll_checkpoint": a, PICK_A: a, PICK_B: b})
    st.switch_page(PAGE)


def compare_link(dataset: str, names: list[str], first: str | None, key: str, label: str = "Compare") -> None:
    """Pick two of ``names`` (``first`` leading) and open the Compare page on them."""
    if len(names) < 2:
        return
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    a = c1.selectbox(label, names, index=names.index(first) if first in names else 0, key=f"{key}-a")
    b = c2.selectbox("with…", [n for n in names if n != a], key=f"{key}-b")
    if c3.button("Open in Compare", key=f"{key}-go"):
        open_compare(dataset, a, b)


def vectors_choice(dataset: str) -> str:
    """The pickers' choice (and its label) for a dataset of vectors."""
    return f"{dataset} · vectors"


def side_name(side: Context) -> str:
    return side.checkpoint_name or side.dataset_name


def _is_vectors(row: dict) -> bool:
    return row.get("kind") == "embedding" and len(row.get("item_shape") or ()) == 1


def side_choices(ctx: Context) -> dict[str, Context]:
    """What either side may be: the sidebar's dataset when it is vectors, the checkpoints that fit it, and the
    other datasets of vectors that hold the same items (``pairing.same_items``)."""
    rows = {r["name"]: r for r in loaders.dataset_rows()}
    ds = ctx.dataset()
    choices = {}
    if _is_vectors(rows[ctx.dataset_name]):
        choices[vectors_choice(ctx.dataset_name)] = Context(ctx.dataset_name, None, ctx.space, vectors=True)
    for r in compatible_checkpoints(rows[ctx.dataset_name]):
        choices[r["name"]] = Context(ctx.dataset_name, r["name"], ctx.space)
    for name, row in rows.items():
        if name == ctx.dataset_name or not _is_vectors(row):
            continue
        with contextlib.suppress(LatentLabError, OSError, ValueError):  # one that does not load is not offered
            same = same_items_as_listed(ds, row)  # from its manifest: the arrays of every one are not read
            if same or (same is None and same_items(ds, loaders.dataset(name))):
                choices[vectors_choice(name)] = Context(name, None, ctx.space, vectors=True)
    return choices


def pickers(ctx: Context, choices: dict[str, Context]) -> tuple[str, str | None]:
    """Side A (by default the sidebar's checkpoint, or its dataset when that is vectors) and B (another
    choice, a checkpoint trained on the dataset first), persisted."""
    names = list(choices)
    ck_rows = {r["name"]: r for r in loaders.checkpoint_rows()}
    sidebar = ctx.checkpoint_name or vectors_choice(ctx.dataset_name)
    if st.session_state.get("ll_compare_sidebar") != sidebar:  # the sidebar moved: A follows it
        st.session_state["ll_compare_sidebar"] = sidebar
        if st.session_state.get(PICK_A) != sidebar:
            st.session_state.pop(PICK_A, None)
    a_default = st.session_state.get(PICK_A, sidebar)

    def label(n: str) -> str:
        if choices[n].checkpoint_name is None:
            return n
        row = ck_rows.get(n, {})
        trained = row.get("dataset", ctx.dataset_name)
        return f"{n}  ·  {row.get('model', '?')}" + ("" if trained == ctx.dataset_name else f"  (trained on {trained})")

    left, right = st.columns(2)
    a = left.selectbox("Latent space A", names, index=names.index(a_default) if a_default in names else 0,
                       format_func=label)
    st.session_state[PICK_A] = a
    others = [n for n in names if n != a]
    if not others:
        return a, None
    b_default = st.session_state.get(PICK_B)
    if b_default not in others:
        b_default = next((n for n in others if ck_rows.get(n, {}).get("dataset") == ctx.dataset_name), others[0])
    b = right.selectbox("Latent space B", others, index=others.index(b_default), format_func=label)
    st.session_state[PICK_B] = b
    return a, b


def _reference(side: tuple[str, str | None]):
    """What ``lab.compare`` takes for a side: the loaded checkpoint, or the dataset of vectors."""
    dataset, checkpoint = side
    return loaders.dataset(dataset) if checkpoint is None else loaders.checkpoint(checkpoint)


@st.cache_data(max_entries=16, show_spinner="Comparing the two latent spaces…")
def _comparison(a: tuple, version_a: float, b: tuple, version_b: float, dataset: str, ws: str) -> Comparison:
    return lab.compare(_reference(a), _reference(b), loaders.dataset(dataset))


def comparison(a: Context, b: Context, dataset: str) -> Comparison:
    version = lambda side: 0.0 if side.checkpoint_name is None else loaders.checkpoint_version(side.checkpoint_name)
    return _comparison((a.dataset_name, a.checkpoint_name), version(a), (b.dataset_name, b.checkpoint_name),
                       version(b), dataset, loaders.workspace_key())


def without_model(side: Context, what: str) -> None:
    """Say plainly what a side that is a dataset of vectors does not show."""
    st.caption(f"{side.dataset_name} is a dataset of vectors with no model: {what} not shown for it.")


def scores_row(result: Comparison) -> None:
    c1, c2, c3 = st.columns(3)
    c1.metric("linear CKA", f"{result.cka:.3f}", help="Kornblith et al. 2019: 1 when one space is a rotation and "
              "scaling of the other, near 0 when they share no linear structure.")
    c2.metric("relative representations", f"{result.relative_similarity:.3f}",
              help=f"Moschella et al. 2023: each item's cosine similarities to {result.n_anchors} anchor items, "
                   "compared between the two models (mean cosine of matched rows; 1: the same relative geometry).")
    c3.metric(f"kNN agreement (k={result.k})", f"{result.knn_agreement:.3f}",
              help="Mean Jaccard overlap of each item's nearest neighbours in A and in B.")
    st.caption(f"On {result.n:,} items. The same scores: `latentlab compare {result.names[0]} {result.names[1]}`.")


def shared_selection(pair_key: str) -> np.ndarray:
    """The rows selected on either map (the newest selection wins), kept while the pair and maps stay."""
    for key in MAP_KEYS:
        sent = scatter.pending_selection(key)
        if sent is not None:
            st.session_state[SELECTION] = {"pair": pair_key, "rows": sent}
    kept = st.session_state.get(SELECTION) or {}
    return kept["rows"] if kept.get("pair") == pair_key else np.zeros(0, np.int64)


def linked_maps(ctx: Context, names: tuple[str, str], xy_a: np.ndarray, aligned_b: np.ndarray, colours,
                pair_key: str) -> np.ndarray:
    """The two maps side by side; a lasso on either selects the same items on both. Returns the selection."""
    ds = ctx.dataset()
    picked = shared_selection(pair_key)
    hover = {"base": item_route.base_url(ctx.dataset_name, ds), "image": item_route.has_picture(ds)}
    for column, key, name, xy, letter in zip(st.columns(2), MAP_KEYS, names, (xy_a, aligned_b), "AB"):
        with column:
            st.markdown(f"**{letter} · {name}**")
            scatter.scatter_map(key, xy, colours, items=hover, height=460, selected=picked)
    return picked


def selection_panel(ds, sides: list[Context], rows: np.ndarray) -> None:
    """The selected items beside the reconstructions of the sides that have a model."""
    shown = np.asarray(rows)[row_sample(len(rows), panels.MAX_GALLERY, SAMPLE_SEED)]
    st.subheader(f"Selection: {len(rows):,} points")
    recons = [(s.checkpoint_name, lab.reconstruct(s.checkpoint().model, ds, shown)) for s in sides
              if s.checkpoint_name is not None and not capabilities.unavailable(s.checkpoint(), "reconstructions")]
    for side in sides:
        if side.checkpoint_name is None:
            without_model(side, "reconstructions are")
    source = items_of(ds)  # a codes dataset's rows are the items it was made from
    if source.is_image:
        what = (f"all {len(shown)}" if len(shown) == len(rows)
                else f"a fixed random sample of {len(shown)} of {len(rows):,}, seed {SAMPLE_SEED}")
        images = [(f"inputs ({what})", source.as_float(shown))]
        if ds.is_image:
            images, recons = images + recons, []
        columns = min(len(shown), 6)
        for col, (caption, imgs) in zip(st.columns(3), images):
            with col:
                panels.gallery(imgs, columns, caption)
        if not recons:
            return
    names = ds.feature_names or [f"f{i}" for i in range(int(np.prod(ds.item_shape)))]
    parts = [pd.DataFrame(np.asarray(ds.x[shown]).reshape(len(shown), -1), columns=names).assign(row="input")]
    parts += [pd.DataFrame(r.reshape(len(shown), -1), columns=names).assign(row=name) for name, r in recons]
    for part in parts:
        part.insert(0, "item", [f"#{i}" for i in shown])
    frame = pd.concat(parts).sort_values("item", kind="stable")
    st.dataframe(frame.set_index(["item", "row"]), width="stretch")


def heatmap_columns(result: Comparison, limit: int = HEATMAP_COLUMNS, include_passive: bool = False) -> np.ndarray:
    """The B latents the heatmap shows, in order: all of a narrow B; of a wide one, the best matches first, then
    the most correlated others, up to ``limit`` (``Comparison.column_order``)."""
    return result.column_order(limit, include_passive)


def latent_label(result: Comparison, side: int, d: int) -> str:
    """``z5 · KL 1.06``, ``z0 · KL 0.000 · passive`` or ``z3 · var 0.21``."""
    value = float(result.activity(side)[d])
    text = f"z{d} · {result.measure(side)} {value:.3f}" if abs(value) < 0.1 else \
        f"z{d} · {result.measure(side)} {value:.2f}"
    return text + (" · passive" if result.passive(side)[d] else "")


def _tick(result: Comparison, side: int, d: int) -> str:
    return f"{'AB'[side]}:z{d}" + (" (passive)" if result.passive(side)[d] else "")


def match_table(result: Comparison, include_passive: bool = False):
    """Each latent of A (most active first, passive last and greyed) beside its best match in B, indexed by A's
    latent number."""
    a, b = result.names
    table = result.match_table(include_passive)
    frame = pd.DataFrame({
        f"latent of {a}": [latent_label(result, 0, d) for d in table.index],
        f"best match in {b}": [m + (" · passive" if p else "") for m, p in zip(table["best_match_b"], table["passive_b"])],
        "|r|": table["abs_r"].to_numpy(),
    }, index=table.index)
    grey = table["passive_a"].to_numpy()
    styles = pd.DataFrame([["color: #9a9aa2" if g else ""] * 3 for g in grey], index=frame.index, columns=frame.columns)
    return frame.style.apply(lambda _: styles, axis=None).format({"|r|": "{:.3f}"})


def correlation_section(result: Comparison) -> bool:
    """The heatmap of |r| (A's latents most active first) and the best-match table; returns whether passive
    latents are matched too (the checkbox under the table)."""
    a, b = result.names
    include = bool(st.session_state.get("cmp-passive", False))
    rows, cols = result.order(0), heatmap_columns(result, include_passive=include)
    left, right = st.columns([3, 2])
    with left:
        fig = figures.heatmap(result.correlation[np.ix_(rows, cols)], [_tick(result, 1, j) for j in cols],
                              [_tick(result, 0, d) for d in rows], "|Pearson r| of the latents", "Reds")
        fig.update_yaxes(autorange="reversed", title_text=f"A · {a}")
        fig.update_xaxes(title_text=f"B · {b}")
        st.plotly_chart(fig, width="stretch", key="cmp-corr")
        if len(cols) < result.correlation.shape[1]:
            st.caption(f"{len(cols)} of {b}'s {result.correlation.shape[1]} latents: every best match, then the most "
                       "correlated others.")
    with right:
        st.dataframe(match_table(result, include), hide_index=True, width="stretch")
        passive_a, passive_b = int(result.passive(0).sum()), int(result.passive(1).sum())
        notes = []
        if passive_a:
            notes.append(f"{a}'s {passive_a} passive latents (mean KL under {lab.PASSIVE_KL} nats: they carry no "
                         "information) are listed last, in grey.")
        if passive_b:
            notes.append(f"{b}'s {passive_b} passive latents are " + ("matched too." if include else
                                                                     "not offered as matches of active latents."))
        for side, name in enumerate(result.names):
            if result.measure(side) == "var":
                notes.append(f"{name} has no KL (no posterior): its activity is the variance of its codes.")
        for j, dims in result.shared_matches(include).items():
            notes.append(f"{b}'s z{j} is the best match of {len(dims)} latents of {a} ("
                         + ", ".join(f"z{d}" for d in dims) + ").")
        st.caption(" ".join(notes))
        if passive_a or passive_b:
            st.checkbox("Match passive latents too", key="cmp-passive")
    return include


def matched_traversals(ds, sides: list[Context], result: Comparison, include_passive: bool = False) -> None:
    """A latent of A (the most active one first) traversed beside its best match in B (``lab.traverse``), from
    each prior's centre; a side that is a dataset of vectors has no decoder to traverse with."""
    if all(s.checkpoint_name is None for s in sides):
        st.caption("Neither side has a model to decode a traversal with.")
        return
    best = result.matches(include_passive)
    d = st.selectbox("Latent of A", [int(d) for d in result.order(0)], key="cmp-latent",
                     format_func=lambda i: f"{latent_label(result, 0, i)} → B z{best[i]} "
                                           f"(|r| {result.correlation[i, best[i]]:.2f})")
    j = int(best[d])
    for col, side, dim in zip(st.columns(2), sides, (d, j)):
        with col:
            if side.checkpoint_name is None:
                without_model(side, f"a traversal of z{dim} is")
                continue
            ck = side.checkpoint()
            if capabilities.unavailable(ck, "traversals"):
                continue
            tr = lab.traverse(ck, ds, dims=[dim], steps=9)
            caption = f"{ck.name}: z{dim}, " + ("through its codebook" if ck.model.codebook_values() is not None
                                                 else "-3 … +3 prior units")
            if ds.is_image:
                st.image(image_grid(tr.items), caption=caption, output_format="PNG")
            else:
                st.caption(caption)
                st.dataframe(tr.to_table(ds.feature_names), hide_index=True, width="stretch")


def pair_key(*parts) -> str:
    return json.dumps(parts, default=str)
