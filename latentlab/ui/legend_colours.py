"""The colours the map's legend gives each label, for the charts beside the map (a selection's label mix), so a
class wears one colour everywhere on the page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from latentlab.ui.figures import PALETTE, category_order


@st.cache_data(max_entries=16, show_spinner=False)
def _label_names(fingerprint: str, _labels) -> list[str]:
    return category_order([str(v) for v in pd.unique(np.asarray(_labels).ravel()).tolist()])


def label_colours(ds, names) -> list[str]:
    """The map's colour for each label in ``names`` (as the legend draws them when the map is coloured by
    label), so a bar chart of a selection's labels matches the map."""
    order = {name: k for k, name in enumerate(_label_names(ds.fingerprint, ds.labels))}
    return [PALETTE[order.get(str(n), 0) % len(PALETTE)] for n in names]
