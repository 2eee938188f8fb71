"""Features: how often each latent feature fires (dead ones counted), a feature's activation histogram and
top-activating items, features ranked by density or by how they split a label; the views of a sparse
autoencoder, for any model's codes."""

import numpy as np
import streamlit as st

from latentlab import lab
from latentlab.ui import capabilities, loaders, features_view, text_view
from latentlab.ui.sidebar import start_page, user_errors

ctx = start_page("Features", vectors_ok=True)

with user_errors():
    ds, ck, emb = ctx.dataset(), ctx.checkpoint(), ctx.embedding()
    codes = emb.mean
    stats = features_view.stats(emb.key, codes)
    shown_items = lab.items_of(ds)
    trained_dead = None if ck is None else lab.training_dead(ck.model)

    cols = st.columns(5)
    cols[0].metric("Features", f"{stats.n_features:,}")
    cols[1].metric("Dead on this data", f"{int(stats.dead.sum()):,}", help="Features that fire on none of the items.")
    cols[2].metric("Features per item", f"{stats.l0:.3g}", help="How many features fire on an item, on average (L0).")
    cols[3].metric("Items", f"{stats.n_items:,}")
    if trained_dead is not None:
        cols[4].metric("Dead in training", f"{int(trained_dead.sum()):,}",
                       help=f"Features that had not fired for {ck.model.config.dead_items:,} training items when training "
                            "stopped (the AuxK loss works on these).")
    if shown_items is not ds:
        st.caption(f"{ds.name} holds codes of {shown_items.name} ({ds.codes_of['checkpoint']}); examples show those items.")

    if stats.sparse:
        st.plotly_chart(features_view.density_histogram(stats), width="stretch", key="feat-density")
    else:
        sparse_here = [r["name"] for r in loaders.checkpoint_rows()
                       if r["model"] == "topk-sae" and r["dataset"] == ctx.dataset_name and r["name"] != ctx.checkpoint_name]
        st.info(f"These codes are dense ({stats.zero_share:.0%} zeros): every feature is active on almost every item, "
                "so a firing frequency says little. Here a feature fires where it is above its mean over the dataset; "
                "histograms show all its values. Train a sparse autoencoder (topk-sae) for features that fire rarely.")
        for name in sparse_here[:3]:
            if st.button(f"Show the sparse autoencoder {name}", key=f"feat-open-{name}"):
                st.session_state["ll_checkpoint"] = name
                st.rerun()

    st.subheader("Features")
    choices = features_view.label_choices(ds)
    r1, r2 = st.columns(2)
    rankings = [r for r, ranking in lab.FEATURE_RANKINGS.items() if choices or not ranking.needs_labels]
    by = r1.selectbox("Rank by", rankings, index=rankings.index("mi" if choices else "density"), key="feat-rank",
                      format_func=lambda r: lab.FEATURE_RANKINGS[r].title)
    split = None
    if choices:
        label = r2.selectbox("Label to split by", list(choices), key="feat-label",
                             help="The best class of a feature is the class most of the items it fires on belong to.")
        split = features_view.split(emb.key, label, codes, choices[label], stats)
    table = lab.rank_features(lab.feature_table(stats, split), by)
    features_view.ranked_table(table)

    order = table["feature"].tolist()
    picked = st.session_state.setdefault("ll_features", {})  # the feature looked at, per checkpoint and dataset
    remembered = picked.get((ctx.checkpoint_name, ctx.dataset_name))
    feature = st.selectbox("Feature", order, index=order.index(remembered) if remembered in order else 0,
                           key=f"feat-pick-{ctx.checkpoint_name}-{ctx.dataset_name}",
                           format_func=lambda d: f"z{d} · density {stats.density[d]:.3g}" + (
                               f" · {split.classes[split.best_class[d]]} ({split.precision[d]:.0%})"
                               if split is not None and not stats.dead[d] else ""))
    picked[(ctx.checkpoint_name, ctx.dataset_name)] = feature

    left, right = st.columns([2, 3])
    with left:
        counts, edges = lab.activation_histogram(codes, feature, stats)
        what = "where it fires" if stats.sparse else "over all items"
        st.plotly_chart(features_view.activation_histogram(counts, edges, f"z{feature}: activations {what}"),
                        width="stretch", key="feat-hist", config={"displayModeBar": False})
        if st.button(f"Colour the map by z{feature}", key="feat-to-map"):
            st.session_state["map-colour"] = f"z{feature}"
            st.switch_page("pages/map.py")
    with right:
        rows, values = lab.top_activating(codes, feature, stats)
        features_view.top_items(shown_items, rows, values, feature)
        decodable = (ck is not None and stats.sparse and not stats.dead[feature]
                     and not capabilities.missing(ck, "reconstructions"))
        if decodable and ds.is_image:
            alone = np.zeros((1, stats.n_features), np.float32)
            alone[0, feature] = stats.mean_active[feature]
            st.image(lab.single_image(lab.decode_latents(ck.model, alone)[0]), width=136, output_format="PNG",
                     caption=f"z{feature} alone ({stats.mean_active[feature]:.2g}), decoded")
        elif decodable and text_view.has_texts(shown_items):
            alone = np.zeros((1, stats.n_features), np.float32)
            alone[0, feature] = stats.mean_active[feature]
            text_view.show_nearest(ds, lab.decode_latents(ck.model, alone), [f"z{feature} alone"],
                                   f"z{feature} alone ({stats.mean_active[feature]:.2g}), decoded, reads like these "
                                   "texts", key="feat-alone-texts")

    if ck is not None and not stats.sparse:
        with st.expander("Train a sparse autoencoder on these codes"):
            st.caption(f"Saves the {stats.n_features} latent means that {ck.name} gives the {len(ds):,} items of "
                       f"{ds.name} as a dataset (with their labels and factors). Train topk-sae on it on the Train page, "
                       "and its Features page shows the original items.")
            name = st.text_input("Dataset name", value=lab.codes_dataset_name(ck.name, ds.name, ck.dataset_name), key="feat-codes-name")
            if st.button("Save the codes as a dataset", key="feat-codes-save"):
                saved = lab.save_codes_dataset(ck, ds, name=name)
                loaders.clear_listings()
                st.success(f"Saved '{saved.name}'. From the command line: latentlab train --dataset {saved.name} "
                           "--model topk-sae --k 4 --steps 3000")
