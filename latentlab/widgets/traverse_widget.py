"""``Traverse``: one slider per latent and the decoded output redrawn live, in a notebook cell.

As the Traverse page: sliders ordered by activity (mean KL for a VAE, the codes' variance otherwise), passive
latents marked, ranges of ``span`` prior units around the model's frame (a quantized model steps through its
codebook), the output decoded on every move (a picture, a curve over the base item's, or the nearest texts),
a grid of every latent across its range, and the grid or a latent's walk exported as PNG or GIF. ``base`` is
an item's row or a code (D,); ``latentlab.widgets.link`` sets it from a map.
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as w
import numpy as np

from latentlab.core.errors import LatentLabError
from latentlab.widgets.decoded_view import decoded_output, grid_output


class Traverse(w.VBox):
    """Latent traversal sliders with the decoded output.

    Parameters
    ----------
    checkpoint : name, path or ``Checkpoint``
    base : int or (D,) array, optional
        An item's row (its latent mean is the start) or a code; default the model's centre.
    dataset : name or ``Dataset``, optional
        The items (default the checkpoint's training set).
    span : float
        The sliders' half-range in prior units.
    steps : int
        Columns of the grid view.

    Examples
    --------
    >>> t = ll.widgets.Traverse("digits-vae", base=0)   # doctest: +SKIP
    >>> t.set_latent(3, 1.5); t.to_png("grid.png")     # doctest: +SKIP
    """

    def __init__(self, checkpoint, base=None, dataset=None, span: float = 3.0, steps: int = 9):
        from latentlab import lab

        self.checkpoint = lab.load_checkpoint(checkpoint)
        if not getattr(self.checkpoint.model, "has_decoder", True):
            raise LatentLabError(f"Checkpoint '{self.checkpoint.name}' has no decoder, so its latents cannot be "
                                 "traversed; pick a model that decodes.", param="checkpoint")
        self.dataset = lab.dataset_for(self.checkpoint, dataset)
        self.embedding = lab.embed(self.checkpoint, self.dataset)
        self.span, self.steps = float(span), int(steps)
        self.order = lab.activity_order(self.embedding)
        self.passive = set(lab.passive_dims(self.embedding))
        self._center, self._scale = lab.latent_frame(self.checkpoint, self.embedding)
        self._codebook = self.checkpoint.model.codebook_values()  # (D, V) or None
        self._holding = False
        self._index: int | None = None
        self._base = np.zeros(self.embedding.latent_dim, np.float32)
        self.sliders = {d: self._slider(d) for d in self.order}
        self.output = w.Image(format="png", layout=w.Layout(width="192px", min_height="96px"))
        self.output.add_class("ll-decoded")
        self.text = w.HTML()
        self.caption = w.HTML()
        self.grid = w.Output()
        reset = w.Button(description="Reset sliders", tooltip="Back to the base point")
        reset.on_click(lambda _: self._set_base_values())
        show_grid = w.ToggleButton(description="Grid view", tooltip="Every latent across its range from the base")
        show_grid.observe(lambda change: self._show_grid(change["new"]), "value")
        self._grid_shown = show_grid
        controls = w.VBox([*self.sliders.values(), w.HBox([reset, show_grid])])
        picture = w.VBox([self.caption, self.output if self._pictures else self.text])
        super().__init__([w.HBox([controls, picture]), self.grid])
        self.add_class("ll-traverse")
        self.base = base

    @property
    def _pictures(self) -> bool:
        return self.dataset.is_image or self.dataset.is_signal

    def _slider(self, d: int) -> w.Widget:
        tag = " · passive" if d in self.passive else ""
        label = f"z{d}{tag}"
        style = {"description_width": "90px"}
        layout = w.Layout(width="380px")
        if self._codebook is not None:
            s = w.SelectionSlider(options=[float(v) for v in self._codebook[d]], description=label, style=style,
                                  layout=layout)
        else:
            lo = float(self._center[d] - self.span * self._scale[d])
            hi = float(self._center[d] + self.span * self._scale[d])
            s = w.FloatSlider(value=float(self._center[d]), min=lo, max=hi, step=(hi - lo) / 100, description=label,
                              readout_format="+.2f", style=style, layout=layout, continuous_update=True)
        s.add_class("ll-slider")
        s.observe(lambda change: self._redraw(), "value")
        return s

    # ---------------------------------------------------------------- the base point and the code

    @property
    def base(self) -> np.ndarray:
        """(D,) the code the sliders start from; set an item's row or a code to move it."""
        return self._base.copy()

    @base.setter
    def base(self, value) -> None:
        from latentlab import lab

        if value is None or isinstance(value, (int, np.integer)):
            code = lab.base_latent(self.checkpoint, self.embedding, None if value is None else int(value))
            index = None if value is None else int(value)
        else:
            code = np.asarray(value, dtype=np.float32).ravel()
            if code.shape != (self.embedding.latent_dim,):
                raise LatentLabError(f"A traversal's `base` is an item's row or a code of {self.embedding.latent_dim} "
                                     f"values, not {code.size}.", param="base")
            index = None
        self._base, self._index = code.astype(np.float32), index
        self._set_base_values()

    @property
    def z(self) -> np.ndarray:
        """(D,) the code the sliders show now."""
        z = self._base.copy()
        for d, s in self.sliders.items():
            z[d] = float(s.value)
        return z

    def set_latent(self, d: int, value: float) -> None:
        """Move latent ``d``'s slider to ``value`` (clipped to its range), as a drag would."""
        if d not in self.sliders:
            raise LatentLabError(f"The model has latents 0 to {len(self.sliders) - 1}, not {d}.", param="d", value=d)
        s = self.sliders[d]
        if isinstance(s, w.SelectionSlider):
            s.value = min(s.options, key=lambda v: abs(v - value))
        else:
            s.value = float(np.clip(value, s.min, s.max))

    def _set_base_values(self) -> None:
        self._holding = True  # one redraw for the whole base, not one per slider
        try:
            for d, s in self.sliders.items():
                if isinstance(s, w.SelectionSlider):
                    s.value = min(s.options, key=lambda v: abs(v - self._base[d]))
                else:
                    s.min, s.max = min(s.min, float(self._base[d])), max(s.max, float(self._base[d]))
                    s.value = float(self._base[d])
        finally:
            self._holding = False
        self._redraw()
        if self._grid_shown.value:
            self._show_grid(True)

    # ---------------------------------------------------------------- drawing

    def decoded(self) -> np.ndarray:
        """The sliders' code decoded: (*item_shape)."""
        from latentlab import lab

        return lab.decode_latents(self.checkpoint.model, self.z[None])[0]

    def _redraw(self) -> None:
        if self._holding:
            return
        reference = None
        if self._index is not None and self.dataset.is_signal:
            reference = self.dataset.as_float([self._index])[0]
        kind, content = decoded_output(self.dataset, self.decoded(), reference)
        where = f"item #{self._index}" if self._index is not None else "the given code"
        self.caption.value = f"decoded from the sliders (base: {where})"
        if kind == "png":
            self.output.value = content
        else:
            self.text.value = content

    def grid_items(self) -> tuple[np.ndarray, np.ndarray]:
        """Every latent (in activity order) across its range from the base: items (D, C, *item_shape), values (D, C)."""
        from latentlab import lab

        values = lab.grid_values(self.checkpoint, self.embedding, self.order, self.steps, self.span)
        return lab.traversal_grid(self.checkpoint.model, self._base, self.order, values), values

    def _grid(self) -> tuple[str, bytes | str]:
        from latentlab.core.render import latent_labels

        items, values = self.grid_items()
        passive_rows = {r for r, d in enumerate(self.order) if d in self.passive}
        labels = latent_labels(self.order, self.embedding.activity(), passive=self.passive)
        return grid_output(self.dataset, items, labels, values, passive_rows)

    def _show_grid(self, shown: bool) -> None:
        self.grid.clear_output()
        if not shown:
            return
        from IPython.display import HTML, Image, display

        kind, content = self._grid()
        with self.grid:
            display(Image(content) if kind == "png" else HTML(content))

    # ---------------------------------------------------------------- export

    def to_png(self, path: str | Path | None = None) -> bytes:
        """The grid view as a PNG (images and signals); written to ``path`` when given. Returns the bytes."""
        kind, content = self._grid()
        if kind != "png":
            raise LatentLabError(f"Dataset '{self.dataset.name}' holds {self.dataset.kind} items, which have no picture "
                                 "to export; read the grid with grid_items().")
        return _written(content, path)

    def to_gif(self, d: int | None = None, path: str | Path | None = None) -> bytes:
        """Latent ``d`` (default the most active) walked across its range from the base, as an animated GIF of
        images; written to ``path`` when given. Returns the bytes."""
        from latentlab import lab
        from latentlab.core.render import labelled_gif, value_text

        if not self.dataset.is_image:
            raise LatentLabError("A traversal GIF is made of pictures; this dataset's items are not images.")
        d = self.order[0] if d is None else int(d)
        if d not in self.sliders:
            raise LatentLabError(f"The model has latents 0 to {len(self.sliders) - 1}, not {d}.", param="d", value=d)
        values = lab.grid_values(self.checkpoint, self.embedding, [d], self.steps, self.span)
        frames = lab.traversal_grid(self.checkpoint.model, self._base, [d], values)[0]
        return _written(labelled_gif(frames, [f"z{d} = {value_text(v)}" for v in values[0]]), path)


def _written(content: bytes, path) -> bytes:
    """``content``, written to ``path`` first when given (a temporary file renamed: nothing half-written)."""
    if path is not None:
        path = Path(path)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(content)
        tmp.replace(path)
    return content
