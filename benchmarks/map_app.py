"""A one-map Streamlit page for benchmarks/map_bench.py: `streamlit run map_app.py -- N webgl|plotly`.

N clustered points (10 labels) are drawn by the dashboard's WebGL map or, for comparison, by the
plotly Scattergl figure the Map page drew before it. The page writes how many points Python holds
as selected, so a benchmark can time a lasso's round trip; the WebGL map can be coloured by label or
by x, to time a recolouring."""

import sys
from pathlib import Path

import numpy as np
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from latentlab.ui import figures, scatter  # noqa: E402

st.set_page_config(layout="wide")
n, kind = int(sys.argv[1]), sys.argv[2]


@st.cache_data
def points(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, n)
    xy = rng.normal(scale=4, size=(10, 2))[labels] + rng.normal(size=(n, 2))
    return xy.astype(np.float32), labels


xy, labels = points(n)
if kind == "webgl":
    sent = scatter.pending_selection("bench-map")
    if sent is not None:
        st.session_state["picked"] = len(sent)
    by = st.radio("Colour by", ["label", "x"], horizontal=True, key="colour")
    colours = scatter.colouring(labels, True, "label") if by == "label" else scatter.colouring(xy[:, 0], False, "x")
    scatter.scatter_map("bench-map", xy, colours)
else:
    state = st.session_state.get("bench-chart")
    if state:
        st.session_state["picked"] = len(figures.selected_ids(state))
    # The hover labels the Map page drew before (index and label; pictures only on small image sets).
    texts = [f"<b>#{i}</b><br>label: {label}" for i, label in enumerate(labels.tolist())]
    fig = figures.map_figure(xy, labels.astype(str), True, texts, "label", rows=np.arange(n))
    st.plotly_chart(fig, key="bench-chart", on_select="rerun", selection_mode=("lasso",), width="stretch")
st.markdown(f"picked: {st.session_state.get('picked', 0)}")
