"""The formation view on the Train page: a run's probe set mapped at each training snapshot, aligned so that
consecutive steps stay comparable, with a step slider and a play control; beside the map, KL per latent and the
active units over the steps, and MIG/DCI where they were measured. Two runs (of a sweep) play side by side.

The maps come from ``lab.dynamics`` (cached on disk after the first look); the step slider and the play control
live in one fragment, so moving the slider or playing reruns only the maps and their curves' marker.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from latentlab import lab
from latentlab.lab import DynamicsResult as Dynamics, runs_with_snapshots

PLAY_SECONDS = 0.8  # between frames while playing
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]
STEP_KEY = "dyn-step"


@st.cache_data(show_spinner=False, max_entries=8)
def load_dynamics(run: str, stamp: float) -> Dynamics:
    """``lab.dynamics`` of ``run``; ``stamp`` (its snapshot index's time) makes a run that grew load again."""
    return lab.dynamics(run)


def _stamp(run: str) -> float:
    from latentlab.lab import resolve_checkpoint

    path = resolve_checkpoint(run)
    index = path.with_name(f"{path.stem}.snapshots") / "index.json"
    return index.stat().st_mtime if index.exists() else 0.0


def frame_at(dyn: Dynamics, step: int) -> int:
    """The index of ``dyn``'s last frame at or before ``step`` (its first when all are later)."""
    before = [i for i, s in enumerate(dyn.steps) if s <= step]
    return before[-1] if before else 0


def map_figure(dyn: Dynamics, step: int, colour_by: str) -> go.Figure:
    """The probe's map at the frame shown for ``step``, on axes fixed over every frame of the run."""
    i = frame_at(dyn, step)
    xy = dyn.maps[i]
    every = np.concatenate(dyn.maps)
    lo, hi = every.min(0), every.max(0)
    pad = 0.04 * (hi - lo + 1e-9)
    values = dyn.colours.get(colour_by)
    fig = go.Figure()
    if values is None:
        fig.add_trace(go.Scattergl(x=xy[:, 0], y=xy[:, 1], mode="markers", marker=dict(size=4, color=COLOURS[0]),
                                   name=dyn.run, showlegend=False))
    else:
        names = np.asarray(values).astype(str)
        for j, group in enumerate(sorted(set(names), key=_natural)):
            rows = names == group
            fig.add_trace(go.Scattergl(x=xy[rows, 0], y=xy[rows, 1], mode="markers", name=group,
                                       marker=dict(size=4, color=COLOURS[j % len(COLOURS)])))
    fig.update_xaxes(range=[lo[0] - pad[0], hi[0] + pad[0]], visible=False)
    fig.update_yaxes(range=[lo[1] - pad[1], hi[1] + pad[1]], visible=False)
    fig.update_layout(title=f"{dyn.run}: step {dyn.steps[i]:,}", height=430, margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(itemsizing="constant", font=dict(size=10)), uirevision=dyn.run)
    return fig


def _natural(text: str):
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)


def curves_figure(dyn: Dynamics, step: int) -> go.Figure:
    """KL per latent and the active units over the steps (and MIG/DCI where measured), the shown step marked."""
    from plotly.subplots import make_subplots

    metrics = [m for m in ("mig", "dci_disentanglement", "disentanglement") if m in dyn.metric_names()]
    rows = 3 if metrics else 2
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=("KL per latent (nats)", "active units", "MIG / DCI")[:rows])
    kl = dyn.series("kl_per_dim")
    for d in range(kl.shape[1]):
        fig.add_trace(go.Scatter(x=dyn.steps, y=kl[:, d], mode="lines", name=f"z{d}", showlegend=False,
                                 line=dict(width=1.5, color=COLOURS[d % len(COLOURS)])), row=1, col=1)
    fig.add_trace(go.Scatter(x=dyn.steps, y=dyn.series("active_units"), mode="lines+markers", showlegend=False,
                             name="active units", line=dict(color="#31333f")), row=2, col=1)
    for m in metrics:
        values = dyn.series(m)
        have = ~np.isnan(values)
        fig.add_trace(go.Scatter(x=np.asarray(dyn.steps)[have], y=values[have], mode="lines+markers", name=m),
                      row=3, col=1)
    fig.add_vline(x=dyn.steps[frame_at(dyn, step)], line=dict(color="#d62728", dash="dot"))
    fig.update_xaxes(title_text="step", row=rows, col=1)
    fig.update_layout(height=430, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def _advance(steps: list[int]) -> None:
    """While playing: the slider's next step, from the last back to the first."""
    now = st.session_state.get(STEP_KEY, steps[0])
    later = [s for s in steps if s > now]
    st.session_state[STEP_KEY] = later[0] if later else steps[0]


def formation_view() -> None:
    """The section of the Train page (see the module docstring)."""
    st.subheader("Formation of the latent space")
    runs = runs_with_snapshots()
    if not runs:
        st.caption("Runs record training snapshots as they train; a finished run's formation appears here.")
        return
    chosen = st.multiselect("Runs (one, or two side by side)", runs, max_selections=2, key="dyn-runs",
                            placeholder="Choose a run to watch its latent space form")
    if not chosen:
        return
    with st.spinner("Aligning the maps over the steps (once per run)…"):
        shown = [load_dynamics(run, _stamp(run)) for run in chosen]
    colourings = [c for c in shown[0].colours if all(c in d.colours for d in shown)]
    c1, c2 = st.columns([3, 1])
    colour_by = c1.selectbox("Colour by", colourings or ["(none)"], key="dyn-colour")
    playing = c2.toggle("Play", key="dyn-play")
    steps = sorted({s for d in shown for s in d.steps})
    formation_frames(shown, steps, colour_by, playing)


def formation_frames(shown: list[Dynamics], steps: list[int], colour_by: str, playing: bool) -> None:
    @st.fragment(run_every=PLAY_SECONDS if playing else None)
    def frames() -> None:
        if STEP_KEY in st.session_state and st.session_state[STEP_KEY] not in steps:
            del st.session_state[STEP_KEY]
        if playing:
            _advance(steps)
        step = st.select_slider("Step", steps, key=STEP_KEY) if len(steps) > 1 else steps[0]
        for column, dyn in zip(st.columns(len(shown)), shown):
            with column:
                if len(shown) == 1:
                    left, right = st.columns([3, 2])
                else:
                    left = right = st.container()
                left.plotly_chart(map_figure(dyn, step, colour_by), key=f"dyn-map-{dyn.run}")
                right.plotly_chart(curves_figure(dyn, step), key=f"dyn-curves-{dyn.run}")

    frames()
