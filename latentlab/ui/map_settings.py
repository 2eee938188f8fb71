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
