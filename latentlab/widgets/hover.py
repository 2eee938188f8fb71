"""One item of a notebook map, on demand: what the hover shows, as the dashboard's item route serves it.

The browser asks for row ``i`` when the pointer rests on it; the kernel answers with the details
(``item_details``: the label, a text dataset's text, factors or a table's leading values) and, for images and
signals, a small PNG (``item_picture``: the image, or the curve drawn as a 96x96 plot). Nothing per point is
made up front, so a map of a million images costs nothing until it is hovered.
"""

from __future__ import annotations

import numpy as np

FEATURES_SHOWN = 8
TEXT_CHARS = 300


def _shown(v) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def item_details(source, row: int) -> dict:
    """The hover's details of row ``row`` of ``source`` (a ``MapSource``): {"index", "label", "label_name",
    "features": [[name, value as text], ...]}; text is data, shown escaped by the map."""
    ds = source.dataset
    info: dict = {"index": row, "label": None, "label_name": ds.label_name}
    if ds.labels is not None:
        info["label"] = str(np.asarray(ds.labels[row]).item())
    features: list[list[str]] = []
    if ds.texts is not None:
        text = str(ds.texts[row])
        info["text"] = text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS].rstrip() + "…"
        features.append(["text", info["text"]])
        if ds.metadata is not None:
            features += [[str(c), _shown(v)] for c, v in ds.metadata.iloc[row].items()]
    elif source.columns is not None:
        features = [[str(c), _shown(v)] for c, v in source.columns.iloc[row].items() if c not in ("x", "y", "label")]
    elif ds.factors is not None:
        features = [[str(c), _shown(v)] for c, v in ds.factors.iloc[row].items()]
    elif ds.is_signal:  # each channel's range: the curve itself is the picture
        from latentlab.analysis.decoding.curves import channel_names

        item = np.asarray(ds.x[row])  # (C, T)
        features = [[n, f"{float(c.min()):.3g} … {float(c.max()):.3g}"] for n, c in zip(channel_names(ds, len(item)), item)]
    elif not ds.is_image:
        values = np.asarray(ds.x[row]).ravel()[:FEATURES_SHOWN]
        names = ds.feature_names or [f"x{k}" for k in range(len(values))]
        features = [[str(n), f"{float(v):.3g}"] for n, v in zip(names, values)]
    info["features"] = features[:FEATURES_SHOWN]
    return info


def item_picture(source, row: int) -> bytes | None:
    """Row ``row`` as a small PNG (an image, or a signal's curves), or None for items without a picture."""
    ds = source.dataset
    if not (ds.is_image or ds.is_signal):
        return None
    from latentlab.core.render import png_bytes, single_image

    if ds.is_signal:
        from latentlab.core.curve_render import curve_picture

        return png_bytes(curve_picture(np.asarray(ds.x[row])))  # (C, T) as a 96x96 plot
    return png_bytes(single_image(np.asarray(ds.x[row])))
