"""Signals drawn as small line plots (Pillow, no plotting library): the map's hover picture of a signal and
the PNG exports of curves (selections, traversal grids, samples).

A signal is an array (C, T): each channel is one polyline in its own colour, on a dark background like the
hover's image frame. A grid shares one value range across its cells, so a traversal's cells compare.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

# The first colours of plotly's default sequence, so the pictures match the pages' curves.
CHANNEL_COLOURS = ((99, 110, 250), (239, 85, 59), (0, 204, 150), (171, 99, 250), (255, 161, 90), (25, 211, 243),
                   (255, 102, 146), (182, 232, 128), (255, 151, 255), (254, 203, 82))
BACKGROUND = (24, 24, 28)
AXIS = (70, 70, 78)
DIMMED = 0.45  # a reference curve (an input under its reconstruction) is drawn at this share of its colour


def value_range(items: np.ndarray) -> tuple[float, float]:
    """The (low, high) a set of curves is drawn between: their finite extremes with 5% headroom."""
    a = np.asarray(items, dtype=np.float64)
    a = a[np.isfinite(a)]
    if a.size == 0:
        return -1.0, 1.0
    lo, hi = float(a.min()), float(a.max())
    pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.5
    return lo - pad, hi + pad


def _draw(draw: ImageDraw.ImageDraw, item: np.ndarray, box: tuple[int, int, int, int], lo: float, hi: float,
          dim: bool = False, width: int = 1) -> None:
    """One signal (C, T) as polylines inside ``box`` (left, top, right, bottom)."""
    left, top, right, bottom = box
    item = np.asarray(item, dtype=np.float64).reshape(-1, np.asarray(item).shape[-1])  # (C, T)
    t = item.shape[1]
    xs = left + (np.arange(t) * (right - left) / max(t - 1, 1))
    for c, curve in enumerate(item):
        if not np.isfinite(curve).any():  # an empty cell of a grid
            continue
        ys = bottom - (np.nan_to_num(curve, nan=lo) - lo) * (bottom - top) / (hi - lo)
        colour = CHANNEL_COLOURS[c % len(CHANNEL_COLOURS)]
        if dim:
            colour = tuple(int(DIMMED * v + (1 - DIMMED) * b) for v, b in zip(colour, BACKGROUND))
        draw.line(list(zip(xs.tolist(), np.clip(ys, top, bottom).tolist())), fill=colour, width=width, joint="curve")


def curve_picture(item: np.ndarray, size: tuple[int, int] = (96, 96), reference: np.ndarray | None = None) -> Image.Image:
    """A signal (C, T) as a ``size`` (width, height) line plot, with its zero line; ``reference`` (C, T), when
    given, is drawn dimmed beneath it on the same scale."""
    w, h = size
    image = Image.new("RGB", (w, h), BACKGROUND)
    draw = ImageDraw.Draw(image)
    stack = item if reference is None else np.stack([item, reference])
    lo, hi = value_range(stack)
    box = (2, 3, w - 3, h - 4)
    if lo < 0 < hi:
        y0 = box[3] - (0 - lo) * (box[3] - box[1]) / (hi - lo)
        draw.line([(box[0], y0), (box[2], y0)], fill=AXIS)
    if reference is not None:
        _draw(draw, reference, box, lo, hi, dim=True)
    _draw(draw, item, box, lo, hi, width=1 if w < 200 else 2)
    return image


def curve_grid(items: np.ndarray, cell: tuple[int, int] = (120, 72), pad: int = 3,
               reference: np.ndarray | None = None) -> Image.Image:
    """Signals (R, K, C, T) as an R x K grid of ``cell``-sized plots on one shared value range (``reference``,
    the same shape, dimmed beneath each)."""
    items = np.asarray(items)
    if items.ndim == 3:  # one row
        items = items[None]
        reference = None if reference is None else np.asarray(reference)[None]
    R, K = items.shape[:2]
    w, h = cell
    image = Image.new("RGB", (K * (w + pad) + pad, R * (h + pad) + pad), (40, 40, 40))
    draw = ImageDraw.Draw(image)
    lo, hi = value_range(items if reference is None else np.stack([items, reference]))
    for r in range(R):
        for k in range(K):
            left, top = pad + k * (w + pad), pad + r * (h + pad)
            draw.rectangle([left, top, left + w - 1, top + h - 1], fill=BACKGROUND)
            box = (left + 2, top + 3, left + w - 3, top + h - 4)
            if lo < 0 < hi:
                y0 = box[3] - (0 - lo) * (box[3] - box[1]) / (hi - lo)
                draw.line([(box[0], y0), (box[2], y0)], fill=AXIS)
            if reference is not None:
                _draw(draw, reference[r, k], box, lo, hi, dim=True)
            _draw(draw, items[r, k], box, lo, hi)
    return image
