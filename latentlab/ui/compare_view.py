"""Pieces of the Compare page: the pair's pickers, the two aligned maps with one shared selection, the
selection's inputs beside both models' reconstructions, the correlation heatmap, matched traversals and
the two models' metrics with their differences.

Other pages open the Compare page on a pair with ``open_compare(dataset, a, b)``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import streamlit as st

from latentlab import explore, lab
from latentlab.comparison import Alignment, Comparison, procrustes
from latentlab.render import image_grid
from latentlab.scoring import diagnose_embedding, score_embedding, scores_cached
from latentlab.ui import cache, figures, items, panels, scatter
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


def pickers(ctx: Context) -> tuple[str, str | None]:
    """Checkpoint A (by default the sidebar's) and B (another one that fits the dataset), persisted."""
    rows = {r["name"]: r for r in cache.dataset_rows()}
    fits = compatible_checkpoints(rows[ctx.dataset_name])
    names = [r["name"] for r in fits]
    trained_on = {r["name"]: r["dataset"] for r in fits}
    model = {r["name"]: r["model"] for r in fits}
    if st.session_state.get("ll_compare_sidebar") != ctx.checkpoint_name:  # the sidebar moved: A follows it
        st.session_state["ll_compare_sidebar"] = ctx.checkpoint_name
        if st.session_state.get(PICK_A) != ctx.checkpoint_name:
            st.session_state.pop(PICK_A, None)
    a_default = st.session_state.get(PICK_A, ctx.checkpoint_name)
    left, right = st.columns(2)
    label = lambda n: f"{n}  ·  {model[n]}" + ("" if trained_on[n] == ctx.dataset_name else f"  (trained on {trained_on[n]})")
    a = left.selectbox("Checkpoint A", names, index=names.index(a_default) if a_default in names else 0,
                       format_func=label)
    st.session_state[PICK_A] = a
    others = [n for n in names if n != a]
    if not others:
        return a, None
    # B: the stored pick, else another checkpoint trained on this dataset, else any that fits
    b_default = st.session_state.get(PICK_B)
    if b_default not in others:
        b_default = next((n for n in others if trained_on[n] == ctx.dataset_name), others[0])
    b = right.selectbox("Checkpoint B", others, index=others.index(b_default), format_func=label)
    st.session_state[PICK_B] = b
    return a, b


@st.cache_data(max_entries=16, show_spinner="Comparing the two latent spaces…")
def _comparison(a: str, version_a: float, b: str, version_b: float, dataset: str, ws: str) -> Comparison:
    return lab.compare(cache.checkpoint(a), cache.checkpoint(b), cache.dataset(dataset))


def comparison(a: str, b: str, dataset: str) -> Comparison:
    return _comparison(a, cache.checkpoint_version(a), b, cache.checkpoint_version(b), dataset, cache._ws())


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


def aligned_maps(xy_a: np.ndarray, xy_b: np.ndarray) -> Alignment:
    """B's map rotated, reflected, scaled and moved onto A's (Procrustes), so shared structure lines up."""
    return procrustes(xy_a, xy_b)


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
    hover = {"base": items.base_url(ctx.dataset_name, ds), "image": ds.is_image}
    for column, key, name, xy in zip(st.columns(2), MAP_KEYS, names, (xy_a, aligned_b)):
        with column:
            st.markdown(f"**{name}**")
            scatter.scatter_map(key, xy, colours, items=hover, height=460, selected=picked)
    return picked


def selection_panel(ds, ck_a, ck_b, rows: np.ndarray) -> None:
    """The selected items beside A's and B's reconstructions of them."""
    shown = np.asarray(rows)[:panels.MAX_GALLERY]
    st.subheader(f"Selection: {len(rows):,} points")
    recon_a = explore.reconstruct(ck_a.model, ds, shown)
    recon_b = explore.reconstruct(ck_b.model, ds, shown)
    if ds.is_image:
        columns = min(len(shown), 6)
        for col, images, caption in zip(st.columns(3), (ds.as_float(shown), recon_a, recon_b),
                                        (f"inputs (first {len(shown)})", f"{ck_a.name}", f"{ck_b.name}")):
            with col:
                panels.gallery(images, columns, caption)
        return
    names = ds.feature_names or [f"f{i}" for i in range(int(np.prod(ds.item_shape)))]
    parts = [pd.DataFrame(np.asarray(ds.x[shown]).reshape(len(shown), -1), columns=names).assign(row="input"),
             pd.DataFrame(recon_a.reshape(len(shown), -1), columns=names).assign(row=ck_a.name),
             pd.DataFrame(recon_b.reshape(len(shown), -1), columns=names).assign(row=ck_b.name)]
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


def matched_traversals(ds, ck_a, ck_b, result: Comparison) -> None:
    """A latent of A traversed beside its best match in B (``lab.traverse``), from each prior's centre."""
    best = result.best_match
    d = st.selectbox("Latent of A", list(range(len(best))), key="cmp-latent",
                     format_func=lambda i: f"z{i} → {result.names[1]} z{best[i]} (|r| {result.correlation[i, best[i]]:.2f})")
    j = int(best[d])
    pairs = ((ck_a, d), (ck_b, j))
    for col, (ck, dim) in zip(st.columns(2), pairs):
        with col:
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
    emb = cache.embedding(name, dataset)
    out = {k: float(v) for k, v in diagnose_embedding(emb).scores.items()}
    if not names:
        return out, True
    from latentlab.scoring import DEFAULT_ITEMS

    n = min(DEFAULT_ITEMS, len(ds))
    if not scores_cached(emb, names, n, 0):
        return out, False
    for metric, res in score_embedding(emb, ds, names, n, 0).items():
        out.update({f"{metric}.{k}": float(v) for k, v in res.scores.items() if "[" not in k})
    return out, True


def metrics_section(ctx: Context, a: str, b: str) -> None:
    """Both models' diagnostics and metrics with their differences; unscored ones run as background jobs."""
    from latentlab import jobs
    from latentlab.metrics import METRICS
    from latentlab.scoring import DEFAULT_ITEMS

    ds = ctx.dataset()
    names = list(METRICS) if ds.factors is not None else None
    scores_a, done_a = model_scores(a, ctx.dataset_name, ds, names)
    scores_b, done_b = model_scores(b, ctx.dataset_name, ds, names)
    st.dataframe(_highlight(difference_table(scores_a, scores_b, (a, b))), hide_index=True, width="stretch")
    st.caption("B − A is shaded where it exceeds 5% of the larger score (blue: B higher, red: B lower).")
    todo = [name for name, done in ((a, done_a), (b, done_b)) if not done]
    if todo and st.button(f"Score the disentanglement metrics of {', '.join(todo)} (background jobs)", key="cmp-score"):
        n = min(DEFAULT_ITEMS, len(ds))
        for name in todo:
            jobs.submit("metrics", {"checkpoint": name, "dataset": ctx.dataset_name, "names": names, "n": n, "seed": 0},
                        name=f"metrics {name}")
        st.rerun()


def pair_key(*parts) -> str:
    return json.dumps(parts, default=str)
