"""The map settings the Map page chose (projection method, dimensions, parameters, seed), shared with the pages
that draw or cluster the same map (Clusters, Compare): one session key, one default."""

from __future__ import annotations

import streamlit as st

SESSION_KEY = "ll_map"
DEFAULT = {"method": "umap", "dims": 2, "params": {}, "seed": 0}  # the Map page's first view


def map_settings() -> dict:
    """The settings of the Map page's last map, each missing one at its default (all of them before the Map page
    has run): ``{"method": str, "dims": int, "params": dict, "seed": int}``."""
    return {**DEFAULT, **st.session_state.get(SESSION_KEY, {})}


def remember_map_settings(method: str, dims: int, params: dict, seed: int) -> None:
    """Keep the Map page's settings for the other pages."""
    st.session_state[SESSION_KEY] = {"method": method, "dims": dims, "params": params, "seed": seed}


def projection_of_map() -> dict:
    """The map as a clustering's ``projection`` argument: method, dims and the method's parameters."""
    cfg = map_settings()
    return {"method": cfg["method"], "dims": cfg["dims"], **cfg["params"]}


SELECTION_KEY = "ll_map_selection"


def selection_map_key(checkpoint_name: str | None, dataset_name: str, method: str, params: dict, seed: int) -> str:
    """What a 2-D map's selection is kept with: the map it was made on (a new projection starts with none)."""
    import json

    return json.dumps([checkpoint_name, dataset_name, method, params, seed], default=str)


def share_selection(map_key: str, rows, projection: str | None = None) -> None:
    """Make ``rows`` the selection of the map ``map_key`` (``selection_map_key``; ``projection``: its projection's
    cache key, ``lab.projection_key``), as a lasso on the Map page would: the Map page and the Clusters page show it,
    and the Traverse page starts from it."""
    import numpy as np

    rows = np.unique(np.asarray(rows, dtype=np.int64))
    st.session_state[SELECTION_KEY] = {"map": map_key, "rows": rows, "projection": projection}
    st.session_state["ll_selection"] = rows


def kept_selection(map_key: str, projection: str | None = None):
    """The rows selected on this map: by its settings, or by its projection's cache key (a selection shared by a page
    that drew the map with the parameters left at their defaults); none when the selection was made on another map."""
    import numpy as np

    kept = st.session_state.get(SELECTION_KEY) or {}
    same = kept.get("map") == map_key or (projection is not None and kept.get("projection") == projection)
    return kept["rows"] if same else np.zeros(0, np.int64)
