"""The Compare page's metrics: both models' diagnostics and (when scored) disentanglement metrics side by side,
with B − A shaded on a diverging scale by whether B is better (``comparison.better_direction``: lower
reconstruction error, higher MIG, ...), and a legend that says which colour means which."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from latentlab.lab import DEFAULT_ITEMS, score, scores_cached
from latentlab.lab import better_direction
from latentlab.ui import loaders
from latentlab.ui.compare_view import without_model
from latentlab.ui.sidebar import Context

STEPS = (0.05, 0.2, 0.5)  # relative differences (of the larger score) from which a cell is shaded lighter to darker
BETTER = ("#e3f4d3", "#b8e186", "#7fbc41")  # greens: B better (PiYG, readable with red-green colour blindness)
WORSE = ("#fce4f0", "#f1b6da", "#de77ae")  # pinks: B worse
NEUTRAL = "#ececf0"  # a difference in a score with no better direction (counts of units, KL, spread)


def difference_table(a: dict[str, float], b: dict[str, float], names: tuple[str, str]) -> pd.DataFrame:
    """One row per score either side has: A's, B's and B − A."""
    keys = list(dict.fromkeys([*a, *b]))
    va = np.array([a.get(k, np.nan) for k in keys], dtype=float)
    vb = np.array([b.get(k, np.nan) for k in keys], dtype=float)
    return pd.DataFrame({"score": keys, names[0]: va, names[1]: vb, "B − A": vb - va})


def shade(score: str, a: float, b: float) -> str:
    """The background of B − A for one score: green where B is better, pink where worse, darker the larger the
    difference (``STEPS`` of the larger magnitude), grey where the score has no better direction."""
    scale = max(abs(a), abs(b))
    if not (np.isfinite(a) and np.isfinite(b)) or scale == 0:
        return ""
    level = int(np.searchsorted(STEPS, abs(b - a) / scale, side="right")) - 1
    if level < 0:
        return ""
    direction = better_direction(score)
    if direction == 0:
        return f"background-color: {NEUTRAL}"
    return f"background-color: {(BETTER if (b - a) * direction > 0 else WORSE)[level]}"


def _highlight(frame: pd.DataFrame):
    a, b = frame.columns[1], frame.columns[2]
    styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
    styles["B − A"] = [shade(s, x, y) for s, x, y in zip(frame["score"], frame[a], frame[b])]
    return frame.style.apply(lambda _: styles, axis=None).format(precision=4, na_rep="—")


def legend() -> str:
    swatch = lambda colour, text: (f'<span style="background-color:{colour};padding:1px 6px;border-radius:3px">'
                                   f"{text}</span>")
    return (f"B − A: {swatch(BETTER[1], 'B better')} {swatch(WORSE[1], 'B worse')} "
            f"{swatch(NEUTRAL, 'differs, no better direction')}; darker for a larger difference (over 5%, 20%, 50% "
            "of the larger score). Lower is better for reconstruction error, total correlation and the correlation "
            "between latents; higher for the disentanglement metrics; counts of units, KL, spread and intrinsic "
            "dimension have no better direction.")


def model_scores(name: str, dataset: str, ds, names: list[str] | None) -> tuple[dict[str, float], bool]:
    """A checkpoint's diagnostics and (when its scores are cached) disentanglement metrics, flat; and
    whether the metrics were there."""
    emb = loaders.embedding(name, dataset)
    out = {k: float(v) for k, v in loaders.diagnostics(emb).scores.items()}
    if not names:
        return out, True
    n = min(DEFAULT_ITEMS, len(ds))
    if not scores_cached(emb, names, n, 0):
        return out, False
    for metric, res in score(emb, ds, names, n, 0).items():
        out.update({f"{metric}.{k}": float(v) for k, v in res.scores.items() if "[" not in k})
    return out, True


def metrics_section(ctx: Context, sides: list[Context]) -> None:
    """Both models' diagnostics and metrics with their differences (one model's alone when the other side is
    a dataset of vectors); unscored ones run as background jobs."""
    from latentlab import jobs
    from latentlab.lab import METRICS, factor_free_names

    ds = ctx.dataset()
    names = list(METRICS) if ds.factors is not None else factor_free_names()  # spread needs no factors
    for side in sides:
        if side.checkpoint_name is None:
            without_model(side, "diagnostics and metrics are")
    models = [s.checkpoint_name for s in sides if s.checkpoint_name is not None]
    scored = {name: model_scores(name, ctx.dataset_name, ds, names) for name in models}
    if len(models) == 2:
        a, b = models
        st.dataframe(_highlight(difference_table(scored[a][0], scored[b][0], (a, b))), hide_index=True,
                     width="stretch")
        st.caption(legend(), unsafe_allow_html=True)
    elif models:
        (name,) = models
        st.dataframe(pd.DataFrame({"score": list(scored[name][0]), name: list(scored[name][0].values())}),
                     hide_index=True, width="stretch")
    todo = [name for name, (_, done) in scored.items() if not done]
    if todo and st.button(f"Score the metrics of {', '.join(todo)} (background jobs)", key="cmp-score"):
        n = min(DEFAULT_ITEMS, len(ds))
        for name in todo:
            jobs.submit("metrics", {"checkpoint": name, "dataset": ctx.dataset_name, "names": names, "n": n, "seed": 0},
                        name=f"metrics {name}")
        st.rerun()
