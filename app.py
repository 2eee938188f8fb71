"""LatentLab dashboard: `streamlit run app.py`.

The server for ``dashboard.py`` (the page router). While the first browser
loads the page, a background thread warms the process (torch and the engine
imported, the demo's embedding and map computed into the workspace cache; see
``latentlab.ui.warm``), so the first map appears without waiting for them. The
server also answers the map's hover requests for single items
(``latentlab.ui.item_route``). With ``[auth]`` in ``.streamlit/secrets.toml`` it serves a lab: sign-in,
a workspace per person, per-person limits (``latentlab.ui.auth.serve_shared``).
"""

from contextlib import asynccontextmanager

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from latentlab.ui import auth, item_route, warm

# dashboard.py's st.navigation lists the pages. Streamlit decides once per server whether the folder pages/ beside
# it is an old-style page directory, and until some session has run st.navigation it serves a first visit to a
# deep link (/train) from that folder directly: no wide layout, file names in the sidebar. Decided here instead.
PagesManager.uses_pages_directory = False


@asynccontextmanager
async def lifespan(app):
    print(f"LatentLab serves: {auth.serve_shared()}", flush=True)
    warm.start()
    yield


app = st.App("dashboard.py", lifespan=lifespan, routes=item_route.routes())
