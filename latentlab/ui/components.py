"""The dashboard's custom components (v2), registered from their bundled scripts in ``ui/assets``."""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAPIException

from latentlab.ui import ASSETS


def register(name: str, script: str):
    """Component ``name`` ("<project>.<component>", as declared in latentlab/pyproject.toml) with its JavaScript
    ``script`` served as a file from the installed package (the browser caches it). Run from a source tree that was
    never installed, Streamlit cannot find the package's manifest; the script is then sent inline with the element
    (it works, but costs its size on every change)."""
    try:
        return st.components.v2.component(name, js=script)
    except StreamlitAPIException:
        return st.components.v2.component(name, js=(ASSETS / script).read_text(encoding="utf-8"))
