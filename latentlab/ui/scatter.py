"""The Map page's 2-D map: a WebGL scatter (custom component, ``frontend/src/map.js``).

Positions go to the browser as uint16 steps of x and y in a binary Arrow table
(``latentlab.core.positions``: 1/32,768 of the map's width) and the colouring as
one uint8 (uint16 past 255 categories) code per point: 5 bytes a point. The browser reports which tables it holds (state ``have``), so a rerun
that changes only the colouring sends only the codes, and one that changes
nothing sends neither. Selections come back as packed indices (trigger
``selection``); hover pictures are fetched from the server's item route
(``latentlab.ui.item_route``), so nothing per point is made here.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st
from plotly.colors import sample_colorscale

from latentlab.core import positions
from latentlab.core.errors import LatentLabError
from latentlab.ui import components, warm
from latentlab.ui.figures import PALETTE, category_order

COMPONENT = "latentlab.map"  # "<project>.<component>" as declared in latentlab/pyproject.toml
CONTINUOUS_BINS = 255  # codes 0..254 span a continuous colouring; 255 marks a missing value
MISSING = "#bbbbbb"
MAX_LABELS = 40  # cluster names written on the map, the largest clusters first: more would cover it

_mount = components.register(COMPONENT, "map.js")


@dataclass(frozen=True)
class Colouring:
    """One code per point and what the codes mean."""

    codes: np.ndarray  # uint8 or uint16, one per point
    palette: list[str]  # a CSS colour per code
    legend: dict  # {"kind": "categorical", "title", "names"} or {"kind": "continuous", "title", "min", "max", "lo", "hi"}


def _hex(rgb: str) -> str:
    r, g, b = (int(float(v)) for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


_RAMP = [_hex(c) for c in sample_colorscale("Viridis", CONTINUOUS_BINS)] + [MISSING]


def colouring(values: np.ndarray, categorical: bool, title: str) -> Colouring:
    """Codes for a categorical (labels, clusters) or continuous (latents, errors) colouring, vectorised."""
    values = np.asarray(values)
    if categorical:
        # Hashing, not sorting: a million labels or cluster names take a tenth of the time np.unique does.
        inverse, uniques = pd.factorize(values.ravel(), use_na_sentinel=False)
        names = [str(u) for u in np.asarray(uniques).tolist()]
        order = [names.index(name) for name in category_order(names)]  # "2" before "10"
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        dtype = np.uint8 if len(names) <= 256 else np.uint16
        if len(names) > 65536:
            raise LatentLabError(f"Cannot colour by '{title}': it has {len(names):,} categories; pick a colouring with at most 65,536.")
        codes = rank[inverse].astype(dtype)
        palette = [PALETTE[k % len(PALETTE)] for k in range(len(names))]
        return Colouring(codes, palette, {"kind": "categorical", "title": title, "names": [names[k] for k in order]})
    v = values.astype(np.float64, copy=False)
    finite = np.isfinite(v)
    lo, hi = (float(v[finite].min()), float(v[finite].max())) if finite.any() else (0.0, 1.0)
    span = hi - lo if hi > lo else 1.0
    codes = np.full(len(v), CONTINUOUS_BINS, np.uint8)
    codes[finite] = np.minimum(((v[finite] - lo) / span * CONTINUOUS_BINS).astype(np.int64), CONTINUOUS_BINS - 1)
    legend = {"kind": "continuous", "title": title, "min": f"{lo:.3g}", "max": f"{hi:.3g}", "lo": lo, "hi": lo + span}
    return Colouring(codes, _RAMP, legend)


def normalise(xy: np.ndarray) -> np.ndarray:
    """(n, 2) positions as the map draws them: in [-1, 1] with one scale for both axes (the map keeps its shape),
    on the steps they travel in (``latentlab.core.positions``), float32."""
    return positions.dequantised(positions.quantised(xy))


def point_size(n: int) -> float:
    """Pixels per point: large for a few thousand points, small enough for a million to show structure."""
    return 6.0 if n < 3_000 else 4.0 if n < 100_000 else 3.0 if n < 300_000 else 2.0


def content_key(*arrays: np.ndarray) -> str:
    h = hashlib.blake2b(digest_size=12)
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(memoryview(a).cast("B"))
    return h.hexdigest()


def decode_selection(payload) -> np.ndarray | None:
    """The sorted rows in a ``selection`` trigger from the browser (None when there is none)."""
    if not isinstance(payload, dict) or "n" not in payload:
        return None
    n, total = int(payload["n"]), int(payload.get("total", 0))
    if n == 0:
        return np.zeros(0, np.int64)
    raw = base64.b64decode(payload.get("b64", ""))
    if payload.get("enc") == "bits":
        rows = np.flatnonzero(np.unpackbits(np.frombuffer(raw, np.uint8), bitorder="little")[:total])
    else:
        rows = np.frombuffer(raw, "<u4").astype(np.int64)
    return np.unique(rows)


def encode_selection(rows: np.ndarray, total: int) -> dict:
    """Rows packed as the browser packs a ``selection`` (the inverse of ``decode_selection``), with a content
    key: little-endian uint32 indices, or a bitmask over ``total`` points when that is smaller."""
    rows = np.unique(np.asarray(rows, dtype=np.int64))
    if len(rows) and (rows[0] < 0 or rows[-1] >= total):
        raise LatentLabError(f"A selection names rows outside the map's {total:,} points.")
    if len(rows) * 4 <= (total + 7) // 8:
        raw, enc = rows.astype("<u4").tobytes(), "idx"
    else:
        bits = np.zeros(total, np.uint8)
        bits[rows] = 1
        raw, enc = np.packbits(bits, bitorder="little").tobytes(), "bits"
    return {"key": content_key(rows, np.asarray([total])), "n": int(len(rows)), "total": int(total), "enc": enc,
            "b64": base64.b64encode(raw).decode("ascii") if len(rows) else ""}


def keyword_labels(xy: np.ndarray, clusters: np.ndarray, keywords: dict[int, list[str]], words: int = 3,
                   top: int = MAX_LABELS) -> list[dict]:
    """The map's labels for a clustering: each of the ``top`` largest clusters' first ``words`` keywords, at the
    member nearest its centre (``latentlab.analysis.projection.labels.label_anchors``)."""
    from latentlab.lab import label_anchors

    return [{"i": row, "text": " · ".join(keywords[c][:words])}
            for c, row in label_anchors(xy, clusters, top).items() if keywords.get(c)]


def _placed(label: dict) -> dict:
    """A label's place away from its anchor (``latentlab.figures.labels``), in the map's [-1, 1] coordinates."""
    if "x" not in label:
        return {}
    return {"x": float(label["x"]), "y": float(label["y"]), "leader": bool(label.get("leader", False))}


def _value(key: str, name: str):
    """A state or trigger value the browser last sent this map (before it is drawn in this run)."""
    state = st.session_state.get(key)
    return state.get(name) if state is not None and hasattr(state, "get") else None


def pending_selection(key: str) -> np.ndarray | None:
    """A selection the browser sent for this run (read before the map is drawn), or None."""
    return decode_selection(_value(key, "selection"))


def preload() -> None:
    """An empty, invisible map: drawn by the page router on every run, it makes the browser load the map's
    code (and Streamlit's component and Arrow code) while the server is still busy with the first page."""
    _mount(key="ll-map-preload", data={"preload": True}, default={}, height=0)


def scatter_map(key: str, xy: np.ndarray, colours: Colouring, highlight: np.ndarray | None = None,
                items: dict | None = None, height: int = 620, selectable: bool = True,
                selected: np.ndarray | None = None, labels: list[dict] | None = None, focus: int | None = None) -> None:
    """Draw the map. ``items``: {"base": URL prefix, "image": bool} for hover details (None: index only).
    ``selectable=False``: a map to look at (pan, zoom, hover) whose page takes no selection. ``selected``:
    rows to show as the map's selection (one made on a linked map), applied whenever they change; None
    leaves the map's own selection alone. ``labels``: texts placed at points, ``[{"i": row, "text": str}]``
    (clusters' keywords at their centres, see ``keyword_labels``), drawn as text, never as HTML. ``focus``: a clicked
    point, ringed in black; while it is the map's whole selection it and ``highlight`` (its neighbours) stay bright."""
    pos = positions.quantised(xy)  # (2, n) uint16: 4 bytes a point
    points_key = content_key(pos)
    colour_key = content_key(colours.codes)
    have = _value(key, "have")
    have = have if isinstance(have, dict) else {}
    data = {
        "pointsKey": points_key,
        "colourKey": colour_key,
        "palette": colours.palette,
        "legend": colours.legend,
        "highlight": [] if highlight is None else [int(i) for i in np.asarray(highlight)[:64]],
        "focus": None if focus is None else int(focus),
        "items": items,
        "height": int(height),
        "pointSize": point_size(pos.shape[1]),
        "selectable": selectable,
        "labels": [{"i": int(d["i"]), "text": str(d["text"]), **_placed(d)} for d in labels or []],
    }
    if selected is not None:
        data["selected"] = encode_selection(selected, pos.shape[1])
    if have.get("points") != points_key:
        data["points"] = pa.table({"qx": pa.array(pos[0]), "qy": pa.array(pos[1])})
    else:  # this browser has drawn these points: the server's warm-up may take the CPU now
        warm.preview_shown()
    if have.get("colour") != colour_key:
        data["colour"] = pa.table({"c": pa.array(colours.codes)})
    _mount(key=key, data=data, default={"have": None}, on_have_change=lambda: None,
           on_selection_change=lambda: None, height="content")
