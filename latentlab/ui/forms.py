"""Widgets built from model config fields and method parameters, so a new
registry entry appears in the UI without touching a page."""

from __future__ import annotations


import streamlit as st

from latentlab.core.params import Param


def config_form(config_cls, key: str, skip: tuple[str, ...] = ()) -> dict:
    """One input per user-settable field of a model config dataclass, labelled by its ``label`` metadata where it
    has one, else by its name in words."""
    values = {}
    for f in config_cls.user_fields():
        if f.name in skip:
            continue
        label = f.metadata.get("label", f.name.replace("_", " "))
        help_text = f.metadata.get("help")
        wkey = f"{key}-{f.name}"
        if "choices" in f.metadata:
            values[f.name] = st.selectbox(label, f.metadata["choices"], index=f.metadata["choices"].index(f.default), help=help_text, key=wkey)
        elif isinstance(f.default, bool):
            values[f.name] = st.checkbox(label, value=f.default, help=help_text, key=wkey)
        elif isinstance(f.default, int):
            values[f.name] = int(st.number_input(label, value=f.default, min_value=int(f.metadata.get("min", 0)),
                                                 max_value=int(f.metadata.get("max", 10**6)), step=1, help=help_text, key=wkey))
        elif isinstance(f.default, float):
            values[f.name] = float(st.number_input(label, value=f.default, min_value=float(f.metadata.get("min", 0.0)),
                                                   max_value=float(f.metadata.get("max", 1e6)), help=help_text, key=wkey))
        else:
            values[f.name] = st.text_input(label, value=str(f.default), help=help_text, key=wkey)
    return values


def params_form(params: tuple[Param, ...], key: str, defaults: dict | None = None) -> dict:
    """One input per ``Param`` of a projector or clusterer; ``defaults`` replaces some starting choices
    (e.g. ``{"metric": "cosine"}`` for vectors of unit norm)."""
    values = {}
    defaults = defaults or {}
    for p in params:
        wkey = f"{key}-{p.name}"
        label = p.name.replace("_", " ")
        if p.choices:
            start = defaults.get(p.name, p.default)
            start = start if start in p.choices else p.default
            values[p.name] = st.selectbox(label, p.choices, index=list(p.choices).index(start), help=p.help or None, key=wkey)
        elif isinstance(p.default, int) and p.low is not None:
            values[p.name] = int(st.number_input(label, min_value=int(p.low), max_value=int(p.high), value=int(p.default),
                                                 step=1, help=p.help or None, key=wkey))
        elif isinstance(p.default, float) and p.low is not None:
            values[p.name] = float(st.number_input(label, min_value=float(p.low), max_value=float(p.high),
                                                   value=float(p.default), help=p.help or None, key=wkey))
        else:
            values[p.name] = st.text_input(label, value=str(p.default), help=p.help or None, key=wkey)
    return values

