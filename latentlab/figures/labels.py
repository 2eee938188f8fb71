"""Cluster names placed on a map so that no two overlap and none hides the densest points.

The same rule serves the paper figure, the live map and the shared HTML (numpy only, no matplotlib). Each
cluster's name starts at its anchor (the member nearest the cluster's median position,
``latentlab.analysis.projection.labels.label_anchors``); candidate centres ring the anchor at growing
distances, and each is scored by the share of the densest cells of a 2-D histogram of all points its box
would cover, the mean density under it, and its distance from the anchor. A box that overlaps a placed one
or leaves the frame is never taken. When no candidate inside the data's box is clear of the densest cells,
the name goes to the margin around the data (when the frame has one), on the ray from the map's centre through
the anchor, with a leader line. A name that finds no place at all is left out rather than overlap another.
Larger clusters are placed first, so they get the places nearest their points.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from latentlab.core.errors import LatentLabError

MAX_LABELS = 40
DENSE_QUANTILE = 0.85  # the cells above this quantile of occupied cells' counts are "the densest points"
_BINS = 96
_ANGLES = np.linspace(0, 2 * np.pi, 16, endpoint=False)
_RADII = (0.6, 1.0, 1.5, 2.2, 3.0, 4.0)


@dataclass(frozen=True)
class PlacedLabel:
    """A name's box (centre ``x``, ``y`` and size, in the map's data units) and the point it names."""

    cluster: int
    text: str
    anchor: int  # the row the name belongs to
    x: float
    y: float
    width: float
    height: float
    leader: bool  # drawn away from its cluster: a line joins it to the anchor

    def box(self) -> tuple[float, float, float, float]:
        return (self.x - self.width / 2, self.y - self.height / 2, self.x + self.width / 2, self.y + self.height / 2)


def cluster_texts(clusters: np.ndarray, names: dict[int, str] | None = None,
                  keywords: dict[int, list[str]] | None = None, words: int = 3) -> dict[int, str]:
    """Each cluster's name: the user's, else its first ``words`` keywords (a text dataset), else its id."""
    out = {}
    for c in np.unique(np.asarray(clusters)).tolist():
        if c == -1:
            continue
        if names and c in names:
            out[c] = names[c]
        elif keywords and keywords.get(c):
            out[c] = " · ".join(keywords[c][:words])
        else:
            out[c] = f"cluster {c}"
    return out


def read_cluster_names(path, clusters: np.ndarray) -> dict[int, str]:
    """A CSV of ``cluster,name`` rows (a header row is allowed), one per cluster of ``clusters`` (noise, -1,
    may be left out): exactly those clusters, or one sentence saying which are missing or extra."""
    path = Path(path)
    if not path.is_file():
        raise LatentLabError(f"No label file at '{path}'; give a CSV of cluster,name rows.", param="labels",
                             value=str(path))
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError) as exc:
        raise LatentLabError(f"Cannot read the label file '{path}' ({exc}).", param="labels", value=str(path)) from None
    return names_from_rows(rows, clusters, str(path))


def names_from_rows(rows: list[list[str]], clusters: np.ndarray, source: str) -> dict[int, str]:
    rows = [r for r in rows if r and any(cell.strip() for cell in r)]
    if rows and not rows[0][0].strip().lstrip("-").isdigit():
        rows = rows[1:]  # a header
    names = {}
    for r in rows:
        if len(r) < 2 or not r[0].strip().lstrip("-").isdigit():
            raise LatentLabError(f"The label file '{source}' has a row {r!r} that is not cluster,name.", param="labels",
                                 value=source)
        names[int(r[0])] = r[1].strip()
    wanted = {c for c in np.unique(np.asarray(clusters)).tolist() if c != -1}
    missing, extra = sorted(wanted - names.keys()), sorted(names.keys() - wanted - {-1})
    if missing or extra:
        what = "; ".join(s for s in (f"missing clusters {missing}" if missing else "",
                                     f"extra clusters {extra} the clustering does not have" if extra else "") if s)
        raise LatentLabError(f"The label file '{source}' names clusters {sorted(names)}, but the clustering has "
                             f"{sorted(wanted)} ({what}).", param="labels", value=source)
    return names


class _Density:
    """Point counts on a grid over the frame, with summed-area tables for any box's mean and dense share."""

    def __init__(self, xy: np.ndarray, frame: tuple[float, float, float, float]):
        x0, y0, x1, y1 = frame
        counts, _, _ = np.histogram2d(xy[:, 0], xy[:, 1], bins=_BINS, range=[[x0, x1], [y0, y1]])
        occupied = counts[counts > 0]
        threshold = np.quantile(occupied, DENSE_QUANTILE) if len(occupied) else np.inf
        scale = counts.max() or 1.0
        self.frame = frame
        self.sum = self._table(counts / scale)
        self.dense = self._table((counts > threshold).astype(np.float64))

    @staticmethod
    def _table(grid: np.ndarray) -> np.ndarray:
        out = np.zeros((grid.shape[0] + 1, grid.shape[1] + 1))
        out[1:, 1:] = grid.cumsum(0).cumsum(1)
        return out

    def cells(self, boxes: np.ndarray) -> tuple[np.ndarray, ...]:
        x0, y0, x1, y1 = self.frame
        fx = lambda v: np.clip(np.round((v - x0) / (x1 - x0) * _BINS), 0, _BINS).astype(int)  # noqa: E731
        fy = lambda v: np.clip(np.round((v - y0) / (y1 - y0) * _BINS), 0, _BINS).astype(int)  # noqa: E731
        i0, i1, j0, j1 = fx(boxes[:, 0]), fx(boxes[:, 2]), fy(boxes[:, 1]), fy(boxes[:, 3])
        i0, j0 = np.minimum(i0, _BINS - 1), np.minimum(j0, _BINS - 1)
        return i0, np.maximum(i1, i0 + 1), j0, np.maximum(j1, j0 + 1)

    def mean(self, table: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        i0, i1, j0, j1 = self.cells(boxes)
        total = table[i1, j1] - table[i0, j1] - table[i1, j0] + table[i0, j0]
        return total / ((i1 - i0) * (j1 - j0))


def _boxes(centres: np.ndarray, w: float, h: float) -> np.ndarray:
    return np.column_stack([centres[:, 0] - w / 2, centres[:, 1] - h / 2, centres[:, 0] + w / 2, centres[:, 1] + h / 2])


def _clear(boxes: np.ndarray, placed: list[tuple], frame, pad: float) -> np.ndarray:
    """Which boxes lie inside the frame and overlap no placed box (with ``pad`` between)."""
    x0, y0, x1, y1 = frame
    ok = (boxes[:, 0] >= x0) & (boxes[:, 1] >= y0) & (boxes[:, 2] <= x1) & (boxes[:, 3] <= y1)
    for b in placed:
        ok &= (boxes[:, 2] + pad <= b[0]) | (boxes[:, 0] - pad >= b[2]) | (boxes[:, 3] + pad <= b[1]) | (boxes[:, 1] - pad >= b[3])
    return ok


def _outside(anchor: np.ndarray, centre: np.ndarray, data_box, w: float, h: float, steps: int = 48) -> np.ndarray:
    """Candidate centres in the margin: beyond the data's box on the ray from the centre through the anchor,
    then the same distance out at other angles, nearest first."""
    x0, y0, x1, y1 = data_box
    base = np.arctan2(anchor[1] - centre[1], anchor[0] - centre[0])
    offsets = np.arange(1, steps + 1) * np.pi / steps
    turns = base + np.concatenate([[0.0], np.column_stack([offsets, -offsets]).ravel()])
    half = np.array([(x1 - x0) / 2 + w / 2 + h * 0.6, (y1 - y0) / 2 + h * 1.1])
    d = np.column_stack([np.cos(turns), np.sin(turns)])
    reach = np.min(half[None, :] / np.maximum(np.abs(d), 1e-9), axis=1)  # to the edge of the grown box
    return centre[None, :] + d * reach[:, None]


def place_labels(xy: np.ndarray, anchors: dict[int, int], texts: dict[int, str],
                 size_of: Callable[[str], tuple[float, float]], frame: tuple[float, float, float, float] | None = None,
                 top: int = MAX_LABELS) -> list[PlacedLabel]:
    """Place each anchored cluster's text (see the module docstring).

    Parameters
    ----------
    xy : ndarray (N, 2), the map's positions in data units.
    anchors : cluster -> anchor row, largest cluster first (``label_anchors``).
    texts : cluster -> its name.
    size_of : text -> (width, height) of its box in data units.
    frame : (x0, y0, x1, y1) the drawable area; larger than the data's box leaves a margin for names with leaders.
    top : at most this many names.
    """
    xy = np.asarray(xy, dtype=np.float64)[:, :2]
    finite = xy[np.isfinite(xy).all(1)]
    if not len(finite):
        return []
    data_box = (*finite.min(0), *finite.max(0))
    frame = tuple(frame) if frame is not None else data_box
    density = _Density(finite, frame)
    centre = np.array([(data_box[0] + data_box[2]) / 2, (data_box[1] + data_box[3]) / 2])
    margin = frame[0] < data_box[0] or frame[2] > data_box[2] or frame[1] < data_box[1] or frame[3] > data_box[3]
    placed, out = [], []
    for c, row in list(anchors.items())[:top]:
        if c not in texts or not 0 <= row < len(xy):
            continue
        w, h = size_of(texts[c])
        anchor = xy[row]
        pad = h * 0.15
        rings = [anchor[None, :]] + [anchor + np.column_stack([np.cos(_ANGLES) * r * (w / 2 + h), np.sin(_ANGLES) * r * h * 1.2])
                                     for r in _RADII]
        cand = np.concatenate(rings)
        boxes = _boxes(cand, w, h)
        ok = _clear(boxes, placed, frame, pad)
        dense = density.mean(density.dense, boxes)
        cost = 4.0 * dense + density.mean(density.sum, boxes) + 0.02 * np.hypot(*(cand - anchor).T) / max(h, 1e-12)
        cost[~ok] = np.inf
        best = int(np.argmin(cost))
        leader = False
        if margin and (not np.isfinite(cost[best]) or dense[best] > 0):
            outer = _outside(anchor, centre, data_box, w, h)
            clear = np.flatnonzero(_clear(_boxes(outer, w, h), placed, frame, pad))
            if len(clear):
                cand, best, leader = outer, int(clear[0]), True
        if not np.isfinite(cost[best]) and not leader:
            continue  # nowhere clear: left out rather than overlap another name
        x, y = cand[best]
        leader = leader or float(np.hypot(x - anchor[0], y - anchor[1])) > 2.5 * h
        label = PlacedLabel(int(c), texts[c], int(row), float(x), float(y), float(w), float(h), leader)
        placed.append(label.box())
        out.append(label)
    return out


def boxes_overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether two (x0, y0, x1, y1) boxes share any area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
