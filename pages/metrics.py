"""Metrics: disentanglement scores linked to traversals, and latent diagnostics."""

import numpy as np
import streamlit as st

from latentlab import lab
from latentlab.ui import capabilities, loaders, figures, figure_downloads, metrics_view
from latentlab.ui.jobs import scores_or_wait
from latentlab.ui.sidebar import start_page, user_errors

ctx = start_page("Metrics", vectors_ok=True)

with user_errors():
    ds, ck, emb = ctx.dataset(), ctx.checkpoint(), ctx.embedding()
    metrics_view.spread_section(emb, ds)
    if ck is None:
        st.info(f"'{ds.name}' is a dataset of vectors with no model behind it: the diagnostics, disentanglement "
                "metrics and interventions need a checkpoint.")
        st.stop()

    st.subheader("Latent diagnostics")
    diag = loaders.diagnostics(emb)
    for w in diag.warnings:
        st.warning(w)
    if diag.kl_per_dim is not None:
        st.plotly_chart(figures.kl_bar(diag.kl_per_dim, diag.passive), width="stretch", key="m-kl")
    s = diag.scores
    has_kl = diag.kl_per_dim is not None  # only a model with a posterior and a prior has a KL to show
    cols = iter(st.columns(5 if has_kl else 3))
    if has_kl:
        next(cols).metric("active units", f"{len(diag.active)}/{emb.latent_dim}")
        next(cols).metric("KL total (nats)", f"{s['kl_total']:.3g}")
    next(cols).metric("total correlation", f"{s['total_correlation_gaussian']:.3g}",
                      help="Gaussian estimate on sampled codes" if has_kl else "Gaussian estimate on the codes")
    no_recon = capabilities.missing(ck, "reconstruction error")
    next(cols).metric("recon error (mean)", "n/a" if no_recon else f"{s['recon_error_mean']:.3g}", help=no_recon)
    next(cols).metric("recon error (95th pct)", "n/a" if no_recon else f"{s['recon_error_p95']:.3g}", help=no_recon)
    if not has_kl:
        st.caption(f"{ck.model_name} encodes each item to one code, with no posterior or prior: KL per latent, "
                   "active units and mean-versus-sampled correlations do not apply.")
    codebook = ck.model.codebook_values()
    if codebook is not None:
        st.subheader("Codebooks")
        usage = loaders.codebook_usage(emb, codebook)
        st.caption(f"Each latent of this quantized model takes one of its own {codebook.shape[1]} learned values; "
                   "a value no item takes is a dead code.")
        st.plotly_chart(metrics_view.codebook_figure(codebook, usage), width="stretch", key="m-codebook")
        st.dataframe(metrics_view.codebook_table(codebook, usage), hide_index=True, width="stretch")
    if diag.sampled_correlation is not None:
        a, b = st.columns(2)
        names_z = [f"z{d}" for d in range(emb.latent_dim)]
        a.plotly_chart(figures.heatmap(np.abs(diag.mean_correlation), names_z, names_z, "|correlation| of means", "Reds"),
                       width="stretch", key="m-corr-mean")
        b.plotly_chart(figures.heatmap(np.abs(diag.sampled_correlation), names_z, names_z, "|correlation| of samples", "Reds"),
                       width="stretch", key="m-corr-sampled")

    if ds.factors is None:
        metrics_view.interventions_section(ctx, ds, ck)
        st.subheader("Disentanglement")
        st.info(f"'{ds.name}' has no ground-truth factors, so only the diagnostics and interventions above apply. "
                "The shapes datasets carry factors; imported NPZ files can too (a 'factors' array).")
        st.subheader("Compare checkpoints on this dataset")
        metrics_view.comparison_table(ctx, [], min(lab.DEFAULT_ITEMS, len(ds)), 0)
        st.stop()
    st.subheader("Disentanglement")
    c1, c2, c3 = st.columns([3, 1, 1])
    factor_metrics = [m for m in lab.METRICS if not lab.METRICS.entry(m).factor_free]
    names = c1.multiselect("Metrics", factor_metrics, default=factor_metrics, format_func=metrics_view.metric_label,
                           help=metrics_view.metrics_help(factor_metrics), key="m-names")
    n = int(c2.number_input("Items", 200, len(ds), min(lab.DEFAULT_ITEMS, len(ds)), step=1000, key="m-n"))
    seed = int(c3.number_input("Seed", value=0, step=1, key="m-seed"))
    if not names:
        st.stop()
    scores_or_wait(ctx, emb, names, n, seed)
    results = lab.score(emb, ds, names, n, seed)
    metrics_view.show_score_table(results)
    departures = [lab.METRICS.entry(name).deviation for name in names if lab.METRICS.entry(name).deviation]
    if departures:
        with st.expander("Where these estimators depart from disentanglement_lib"):
            st.markdown("\n".join(f"- {text}" for text in departures))

    factor_names = list(ds.factors.columns)
    picked = None
    h1, h2 = st.columns(2)
    with h1:
        if "mig" in results:
            picked = metrics_view.clickable_heatmap(results["mig"].matrices["mi_normalised"], factor_names,
                                                    "I(z; factor) / H(factor)", "m-mi") or picked
    with h2:
        if "dci" in results:
            picked = metrics_view.clickable_heatmap(results["dci"].matrices["importance"], factor_names,
                                                    "DCI importance", "m-dci") or picked
    if picked is not None:
        values = lab.grid_values(ck, emb, [picked], 9, 3.0)
        row = lab.traversal_grid(ck.model, lab.base_latent(ck, emb, None), [picked], values)
        tag = " (passive)" if picked in diag.passive else ""
        steps = "through its codebook" if codebook is not None else "-3 … +3"
        if ds.is_image:
            origin = ("the prior mean" if ck.model.prior_frame() is not None
                      else "the central item's code" if codebook is not None else "the codes' mean")
            st.image(lab.image_grid(row), caption=f"Traversal of z{picked}{tag} from {origin}, {steps}", output_format="PNG")
        top = results["mig"].matrices["mi_normalised"][picked] if "mig" in results else None
        if top is not None:
            st.caption("z{} carries: ".format(picked) + ", ".join(f"{f} {v:.2f}" for f, v in zip(factor_names, top)))
    else:
        st.caption("Click a cell of a heatmap to see that latent's traversal.")
    figure_downloads.metrics_download(results, factor_names, f"{ctx.checkpoint_name} on {ds.name}")
    metrics_view.interventions_section(ctx, ds, ck)

    st.subheader("Compare checkpoints on this dataset")
    metrics_view.comparison_table(ctx, names, n, seed)
    st.caption("Active units are judged with KL < " f"{lab.PASSIVE_KL} nats.")
