"""The Traverse page's latent sliders for a model that decodes pictures: a custom component
(``frontend/src/sliders.js``) whose moves fetch the decoded picture from the server's decode route
(``latentlab.ui.item_route``), never rerunning the page.

The page's script runs once to draw the sliders; a move then costs one decode and one PNG, and the browser
swaps one picture. Under a lab's shared server, eight people moving sliders at once wait for each other's
decodes only, not for eight pages being rerun and redrawn. Models whose output is not a picture (signals,
texts, tables) keep the Streamlit sliders of the page's fragment.
"""

from __future__ import annotations

import numpy as np

from latentlab.ui import components, item_route

COMPONENT = "latentlab.sliders"  # "<project>.<component>" as declared in latentlab/pyproject.toml
_mount = components.register(COMPONENT, "sliders.js")


def latent_rows(order, activity: np.ndarray, passive: set, base: np.ndarray, center: np.ndarray, scale: np.ndarray,
                span: float, codebook: np.ndarray | None) -> list[dict]:
    """One slider per latent in ``order``: its label (activity, passive marked) and its range (``span`` units of
    ``scale`` around ``center``, widened to hold the base's value) or, for a quantized model, its codebook."""
    rows = []
    for d in order:
        tag = " · passive" if d in passive else ""
        row = {"d": int(d), "label": f"z{d}  (activity {activity[d]:.2f}{tag})", "passive": d in passive}
        if codebook is not None:
            row["values"] = [float(v) for v in codebook[d]]
        else:
            lo, hi = float(center[d] - span * scale[d]), float(center[d] + span * scale[d])
            row.update(min=min(lo, float(base[d])), max=max(hi, float(base[d])), step=(hi - lo) / 100)
        rows.append(row)
    return rows


def picture_sliders(ck, latents: list[dict], base: np.ndarray, key: str, size: int = 192,
                    input_picture: tuple[str, str] | None = None) -> None:
    """The sliders and the picture decoded from them. ``key`` changes whenever the sliders should start again from
    ``base``; ``input_picture`` is (URL, caption) of the base item's picture, shown beside the decoded one."""
    data = {"key": key, "base": [float(v) for v in np.asarray(base).ravel()], "latents": latents,
            "url": item_route.decoded_url(ck), "caption": "decoded from the sliders", "size": int(size),
            "input": {"src": input_picture[0], "caption": input_picture[1]} if input_picture else None}
    _mount(key="trav-sliders", data=data, default={})
