"""The dashboard's script (`streamlit run app.py` serves it; `streamlit run dashboard.py` works too).

The router: it sets the page up and runs the page the user picked; each page
draws the shared sidebar (latentlab.ui.sidebar) itself. The Map opens first,
on the digits data and the demo VAE. An empty, invisible map in the sidebar
makes the browser load the map's code while the server is still busy with the
first page (latentlab.ui.scatter.preload).
"""

import streamlit as st

from latentlab.ui import warm

warm.imported()  # a fresh server's warm-up imports the engine while the browser loads: not twice at once

from latentlab.ui import ASSETS, auth, scatter  # noqa: E402

# A local icon: a material-symbol page icon would be fetched from a font CDN.
st.set_page_config(page_title="LatentLab", page_icon=str(ASSETS / "icon.png"), layout="wide")
auth.gate()  # with [auth] in the secrets: sign in first, then the person's own workspace; else nothing

PAGES = [
    st.Page("pages/map.py", title="Map", icon=":material/scatter_plot:", default=True),
    st.Page("pages/traverse.py", title="Traverse", icon=":material/tune:"),
    st.Page("pages/clusters.py", title="Clusters", icon=":material/bubble_chart:"),
    st.Page("pages/features.py", title="Features", icon=":material/grain:"),
    st.Page("pages/metrics.py", title="Metrics", icon=":material/analytics:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/data.py", title="Data", icon=":material/dataset:"),
]

page = st.navigation(PAGES)
with st.sidebar:
    scatter.preload()
page.run()
