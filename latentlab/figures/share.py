"""A map as one self-contained HTML file: it opens from disk with no server and no network.

The page carries the dashboard's WebGL map (regl-scatterplot, bundled from ``frontend/src/share.js``) and the
data as compressed binary, never JSON per point: positions as two uint16 per point, each colouring as one uint8
code per point (uint16 past 256 categories), zlib-deflated and base64-encoded (the browser inflates them with
its own DecompressionStream). About 8 bytes a point for two colourings, before the texts of a text dataset
(each cut to ``TEXT_CHARS`` characters) and the thumbnails of an image set of at most ``THUMBNAIL_ITEMS`` items.
The cluster names are placed by ``latentlab.figures.labels``, the rule the paper figure and the live map use.
"""

from __future__ import annotations

import base64
import html
import json
import zlib
from pathlib import Path

import numpy as np

from latentlab.core import positions
from latentlab.figures.labels import MAX_LABELS, place_labels
from latentlab.figures.output import check_out, write_bytes
from latentlab.figures.style import MISSING_COLOUR, categorical_palette

ASSET = Path(__file__).resolve().parent / "assets" / "share.js"
THUMBNAIL_ITEMS = 20_000  # image sets up to this many items carry a thumbnail of each for the hover
THUMBNAIL_SIDE = 32  # pixels, at most
TEXT_CHARS = 300
LABEL_PX = (7.0, 16.0)  # a name's character width and line height in pixels, bold 12 px
VIEW_PX = 800  # the map's fitted extent in pixels, for sizing names before the page knows its size
_VIRIDIS = None


def _viridis() -> list[str]:
    global _VIRIDIS
    if _VIRIDIS is None:
        from plotly.colors import sample_colorscale

        def hex_of(rgb: str) -> str:
            r, g, b = (int(float(v)) for v in rgb[rgb.index("(") + 1: rgb.index(")")].split(",")[:3])
            return f"#{r:02x}{g:02x}{b:02x}"

        _VIRIDIS = [hex_of(c) for c in sample_colorscale("Viridis", 255)] + [MISSING_COLOUR]
    return _VIRIDIS


def _pack(array: np.ndarray) -> str:
    return base64.b64encode(zlib.compress(np.ascontiguousarray(array).tobytes(), 6)).decode("ascii")


def normalised(xy: np.ndarray) -> np.ndarray:
    """(N, 2) positions in [-1, 1], one scale for both axes (the map keeps its shape), filling the square."""
    return positions.unit_square(xy, margin=1.0)


def colouring(name: str, values: np.ndarray, categorical: bool, seg: str) -> tuple[dict, np.ndarray]:
    """A colouring's description for the page and its codes (one per point)."""
    from latentlab.figures.map_figure import category_codes

    if categorical:
        codes, names = category_codes(values)
        wide = len(names) > 256
        return ({"name": name, "kind": "categorical", "names": names, "palette": categorical_palette(len(names)),
                 "seg": seg, "bytes": 2 if wide else 1}, codes.astype("<u2" if wide else np.uint8))
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v)
    lo, hi = (float(v[finite].min()), float(v[finite].max())) if finite.any() else (0.0, 1.0)
    span = hi - lo or 1.0
    codes = np.full(len(v), 255, np.uint8)
    codes[finite] = np.minimum((v[finite] - lo) / span * 255, 254).astype(np.uint8)
    return {"name": name, "kind": "continuous", "lo": lo, "hi": lo + span, "palette": _viridis(), "seg": seg,
            "bytes": 1}, codes


def screen_labels(pos: np.ndarray, anchors: dict[int, int], texts: dict[int, str]) -> list[dict]:
    """Cluster names placed for a map fitted to about ``VIEW_PX`` pixels (their boxes sized from the text),
    as ``[{i, text, x, y, leader, cluster}]`` in the normalised coordinates the live map and the page use."""
    per_px = 2.0 / VIEW_PX

    def size_of(text: str) -> tuple[float, float]:
        return (len(text) * LABEL_PX[0] + 8) * per_px, LABEL_PX[1] * per_px

    placed = place_labels(pos, anchors, texts, size_of, frame=(-1.0, -1.0, 1.0, 1.0), top=MAX_LABELS)
    return [{"i": p.anchor, "text": p.text, "x": round(p.x, 5), "y": round(p.y, 5), "leader": p.leader,
             "cluster": p.cluster} for p in placed]


def _texts_segment(texts) -> str:
    encoded = [str(t)[:TEXT_CHARS].encode("utf-8") for t in texts]
    offsets = np.zeros(len(encoded) + 1, "<u4")
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return base64.b64encode(zlib.compress(offsets.tobytes() + b"".join(encoded), 6)).decode("ascii")


def thumbnails(x: np.ndarray) -> tuple[np.ndarray, dict] | None:
    """Items (N, C, H, W) in [0, 1] as uint8 (N, h, w, c) thumbnails of at most ``THUMBNAIL_SIDE`` pixels."""
    if x is None or np.ndim(x) != 4 or len(x) > THUMBNAIL_ITEMS:
        return None
    step = max(1, int(np.ceil(max(x.shape[2:]) / THUMBNAIL_SIDE)))
    small = np.asarray(x[:, :3, ::step, ::step], dtype=np.float32)
    pixels = (np.clip(np.moveaxis(small, 1, -1), 0, 1) * 255).astype(np.uint8)
    n, h, w, c = pixels.shape
    return pixels, {"n": n, "h": h, "w": w, "c": c}


def share_html(xy: np.ndarray, colourings: list[tuple[str, np.ndarray, bool]], title: str = "LatentLab map",
               anchors: dict[int, int] | None = None, names: dict[int, str] | None = None, texts=None,
               images: np.ndarray | None = None) -> bytes:
    """The page's bytes: ``xy`` (N, 2); ``colourings`` [(name, values (N,), categorical)], the first shown;
    ``anchors`` and ``names`` the clusters' names; ``texts`` (N,) for hover and search; ``images`` (N, C, H, W)."""
    pos = normalised(xy)
    n = len(pos)
    q = positions.quantised(xy, margin=1.0)  # (2, N)
    segments = {"xy": _pack(np.concatenate([q[0], q[1]]))}
    described = []
    for k, (name, values, categorical) in enumerate(colourings):
        info, codes = colouring(name, values, categorical, f"c{k}")
        segments[info["seg"]] = _pack(codes)
        described.append(info)
    meta = {"n": n, "title": title, "colourings": described, "texts": texts is not None,
            "labels": screen_labels(pos, anchors, names) if anchors and names else [],
            "pointSize": 6.0 if n < 3_000 else 4.0 if n < 100_000 else 3.0 if n < 300_000 else 2.0}
    if texts is not None:
        segments["texts"] = _texts_segment(texts)
    thumbs = thumbnails(images) if images is not None else None
    if thumbs is not None:
        segments["thumbs"] = _pack(thumbs[0])
        meta["thumbs"] = {**thumbs[1], "seg": "thumbs"}
    return _page(meta, segments)


def _page(meta: dict, segments: dict[str, str]) -> bytes:
    script = ASSET.read_text(encoding="utf-8").replace("</script", "<\\/script")
    meta_json = json.dumps(meta, separators=(",", ":")).replace("<", "\\u003c")
    blobs = "\n".join(f'<script type="text/plain" data-seg="{k}">{v}</script>' for k, v in segments.items())
    page = _TEMPLATE.format(title=html.escape(meta["title"]), meta=meta_json, blobs=blobs)
    return page.replace("@@SCRIPT@@", script).encode("utf-8")


def share_map(source=None, dataset=None, out="map.html", method: str = "umap", color: str = "label",
              labels: str | None = "clusters", clusters: np.ndarray | None = None, seed: int = 0) -> Path:
    """Write a checkpoint's map (or a dataset of vectors') as one HTML file that opens from disk (see the module
    docstring): colourings by label, cluster and ``color``, the clusters named by ``labels`` as in ``map``."""
    from latentlab.analysis.projection.labels import label_anchors
    from latentlab.figures.api import map_data

    path, _ = check_out(out, ("html",))
    data = map_data(source, dataset, method, color, labels or "clusters", clusters, seed)
    ds = data.dataset
    colourings = [(data.colour, data.values, data.categorical)]
    if ds.labels is not None and data.colour != "label":
        colourings.append(("label", np.asarray(ds.labels), True))
    if data.clusters is not None and data.colour != "cluster":
        colourings.append(("cluster", np.asarray(data.clusters), True))
    anchors = label_anchors(data.xy, data.clusters) if data.clusters is not None and labels != "none" else None
    images = ds.x if ds.kind == "image" and len(ds) <= THUMBNAIL_ITEMS else None
    page = share_html(data.xy, colourings, data.title, anchors, data.texts if labels != "none" else None,
                      getattr(ds, "texts", None), images)
    write_bytes(path, page)
    return path


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ margin: 0; font: 13px/1.4 system-ui, sans-serif; color: #222; background: #fafafa; }}
#ll-root {{ display: flex; flex-direction: column; height: 100vh; }}
header {{ display: flex; gap: 8px; align-items: center; flex-wrap: wrap; padding: 8px 12px; border-bottom: 1px solid #ddd; background: #fff; }}
header h1 {{ font-size: 15px; margin: 0 12px 0 0; }}
header button {{ font: inherit; padding: 2px 10px; border: 1px solid #ccc; border-radius: 6px; background: #fff; cursor: pointer; }}
header button[aria-pressed="true"] {{ background: #3b5bdb; color: #fff; border-color: transparent; }}
header input[type=search] {{ font: inherit; padding: 3px 8px; width: 220px; border: 1px solid #ccc; border-radius: 6px; }}
#ll-count {{ margin-left: auto; opacity: .75; }}
main {{ flex: 1; display: flex; min-height: 0; }}
#ll-stage {{ position: relative; flex: 1; overflow: hidden; background: #fff; }}
#ll-stage canvas {{ display: block; width: 100%; height: 100%; }}
.ll-labels {{ position: absolute; inset: 0; pointer-events: none; overflow: hidden; }}
.ll-labels div {{ position: absolute; transform: translate(-50%, -50%); white-space: nowrap; font-weight: 600; font-size: 12px;
  color: #1a1a2e; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; }}
#ll-legend {{ position: absolute; top: 8px; right: 8px; max-height: calc(100% - 16px); overflow-y: auto; padding: 6px 8px;
  border-radius: 6px; background: rgba(255,255,255,.88); font-size: 11px; }}
#ll-legend .sw {{ display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 5px; }}
#ll-tip {{ position: absolute; display: none; pointer-events: none; z-index: 5; max-width: 300px; padding: 6px 8px; border-radius: 6px;
  background: rgba(20,20,30,.92); color: #fff; }}
#ll-tip canvas {{ width: 96px; height: 96px; image-rendering: pixelated; margin-top: 4px; }}
#ll-tip .text {{ margin-top: 4px; opacity: .9; }}
aside {{ width: 280px; overflow-y: auto; padding: 10px 12px; border-left: 1px solid #ddd; background: #fff; font-size: 12px; }}
aside .rows {{ margin-top: 8px; font-family: ui-monospace, monospace; font-size: 11px; }}
</style></head>
<body>
<div id="ll-root" data-testid="ll-share">
<header><h1>{title}</h1>
<label>Colour by <select id="ll-colour"></select></label>
<input id="ll-search" type="search" placeholder="Search labels or texts">
<button id="ll-lasso">Lasso</button><button id="ll-pan">Pan</button><button id="ll-reset">Reset view</button>
<label><input id="ll-names" type="checkbox" checked> cluster names</label>
<span id="ll-count"></span></header>
<main><div id="ll-stage"><canvas id="ll-canvas"></canvas><div id="ll-labels" class="ll-labels"></div>
<div id="ll-legend"></div><div id="ll-tip"></div></div>
<aside><b>Selection</b><div id="ll-selection">Draw around points (Lasso) to see how many and which; search to select by label or text.</div></aside></main>
</div>
<script type="application/json" id="ll-meta">{meta}</script>
{blobs}
<script type="module">@@SCRIPT@@</script>
</body></html>
"""
