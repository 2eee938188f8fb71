"""Compare: two latent spaces of the same items (checkpoints or datasets of vectors) side by side, aligned,
with one selection."""

import streamlit as st

from latentlab import lab
from latentlab.ui import compare_metrics, compare_view, figure_downloads, scatter
from latentlab.ui.jobs import embeddings_or_wait, run_or_submit_projection
from latentlab.ui.map_settings import map_settings
from latentlab.ui.sidebar import start_page, user_errors

ctx = start_page("Compare", vectors_ok=True)

with user_errors():
    ds = ctx.dataset()
    choices = compare_view.side_choices(ctx)
    pick_a, pick_b = compare_view.pickers(ctx, choices)
    if pick_b is None:
        st.info(f"Only one latent space of {ctx.dataset_name}'s items is here; train another checkpoint on it (Train "
                "page) or import their embeddings (Data page) to compare the two.")
        st.stop()
    side_a, side_b = choices[pick_a], choices[pick_b]
    a, b = compare_view.side_name(side_a), compare_view.side_name(side_b)
    emb_a, emb_b = embeddings_or_wait([side_a, side_b])  # large sets not encoded yet: both jobs, one button

    result = compare_view.comparison(side_a, side_b, ctx.dataset_name)
    compare_view.scores_row(result)

    st.subheader("Maps")
    map_cfg = map_settings()
    c1, c2, c3 = st.columns([1, 1, 2])
    methods = list(lab.PROJECTORS)
    method = c1.selectbox("Projection", methods, index=methods.index(map_cfg["method"]), key="cmp-method")
    colour_by = c2.selectbox("Colour by", lab.colour_options(ds, emb_a), key="cmp-colour")
    seed = int(map_cfg["seed"])
    xy_a = run_or_submit_projection(side_a, emb_a, method, 2, {}, seed)
    xy_b = run_or_submit_projection(side_b, emb_b, method, 2, {}, seed) if xy_a is not None else None
    if xy_a is None or xy_b is None:
        st.stop()
    alignment = lab.procrustes(xy_a, xy_b)  # B's map rotated, reflected, scaled and moved onto A's
    c3.caption(f"{b}'s map is rotated{' and reflected' if alignment.reflected else ''}, scaled and moved onto {a}'s "
               f"(Procrustes; residual {alignment.residual:.2f}: 0 when the two maps have the same shape). A lasso on "
               "either map selects the same items on both.")
    values, categorical = lab.colour_values(ds, emb_a, colour_by)
    colours = scatter.colouring(values, categorical, colour_by)
    pair = compare_view.pair_key(ctx.dataset_name, pick_a, pick_b, method, seed)
    picked = compare_view.linked_maps(ctx, (a, b), xy_a, alignment.aligned, colours, pair)
    figure_downloads.compare_download(xy_a, alignment.aligned, values, categorical, colour_by, (a, b), result)
    if len(picked):
        compare_view.selection_panel(ds, [side_a, side_b], picked)
    else:
        st.caption("Lasso or box-select points on either map to see the items with the models' reconstructions.")

    st.subheader("Latent correlations")
    with_passive = compare_view.correlation_section(result)

    st.subheader("Matched traversals")
    st.caption(f"A latent of {a} (the most active first) beside the latent of {b} it correlates with most, each "
               "traversed from its own centre.")
    compare_view.matched_traversals(ds, [side_a, side_b], result, with_passive)

    st.subheader("Metrics")
    compare_metrics.metrics_section(ctx, [side_a, side_b])
