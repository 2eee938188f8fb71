"""Map positions as every face sends them to a browser (the dashboard's map, the notebook's, a shared page):
scaled into the [-1, 1] square with one scale for both axes, so the map keeps its shape, and quantised to two
uint16 per point, 65,535 steps across the square. A step is 1/32,768 of the map's width: a 1,600-pixel map would
have to be zoomed about 20 times before two neighbouring steps were a pixel apart, and at a million points the
positions travel in 4 bytes a point instead of float32's 8.
"""

from __future__ import annotations

import numpy as np

STEPS = 65535  # uint16 steps across the [-1, 1] square
MARGIN = 1.02  # the points fill the square but for this much room at its edges


def _frame(xy: np.ndarray, frame: tuple | None) -> tuple[np.ndarray, float]:
    """The centre (2,) of the box ``frame`` = (lo, hi) (the points' own by default) and half its longer side."""
    lo, hi = (np.nanmin(xy, 0), np.nanmax(xy, 0)) if frame is None else (frame[0], frame[1])
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    return (lo + hi) / 2, float(np.max(hi - lo)) / 2 or 1.0


def unit_square(xy: np.ndarray, frame: tuple | None = None, margin: float = MARGIN) -> np.ndarray:
    """(N, 2) positions scaled into [-1, 1]: the box ``frame`` = (lo, hi) (the points' own by default) is
    centred and scaled by its longer side times ``margin``; missing positions go to the centre. float64."""
    xy = np.asarray(xy, dtype=np.float64)[:, :2]
    if not len(xy):
        return np.zeros((0, 2))
    centre, half = _frame(xy, frame)
    return np.nan_to_num((xy - centre) / (half * margin), nan=0.0).clip(-1.0, 1.0)


def quantised(xy: np.ndarray, frame: tuple | None = None, margin: float = MARGIN) -> np.ndarray:
    """(2, N) little-endian uint16: x then y of ``unit_square``, in ``STEPS`` steps (one column at a time, in
    place, where ``unit_square`` makes a copy for each step)."""
    xy = np.asarray(xy)[:, :2]
    out = np.empty((2, len(xy)), "<u2")
    if not len(xy):
        return out
    centre, half = _frame(xy, frame)
    scale = (STEPS / 2) / (half * margin)
    for axis in (0, 1):
        column = xy[:, axis].astype(np.float64)
        column -= centre[axis]
        column *= scale
        column += STEPS / 2
        np.nan_to_num(column, copy=False, nan=STEPS / 2)
        np.clip(column, 0, STEPS, out=column)
        out[axis] = np.rint(column, out=column)
    return out


def dequantised(q: np.ndarray) -> np.ndarray:
    """(N, 2) float32 positions in [-1, 1] from ``quantised``'s (2, N), as the browser computes them."""
    return (np.asarray(q, dtype=np.float32).T * np.float32(2 / STEPS) - np.float32(1)).astype(np.float32)
