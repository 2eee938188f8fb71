"""Pieces of the Metrics page: spread and intrinsic dimension, clickable heatmaps and the comparison table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from latentlab import jobs
from latentlab.lab import DEFAULT_ITEMS, read_scores, score
from latentlab.lab import embedding_key
from latentlab.lab import METRICS, factor_free_names
from latentlab.lab import HEADLINE, OTHER_LABELS, SCORES, SPREAD, metric_label, score_label
from latentlab.core.errors import LatentLabError
from latentlab.ui import capabilities, loaders
from latentlab.ui.figures import heatmap, selected_ids

def metrics_help(names: list[str]) -> str:
    """The Metrics box's help: what each metric it offers is."""
    return "\n".join(f"- **{metric_label(name)}**: {METRICS.entry(name).description}" for name in names)


def spread_section(emb, ds) -> None:
    """Spread and intrinsic dimension of the codes (no factors needed), on a seeded sample, cached on disk."""
    st.subheader("Spread and intrinsic dimension")
    n = min(DEFAULT_ITEMS, len(ds))
    results, refused = {}, []
    with st.spinner("Measuring spread and intrinsic dimension…"):
        try:
            results = score(emb, ds, factor_free_names(), n=n, seed=0)
        except LatentLabError:  # one measure that does not apply (a quantized code's few distinct items) spares the rest
            for name in factor_free_names():
                try:
                    results.update(score(emb, ds, [name], n=n, seed=0))
                except LatentLabError as e:
                    refused.append(str(e))
    for column, (name, key, label) in zip(st.columns(len(SPREAD)), SPREAD):
        value = f"{results[name].scores[key]:.3g}" if name in results else "n/a"
        column.metric(label, value, help=METRICS.entry(name).description)
    for reason in dict.fromkeys(refused):
        st.caption(reason)
    st.caption(f"On {n:,} items of {len(ds):,} ({emb.latent_dim} dimensions). IsoScore and the eigenvalue entropy are "
               "1 when every principal axis carries the same variance and 0 when one does (Marbut et al. 2023 "
               "recommend such measures); the average cosine and I(V) are shown for comparison, as they mislead about "
               "spread. TwoNN and the Levina-Bickel MLE estimate how many directions the codes vary in.")


def clickable_heatmap(matrix: np.ndarray, factor_names: list[str], title: str, key: str) -> int | None:
    """A latent x factor heatmap; clicking a cell returns its latent dimension."""
    D, K = matrix.shape
    ys = [f"z{d}" for d in range(D)]
    fig = heatmap(matrix, factor_names, ys, title)
    fig.update_traces(hoverinfo="skip", hovertemplate=None)  # the cell markers below take hover and clicks
    grid_d, grid_k = np.meshgrid(np.arange(D), np.arange(K), indexing="ij")
    fig.add_trace(go.Scatter(x=[factor_names[k] for k in grid_k.ravel()], y=[ys[d] for d in grid_d.ravel()],
                             mode="markers", marker=dict(size=26, opacity=0.01, symbol="square"),
                             customdata=grid_d.ravel(), showlegend=False,
                             text=[f"{matrix[d, k]:.3f}" for d, k in zip(grid_d.ravel(), grid_k.ravel())],
                             hovertemplate="%{y} × %{x}: %{text}<br>click for its traversal<extra></extra>"))
    fig.update_layout(clickmode="event+select", dragmode=False)
    event = st.plotly_chart(fig, key=key, on_select="rerun", selection_mode=("points",), width="stretch")
    picked = selected_ids(event)
    return picked[0] if picked else None


def score_table(results: dict) -> pd.DataFrame:
    """One row per metric: its headline score by name (MIG, DCI disentanglement, FactorVAE score...) and its other
    scores in one line. Per-factor scores (``mig[0]``...) stay in the heatmaps."""
    rows = []
    for name, r in results.items():
        scores = {k: v for k, v in r.scores.items() if "[" not in k}
        headline = HEADLINE.get(name, next(iter(scores), ""))
        others = " · ".join(f"{OTHER_LABELS.get(k, k.replace('_', ' '))} {_number(v)}"
                            for k, v in scores.items() if k != headline)
        rows.append({"Metric": score_label(name, headline), "Score": scores.get(headline), "Other scores": others})
    return pd.DataFrame(rows, columns=["Metric", "Score", "Other scores"])


def _number(value) -> str:
    """A score as the tables print it: three decimals, whole counts as integers, nothing when missing."""
    if value is None or value != value:
        return ""
    return f"{value:.0f}" if float(value).is_integer() and abs(value) >= 1 else f"{value:.3f}"


def show_score_table(results: dict) -> None:
    """The results table, tall enough for every row (no scroll bar inside the page)."""
    table = score_table(results)
    config = {"Score": st.column_config.NumberColumn(format="%.3f", help="The metric's headline score"),
              "Other scores": st.column_config.TextColumn(width="large")}
    st.dataframe(table, hide_index=True, width="stretch", height=table_height(len(table)), column_config=config)


def table_height(rows: int) -> int:
    """Pixels for a dataframe of ``rows`` rows and its header, with no inner scroll."""
    return 38 + 35 * max(rows, 1)


def _key_of(checkpoint_name: str, ds) -> str:
    """The cache key of a checkpoint's codes of ``ds``: what its scores are stored under, known without encoding."""
    return embedding_key(loaders.checkpoint(checkpoint_name).fingerprint, ds)


def comparison_table(ctx, names: list[str], n: int, seed: int) -> None:
    """Scores of every checkpoint trained on this dataset, side by side: the disentanglement metrics ``names`` and
    the spread and intrinsic dimension (which need no factors). Scores are read from the cache (nothing is encoded
    here); missing ones run as jobs, and their cells stay empty until then."""
    rows_ck = [r for r in loaders.checkpoint_rows() if r["dataset"] == ctx.dataset_name]
    if len(rows_ck) < 2:
        st.caption("Train more models on this dataset (a sweep, say) to compare them here.")
        return
    ds = ctx.dataset()
    names = list(dict.fromkeys([*names, *factor_free_names()]))
    columns = [(m, s) for m, s, _ in SCORES if m in names] + [(m, s) for m, s, _ in SPREAD]
    table, missing = [], []
    for r in rows_ck:
        row = {"Checkpoint": r["name"], "Model": r["model"], "β": r.get("beta"), "Latents": r["latent_dim"]}
        res = read_scores(_key_of(r["name"], ds), names, n, seed, partial=True)
        if len(res) < len(names):
            missing.append(r["name"])
        row.update({score_label(m, s): res[m].scores.get(s) if m in res else None for m, s in columns})
        table.append(row)
    # Scores as text, so an unscored checkpoint's cells are empty (a missing number would read "None").
    frame = pd.DataFrame(table)
    shown = frame.assign(**{c: frame[c].map(_number) for c in frame.columns[2:]})
    st.dataframe(shown, hide_index=True, width="stretch", height=table_height(len(frame)))
    from latentlab.ui.compare_view import compare_link

    compare_link(ctx.dataset_name, [r["name"] for r in rows_ck], ctx.checkpoint_name, "m-compare")
    if missing:
        active = {j.params.get("checkpoint") for j in jobs.list_jobs(jobs.ACTIVE) if j.kind == "metrics"}
        todo = [m for m in missing if m not in active]
        running = sorted(active & set(missing))
        st.caption(f"Empty cells: not scored yet ({', '.join(missing)})" + (f"; running: {', '.join(running)}" if running else "") + ".")
        if todo and st.button(f"Score {len(todo)} checkpoint(s) in the background", key="cmp-score"):
            for name in todo:
                jobs.submit("metrics", {"checkpoint": name, "dataset": ctx.dataset_name, "names": names, "n": n, "seed": seed},
                            name=f"metrics {name}")
            st.rerun()


def codebook_figure(codebook: np.ndarray, usage: np.ndarray) -> go.Figure:
    """Each latent's codebook on one row: a marker per value, its colour and size the share of items there."""
    D, V = codebook.shape
    d, v = np.meshgrid(np.arange(D), np.arange(V), indexing="ij")
    share = usage.ravel()
    fig = go.Figure(go.Scatter(
        x=codebook.ravel(), y=[f"z{i}" for i in d.ravel()], mode="markers",
        marker=dict(size=8 + 22 * np.sqrt(share / max(share.max(), 1e-12)), color=share, colorscale="Viridis",
                    showscale=True, colorbar=dict(title="share"), line=dict(width=1, color="#444")),
        customdata=np.stack([v.ravel(), share], 1),
        hovertemplate="%{y}, value %{customdata[0]}: %{x:.3f}<br>%{customdata[1]:.1%} of items<extra></extra>"))
    fig.update_layout(title="Codebooks: each latent's values and how many items take them", height=80 + 28 * D,
                      margin=dict(l=10, r=10, t=40, b=10), xaxis_title="code value",
                      yaxis=dict(autorange="reversed", type="category"))
    return fig


def codebook_table(codebook: np.ndarray, usage: np.ndarray) -> pd.DataFrame:
    """One row per latent: values used, the entropy of its usage (bits) and its codebook, rounded."""
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.nansum(np.where(usage > 0, usage * np.log2(usage), 0.0), axis=1)
    return pd.DataFrame({
        "latent": [f"z{d}" for d in range(len(codebook))],
        "values used": [f"{int((u > 0).sum())}/{len(u)}" for u in usage],
        "usage entropy (bits)": np.round(entropy, 2),
        "codebook": [", ".join(f"{x:+.2f}" for x in row) for row in codebook],
    })


@st.cache_data(max_entries=16, show_spinner="Intervening on every latent…")
def _interventions(checkpoint_name: str, fingerprint: str, dataset_name: str, n: int, span: float):
    from latentlab import lab

    return lab.intervene(loaders.checkpoint(checkpoint_name), loaders.dataset(dataset_name), n=n, span=span)


def interventions_section(ctx, ds, ck) -> None:
    """Latent interventions: each latent pushed to its extremes across many items (``lab.intervene``)."""
    from latentlab.core.render import image_grid

    st.subheader("Interventions")
    if capabilities.unavailable(ck, "interventions"):
        return
    st.caption("Each latent is set to its low and then its high extreme in many items' codes, every other latent "
               "kept; the maps show where the decoded output changes, and the matrix how far linear probes of "
               "each factor (or label), fitted on the model's reconstructions, move. Effects are shares of a factor's "
               "range (total variation for labels); blank cells are factors no linear probe reads from the outputs.")
    c1, c2, c3 = st.columns([1, 1, 2])
    n = int(c1.number_input("Items", 16, 2048, 256, step=64, key="iv-n"))
    span = float(c2.number_input("Extremes (± prior units)", 0.5, 10.0, 3.0, step=0.5, key="iv-span"))
    key = (ctx.checkpoint_name, ck.fingerprint, ctx.dataset_name, n, span)
    if st.session_state.get("iv-shown") != key:
        if not c3.button("Run interventions", key="iv-run"):
            return
        st.session_state["iv-shown"] = key
    result = _interventions(*key)
    left, right = st.columns(2)
    with left:
        if result.factor_effect is not None:
            scores = ", ".join(f"{name} {score:.2f}" for name, score in zip(result.factor_names, result.probe_score))
            st.plotly_chart(heatmap(np.nan_to_num(result.factor_effect, nan=0.0), result.factor_names, result.targets,
                                    "Probe change per latent (share of range)"), width="stretch", key="iv-factors")
            st.caption(f"Probe held-out scores (R² or chance-corrected accuracy): {scores}.")
        else:
            st.info("This dataset has no labels or factors for probes to read; the output maps still apply.")
    with right:
        effect = result.output_effect
        if ds.is_image:
            scaled = effect / max(float(effect.max()), 1e-12)  # one brightness scale for every latent
            st.image(image_grid(scaled[None]), caption="mean |output change| per pixel: " + ", ".join(result.targets),
                     output_format="PNG")
        else:
            names = ds.feature_names or [f"f{i}" for i in range(effect.reshape(len(effect), -1).shape[1])]
            st.plotly_chart(heatmap(effect.reshape(len(effect), -1), names, result.targets, "mean |output change|"),
                            width="stretch", key="iv-features")
    st.download_button("Download effects (CSV)", result.to_frame().to_csv(index=False).encode(), "interventions.csv",
                       "text/csv", key="iv-csv")
