"""Pieces of the Compare page: the pair's pickers, the two aligned maps with one shared selection, the
selection's inputs beside both models' reconstructions, the correlation heatmap, matched traversals and
the two models' metrics with their differences.

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

from latentlab.analysis import map_points
from latentlab import lab
from latentlab.analysis.codes_datasets import items_of
from latentlab.analysis.comparison import Comparison
from latentlab.core.errors import LatentLabError
from latentlab.analysis.comparison_sides import same_items, same_items_as_listed
from latentlab.core.render import image_grid
from latentlab.analysis.cached_scores import DEFAULT_ITEMS, score_embedding, scores_cached
from latentlab.ui import capabilities, loaders, figures, item_route, panels, scatter
from latentlab.ui.sidebar import Context, compatible_checkpoints

PAGE = "pages/compare.py"
PICK_A, PICK_B = "ll_compare_a", "ll_compare_b"
SELECTION = "ll_compare_selection"
MAP_KEYS = ("cmp-map-a", "cmp-map-b")
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
                       version(b), dataset, loaders._ws())


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
    for column, key, name, xy in zip(st.columns(2), MAP_KEYS, names, (xy_a, aligned_b)):
        with column:
            st.markdown(f"**{name}**")
            scatter.scatter_map(key, xy, colours, items=hover, height=460, selected=picked)
    return picked


def selection_panel(ds, sides: list[Context], rows: np.ndarray) -> None:
    """The selected items beside the reconstructions of the sides that have a model."""
    shown = np.asarray(rows)[:panels.MAX_GALLERY]
    st.subheader(f"Selection: {len(rows):,} points")
    recons = [(s.checkpoint_name, map_points.reconstruct(s.checkpoint().model, ds, shown)) for s in sides
              if s.checkpoint_name is not None and not capabilities.unavailable(s.checkpoint(), "reconstructions")]
    for side in sides:
        if side.checkpoint_name is None:
            without_model(side, "reconstructions are")
    source = items_of(ds)  # a codes dataset's rows are the items it was made from
    if source.is_image:
        images = [(f"inputs (first {len(shown)})", source.as_float(shown))]
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


def heatmap_columns(result: Comparison, limit: int = HEATMAP_COLUMNS) -> np.ndarray:
    """The B latents the heatmap shows: all of a narrow B; of a wide one, the best matches first, then the
    most correlated others, up to ``limit``."""
    Db = result.correlation.shape[1]
    if Db <= limit:
        return np.arange(Db)
    best = list(dict.fromkeys(int(j) for j in result.best_match))
    rest = [int(j) for j in np.argsort(-result.correlation.max(0)) if int(j) not in best]
    return np.sort(np.asarray((best + rest)[:max(limit, len(best))]))


def correlation_section(result: Comparison) -> None:
    a, b = result.names
    cols = heatmap_columns(result)
    left, right = st.columns([3, 2])
    with left:
        fig = figures.heatmap(result.correlation[:, cols], [f"{b}:z{j}" for j in cols],
                              [f"{a}:z{d}" for d in range(len(result.correlation))], "|Pearson r| of the latents",
                              "Reds")
        st.plotly_chart(fig, width="stretch", key="cmp-corr")
        if len(cols) < result.correlation.shape[1]:
            st.caption(f"{len(cols)} of {b}'s {result.correlation.shape[1]} latents: every best match, then the most "
                       "correlated others.")
    with right:
        st.dataframe(result.to_frame().rename(columns={"latent_a": f"latent of {a}", "best_match_b": f"best match in {b}",
                                                       "abs_r": "|r|"}), hide_index=True, width="stretch")


def matched_traversals(ds, sides: list[Context], result: Comparison) -> None:
    """A latent of A traversed beside its best match in B (``lab.traverse``), from each prior's centre; a
    side that is a dataset of vectors has no decoder to traverse with."""
    if all(s.checkpoint_name is None for s in sides):
        st.caption("Neither side has a model to decode a traversal with.")
        return
    best = result.best_match
    d = st.selectbox("Latent of A", list(range(len(best))), key="cmp-latent",
                     format_func=lambda i: f"z{i} → {result.names[1]} z{best[i]} (|r| {result.correlation[i, best[i]]:.2f})")
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


def difference_table(a: dict[str, float], b: dict[str, float], names: tuple[str, str]) -> pd.DataFrame:
    """One row per score either side has: A's, B's and B − A."""
    keys = list(dict.fromkeys([*a, *b]))
    va = np.array([a.get(k, np.nan) for k in keys], dtype=float)
    vb = np.array([b.get(k, np.nan) for k in keys], dtype=float)
    return pd.DataFrame({"score": keys, names[0]: va, names[1]: vb, "B − A": vb - va})


def _highlight(frame: pd.DataFrame):
    """Shade the differences that matter: over 5% of the larger magnitude of the two scores."""
    a, b = frame.columns[1], frame.columns[2]
    scale = np.maximum(frame[a].abs(), frame[b].abs()).replace(0, np.nan)
    big = (frame["B − A"].abs() / scale) > 0.05
    styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
    styles.loc[big & (frame["B − A"] > 0), "B − A"] = "background-color: #d8ecff"
    styles.loc[big & (frame["B − A"] < 0), "B − A"] = "background-color: #ffe0d8"
    return frame.style.apply(lambda _: styles, axis=None).format(precision=4)


def model_scores(name: str, dataset: str, ds, names: list[str] | None) -> tuple[dict[str, float], bool]:
    """A checkpoint's diagnostics and (when its scores are cached) disentanglement metrics, flat; and
    whether the metrics were there."""
    emb = loaders.embedding(name, dataset)
    out = {k: float(v) for k, v in loaders.diagnostics(emb).scores.items()}
    if not names:
        return out, True
    n = min(DEFAULT_ITEMS, len(ds))
    if not scores_cached(emb, names, n, 0):
        return out, False
    for metric, res in score_embedding(emb, ds, names, n, 0).items():
        out.update({f"{metric}.{k}": float(v) for k, v in res.scores.items() if "[" not in k})
    return out, True


def metrics_section(ctx: Context, sides: list[Context]) -> None:
    """Both models' diagnostics and metrics with their differences (one model's alone when the other side is
    a dataset of vectors); unscored ones run as background jobs."""
    from latentlab import jobs
    from latentlab.analysis.metrics import METRICS, factor_free_names

    ds = ctx.dataset()
    names = list(METRICS) if ds.factors is not None else factor_free_names()  # spread needs no factors
    for side in sides:
        if side.checkpoint_name is None:
            without_model(side, "diagnostics and metrics are")
    models = [s.checkpoint_name for s in sides if s.checkpoint_name is not None]
    scored = {name: model_scores(name, ctx.dataset_name, ds, names) for name in models}
    if len(models) == 2:
        a, b = models
        st.dataframe(_highlight(difference_table(scored[a][0], scored[b][0], (a, b))), hide_index=True,
                     width="stretch")
        st.caption("B − A is shaded where it exceeds 5% of the larger score (blue: B higher, red: B lower).")
    elif models:
        (name,) = models
        st.dataframe(pd.DataFrame({"score": list(scored[name][0]), name: list(scored[name][0].values())}),
                     hide_index=True, width="stretch")
    todo = [name for name, (_, done) in scored.items() if not done]
    if todo and st.button(f"Score the metrics of {', '.join(todo)} (background jobs)", key="cmp-score"):
        n = min(DEFAULT_ITEMS, len(ds))
        for name in todo:
            jobs.submit("metrics", {"checkpoint": name, "dataset": ctx.dataset_name, "names": names, "n": n, "seed": 0},
                        name=f"metrics {name}")
        st.rerun()


def pair_key(*parts) -> str:
    return json.dumps(parts, default=str)
