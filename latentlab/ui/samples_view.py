"""The Traverse page's parts for a model's prior: the components of a mixture prior as base points, and
the Samples section (draw from the whole prior or one component, decode, show a grid or a table)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from latentlab import lab
from latentlab.core.render import png_bytes
from latentlab.lab import MAX_SAMPLES, sample_picture, sample_rows
from latentlab.lab import component_count
from latentlab.ui import capabilities

WHOLE_PRIOR = "the whole prior"
MAX_SIGNAL_SAMPLES = 32  # samples of signals are drawn as small multiples of curves


def component_labels(ck, emb) -> list[str]:
    """One label per component of the checkpoint's mixture prior, with how many items it holds (the
    embedding's most likely component for each item), or [] when the prior is not a mixture."""
    K = component_count(ck.model)
    counts = None if emb.assign is None or emb.assign.shape[1] != K else np.bincount(emb.assign.argmax(1), minlength=K)
    return [f"component {k}" + ("" if counts is None else f" ({counts[k]:,} items)") for k in range(K)]


def component_picker(container, ck, emb, key: str) -> int:
    """A select box of the components (with their item counts); returns the chosen one's index."""
    labels = component_labels(ck, emb)
    return int(container.selectbox("Component", range(len(labels)), format_func=lambda k: labels[k], key=key,
                                   help="Start from this component's mean: the code its Gaussian is centred on."))


def _bump_seed() -> None:
    st.session_state["smp-seed"] = int(st.session_state.get("smp-seed", 0)) + 1


def samples_section(ck, ds, emb) -> None:
    """Pick a component (or the whole prior), draw N codes from it with a seed, show them decoded."""
    st.subheader("Samples")
    if capabilities.unavailable(ck, "sampling"):
        return
    if ck.model.prior_frame() is None:
        st.info(f"A {ck.model_name} model has no prior to sample from: its codes are not drawn from a distribution. "
                "Traverse its codes above instead.")
        return
    labels = component_labels(ck, emb)
    c1, c2, c3, c4 = st.columns([3, 2, 2, 1])
    choice = c1.selectbox("Sample from", [WHOLE_PRIOR, *labels], key="smp-source",
                          help="The mixture prior as a whole, or one of its components." if labels else
                          "This model's prior is N(0, I).")
    component = None if choice == WHOLE_PRIOR else labels.index(choice)
    n = int(c2.number_input("Samples", 1, min(MAX_SAMPLES, 256), 16, key="smp-n"))
    seed = int(c3.number_input("Seed", 0, 2**31 - 1, key="smp-seed"))  # starts at 0; Re-sample moves it on
    c4.button("Re-sample", key="smp-again", on_click=_bump_seed, help="Draw again with the next seed.")
    items = lab.sample(ck, n=n, component=component, seed=seed)
    source = choice if component is None else f"component {component}"
    if ds.is_signal:
        from latentlab.ui.signal_view import show_samples

        show_samples(ds, items[:MAX_SIGNAL_SAMPLES], f"{min(n, MAX_SIGNAL_SAMPLES)} samples from {source}, seed {seed}",
                     "dl-samples")
    elif ds.is_image:
        picture = sample_picture(items)
        st.image(picture, caption=f"{n} samples from {source}, seed {seed}", output_format="PNG")
        st.download_button("Download samples (PNG)", png_bytes(picture), file_name="samples.png", mime="image/png",
                           key="dl-samples")
    elif getattr(ds, "texts", None) is not None:  # samples in a text embedding's space read like their nearest texts
        from latentlab.ui.text_view import show_nearest

        show_nearest(ds, items.reshape(n, -1), [f"sample {i}" for i in range(n)],
                     f"{n} samples from {source}, seed {seed}: the text nearest to each", k=1, key="smp-texts")
    else:
        table = sample_rows(items, ds.feature_names)
        st.caption(f"{n} samples from {source}, seed {seed}")
        st.dataframe(table, width="stretch")
        st.download_button("Download samples (CSV)", table.to_csv(index_label="sample").encode(), "samples.csv",
                           "text/csv", key="dl-samples")
