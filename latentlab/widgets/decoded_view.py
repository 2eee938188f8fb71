"""How a decoded code looks in a notebook, as on the Traverse page: a picture for images, a curve for signals,
the nearest texts for a text dataset, the leading values for a table.

``decoded_output`` gives ("png", bytes) or ("html", text) for one decoded item; ``grid_output`` the same for
a traversal grid (rows the latents, columns their values). Users' texts are escaped: they are data.
"""

from __future__ import annotations

import html

import numpy as np

VALUES_SHOWN = 12


def _has_texts(ds) -> bool:
    from latentlab import lab

    return lab.items_of(ds).texts is not None


def decoded_output(ds, item: np.ndarray, reference: np.ndarray | None = None) -> tuple[str, bytes | str]:
    """One decoded item (``*item_shape``): ("png", PNG bytes) for images and signals (``reference``, the base
    item, drawn dimmed beneath a signal's curve), else ("html", text)."""
    from latentlab.core.render import png_bytes, single_image

    if ds.is_image:
        return "png", png_bytes(single_image(item, scale=max(1, 192 // ds.item_shape[-1])))
    if ds.is_signal:
        from latentlab.core.curve_render import curve_picture

        return "png", png_bytes(curve_picture(item, size=(360, 200), reference=reference))
    if _has_texts(ds):
        return "html", nearest_texts_html(ds, item[None], ["decoded from the sliders"], k=3)
    values = np.asarray(item).ravel()
    names = ds.feature_names or [f"x{k}" for k in range(len(values))]
    rows = "".join(f"<tr><td>{html.escape(str(n))}</td><td>{v:+.3f}</td></tr>"
                   for n, v in list(zip(names, values.tolist()))[:VALUES_SHOWN])
    return "html", f"<table class='ll-values'>{rows}</table>"


def nearest_texts_html(ds, vectors: np.ndarray, captions: list[str], k: int = 3) -> str:
    """What each of ``vectors`` (M, D) reads like: the ``k`` nearest texts of ``ds`` under each caption."""
    from latentlab import lab

    parts = []
    for caption, hits in zip(captions, lab.nearest_texts(ds, vectors, k)):
        items = "".join(f"<li>{html.escape(h.text[:200])} <small>({h.similarity:.2f})</small></li>" for h in hits)
        parts.append(f"<div class='ll-texts'><b>{html.escape(caption)}</b><ol>{items}</ol></div>")
    return "".join(parts)


def grid_output(ds, grid: np.ndarray, labels: list[list[str]], values: np.ndarray,
                faint: set[int]) -> tuple[str, bytes | str]:
    """A traversal grid (R, C, *item_shape) with its row labels and values (R, C): a labelled picture for
    images, curves for signals, the nearest text of each cell for texts, else a table of the first value."""
    from latentlab.core.render import labelled_traversal, png_bytes

    if ds.is_image:
        return "png", png_bytes(labelled_traversal(grid, labels, values, None, faint))
    if ds.is_signal:
        from latentlab.core.curve_render import curve_grid

        return "png", png_bytes(curve_grid(grid))
    if _has_texts(ds):
        R, C = grid.shape[:2]
        flat = grid.reshape(R * C, -1)
        captions = [f"{' '.join(labels[r][:1])} = {values[r, c]:+.2f}" for r in range(R) for c in range(C)]
        return "html", nearest_texts_html(ds, flat, captions, k=1)
    head = "".join(f"<th>{v:+.2f}</th>" for v in values[0])
    rows = "".join(f"<tr><th>{html.escape(labels[r][0])}</th>"
                   + "".join(f"<td>{float(np.ravel(grid[r, c])[0]):+.3f}</td>" for c in range(grid.shape[1])) + "</tr>"
                   for r in range(grid.shape[0]))
    return "html", f"<table class='ll-values'><tr><th></th>{head}</tr>{rows}</table>"
