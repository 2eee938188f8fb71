"""``Map``: the dashboard's WebGL map in a notebook cell, as an anywidget.

The browser side is the dashboard's own map (``frontend/src/map.js``: regl-scatterplot with the lasso and box
tools, the legend, the hover) wrapped by ``frontend/src/widget.js`` and bundled into ``assets/widget.js``.
The dashboard's bundle was chosen over jupyter-scatter (which wraps the same regl-scatterplot) because it is
the same code the dashboard tests and measures, and because it sends less: positions go as two uint16 per
point (the map's [-1, 1] square in 65,536 steps, finer than a pixel at any zoom a screen shows) and the
colouring as one uint8 code (uint16 past 256 categories), 5 bytes a point in binary buffers, where
jupyter-scatter (1.0.1) sends an (N, 4) float32 array (x, y and two value channels). Measured side by side at
1,000,000 points in JupyterLab (``benchmarks/notebook_widgets.py --jscatter``; jupyter-scatter installed for that
run only, it is no dependency of LatentLab): 5.26 bytes a point received for this widget, 18.23 for jupyter-scatter.

Traits: ``selection`` (sorted row indices, synced both ways as uint32 buffers), ``color_by`` (a name, see
``latentlab.widgets.colours``: changing it sends only the new codes, never the positions), ``height``.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import numpy as np
import traitlets

from latentlab.core import positions
from latentlab.core.errors import LatentLabError
from latentlab.widgets.colours import Colouring, colour_for, default_colour
from latentlab.widgets.hover import item_details, item_picture
from latentlab.widgets.sources import MapSource, map_source

ASSET = Path(__file__).parent / "assets" / "widget.js"
_DEFAULT = object()


def _rows_to_json(rows, widget) -> memoryview:
    return memoryview(np.asarray(rows, dtype="<u4").tobytes())


def _rows_from_json(data, widget) -> list[int]:
    if data is None:
        return []
    if isinstance(data, (list, tuple)):
        return [int(i) for i in data]
    return np.frombuffer(bytes(data), dtype="<u4").astype(np.int64).tolist()


def quantised_positions(xy: np.ndarray, frame: tuple | None = None) -> np.ndarray:
    """(2, N) positions as the bytes the browser gets: x then y, uint16, the points scaled into [-1, 1] with one
    scale for both axes, as the dashboard scales them (``latentlab.core.positions``); ``frame`` (lo, hi), the box
    scaled into the square, is the points' own by default."""
    return positions.quantised(xy, frame)


def point_size(n: int) -> float:
    """Pixels per point, as the dashboard draws them: large for a few thousand, small for a million."""
    return 6.0 if n < 3_000 else 4.0 if n < 100_000 else 3.0 if n < 300_000 else 2.0


class Map(anywidget.AnyWidget):
    """A latent space's map in a notebook cell: WebGL, a million points, lasso and box selection, hover.

    Parameters
    ----------
    source : checkpoint name, path or ``Checkpoint``; dataset name or ``Dataset``; (N, D) ndarray; DataFrame
        What to map: a checkpoint's codes of ``dataset`` (default its training set), a dataset's or an
        array's vectors, or a table's numeric columns (``x`` and ``y`` columns are taken as positions).
    dataset : dataset name or ``Dataset``, optional
        The items a checkpoint encodes.
    method : str
        The projection (``latentlab.lab.PROJECTORS``: "umap", "pca", "tsne", ...), cached on disk.
    color_by : str or None
        A column, "label", a latent ("z3"), a factor, or a clustering ("cluster:kmeans:8"); default the labels.
    size : float, optional
        Pixels per point (default by the number of points).
    height : int
        The map's height in pixels.
    frame : (lo, hi) of (2,) arrays, optional
        The box of positions scaled into the map's square (default the points' own): maps given one frame
        draw the same positions at the same spots.

    Examples
    --------
    >>> m = ll.widgets.Map("digits-vae", color_by="label")   # doctest: +SKIP
    >>> m.observe(lambda change: print(len(change["new"])), "selection")   # doctest: +SKIP
    >>> m.selected()   # the lassoed rows as a DataFrame   # doctest: +SKIP
    """

    _esm = ASSET
    _points = traitlets.Bytes(b"").tag(sync=True)  # uint16 x (N) then y (N), little-endian
    _n = traitlets.Int(0).tag(sync=True)
    _colour = traitlets.Bytes(b"").tag(sync=True)  # one code a point
    _colour_wide = traitlets.Bool(False).tag(sync=True)  # codes are uint16
    _palette = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _legend = traitlets.Dict(allow_none=True).tag(sync=True)
    _pictures = traitlets.Bool(False).tag(sync=True)  # hover shows a picture (images, signals)
    _point_size = traitlets.Float(4.0).tag(sync=True)
    height = traitlets.Int(500).tag(sync=True)
    selection = traitlets.List(traitlets.Int()).tag(sync=True, to_json=_rows_to_json, from_json=_rows_from_json)
    color_by = traitlets.Unicode(None, allow_none=True)

    def __init__(self, source, dataset=None, method: str = "umap", color_by=_DEFAULT, size: float | None = None,
                 height: int = 500, frame: tuple | None = None, seed: int = 0, **projection):
        src = source if isinstance(source, MapSource) else map_source(source, dataset)
        xy = src.positions(method, seed, **projection)
        self._source, self._seed, self._xy, self._colouring, self._clusters = src, seed, np.asarray(xy), None, None
        q = quantised_positions(xy, frame)
        by = default_colour(src) if color_by is _DEFAULT else color_by
        super().__init__(_points=q.tobytes(), _n=len(src), height=int(height),
                         _point_size=float(size or point_size(len(src))),
                         _pictures=bool(src.dataset.is_image or src.dataset.is_signal))
        self.color_by = by
        if self._colouring is None:  # color_by None and the trait's default agree: no change fired
            self._apply(colour_for(src, None))
        self.on_msg(self._on_message)

    # ---------------------------------------------------------------- traits

    @traitlets.validate("color_by")
    def _check_colour(self, proposal):
        self._next_colouring = colour_for(self._source, proposal["value"], self._seed)  # fails: the old one stays
        return proposal["value"]

    @traitlets.observe("color_by")
    def _recolour(self, change):
        self._apply(self._next_colouring)

    def _apply(self, c: Colouring) -> None:
        self._colouring = c
        if c.clusters is not None:
            self._clusters = c.clusters  # kept for selected() when the map is recoloured by something else
        with self.hold_sync():  # the codes, palette and legend arrive together; the positions stay where they are
            self._colour = np.ascontiguousarray(c.codes).astype("<u2" if c.codes.dtype == np.uint16 else np.uint8).tobytes()
            self._colour_wide = c.codes.dtype == np.uint16
            self._palette = list(c.palette)
            self._legend = c.legend

    @traitlets.validate("selection")
    def _check_selection(self, proposal):
        rows = np.unique(np.asarray(proposal["value"], dtype=np.int64))
        if len(rows) and (rows[0] < 0 or rows[-1] >= len(self._source)):
            bad = int(rows[0] if rows[0] < 0 else rows[-1])
            raise LatentLabError(f"The selection names row {bad}, outside the map's {len(self._source):,} rows "
                                 f"(0 to {len(self._source) - 1:,}).", param="selection", value=bad)
        return rows.tolist()

    # ---------------------------------------------------------------- what the map holds

    @property
    def source(self) -> MapSource:
        """The dataset, embedding and checkpoint behind the points."""
        return self._source

    @property
    def xy(self) -> np.ndarray:
        """(N, 2) the positions drawn (before scaling into the map's square)."""
        return self._xy

    @property
    def clusters(self) -> np.ndarray | None:
        """(N,) the last clustering coloured on this map ("cluster:..."), else a clustering model's own clusters
        (its most likely cluster per item), else None."""
        if self._clusters is not None:
            return self._clusters
        assign = self._source.embedding.assign  # (N, K) soft assignments of a model that clusters its codes
        return None if assign is None else np.asarray(assign).argmax(1)

    def cluster(self, method: str = "kmeans", k: int | None = None) -> "Map":
        """Colour the map by a clustering of the latent means (``color_by = "cluster:METHOD:K"``); returns the map."""
        self.color_by = f"cluster:{method}" + ("" if k is None else f":{int(k)}")
        return self

    def selected(self):
        """The selected rows as a DataFrame: index, label, cluster (see ``clusters``), factors,
        text, the latent means z0.. and the reconstruction error where the model gives them, and a table
        source's own columns."""
        from latentlab.analysis.projection.map_points import selection_frame

        rows = np.asarray(self.selection, dtype=np.int64)
        frame = selection_frame(self._source.dataset, self._source.embedding, rows, self.clusters)
        if self._source.columns is not None:
            own = self._source.columns.iloc[rows].reset_index(drop=True)
            frame = frame.join(own[[c for c in own.columns if c not in frame.columns]])
        return frame

    # ---------------------------------------------------------------- the hover, on demand

    def _on_message(self, widget, content, buffers) -> None:
        if not isinstance(content, dict) or content.get("type") != "item":
            return
        row = int(content.get("i", -1))
        if not 0 <= row < len(self._source):
            return
        picture = item_picture(self._source, row)
        self.send({"type": "item", "i": row, "info": item_details(self._source, row)},
                  buffers=[picture] if picture else None)
