"""The server route behind the map's hover: one item of a dataset, on demand.

``/latentlab/items/{dataset}/{version}/{row}.png`` is the item as a small PNG
(image datasets; a signal drawn as a 96x96 line plot) and ``.../{row}.json`` its label and leading features (a text
dataset's text, its first 300 characters, and metadata), both
also below the server's ``server.baseUrlPath``. The
version is the dataset's fingerprint, so a browser may keep a picture for good
and a re-imported dataset under the same name never shows stale ones. Only
datasets the sidebar lists are served, and rows are read one at a time from
the dataset the pages already hold (memory-mapped for the large ones).

``/latentlab/decoded/{checkpoint}/{version}.png?z=v0,v1,...`` is a code decoded by an image model, as the
Traverse page's sliders ask for it on every move (the version is the checkpoint's fingerprint; a code's
picture never changes, so it may be kept too). Asked of the server directly, a move costs the browser one
picture and the server one decode: no rerun of the page's script, no redraw of its elements.

On a server with sign-in (``latentlab.ui.auth``) a request is answered from its sender's workspace only,
read from Streamlit's identity cookie: 401 without a valid one, 404 for any dataset, version or row that
person's sidebar does not list (another person's dataset reads exactly as one that does not exist), and
the pictures may be kept by that browser only (``private``).
"""

from __future__ import annotations

import numpy as np
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# The engine (and torch under it) is imported on the first request, not when the server starts.

PREFIX = "/latentlab/items"
DECODED = "/latentlab/decoded"
FEATURES_SHOWN = 8
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
PRIVATE = {"Cache-Control": "private, max-age=31536000, immutable"}


def _base_path() -> str:
    """The server's ``server.baseUrlPath`` as a URL prefix ("" or "/team/lab"), as the pages are served below it."""
    from streamlit import config

    base = "/".join(p for p in str(config.get_option("server.baseUrlPath") or "").split("/") if p)
    return f"/{base}" if base else ""


def base_url(name: str, ds) -> str:
    """The URL prefix the map's hover fetches ``{row}.png`` and ``{row}.json`` under (below the server's
    ``server.baseUrlPath``, as the pages are)."""
    from urllib.parse import quote

    return f"{_base_path()}{PREFIX}/{quote(name, safe='')}/{ds.fingerprint[:16]}"


def has_picture(ds) -> bool:
    """Whether the route serves ``{row}.png`` for this dataset's items: images, and signals drawn as curves."""
    return ds.kind in ("image", "signal")


def _item(request: Request):
    """The dataset and row a request names, or None when it names none we serve."""
    from latentlab.ui import loaders

    name, version, row = request.path_params["name"], request.path_params["version"], request.path_params["row"]
    if name not in {r["name"] for r in loaders.dataset_rows()}:
        return None
    ds = loaders.dataset(name)
    if ds.fingerprint[:16] != version or not 0 <= row < len(ds):
        return None
    return ds, row


def _as_sender(handler):
    """Run ``handler`` in the workspace of the request's sender when sign-in is configured (401 without one)."""
    import functools

    @functools.wraps(handler)
    def checked(request: Request) -> Response:
        from latentlab.ui import auth, warm

        warm.imported()  # the engine is imported by the warm-up of a fresh server, not here at the same moment

        if not auth.configured():
            return handler(request, IMMUTABLE)
        from latentlab.core.workspace import using
        from latentlab.ui.auth_cookie import request_workspace

        root = request_workspace(request.cookies)
        if root is None:
            return JSONResponse({"error": "sign in first"}, status_code=401)
        with using(root):
            return handler(request, PRIVATE)

    return checked


@_as_sender
def item_png(request: Request, cache: dict = IMMUTABLE) -> Response:
    found = _item(request)
    if found is None or not has_picture(found[0]):
        return Response(status_code=404)
    from latentlab.core.render import png_bytes, single_image

    ds, row = found
    if ds.is_signal:
        from latentlab.core.curve_render import curve_picture

        picture = curve_picture(np.asarray(ds.x[row]))  # (C, T) as a 96x96 plot, the size the hover shows
    else:
        picture = single_image(np.asarray(ds.x[row]))
    return Response(png_bytes(picture), media_type="image/png", headers=cache)


@_as_sender
def item_json(request: Request, cache: dict = IMMUTABLE) -> Response:
    found = _item(request)
    if found is None:
        return JSONResponse({"error": "no such item"}, status_code=404)
    ds, row = found
    info: dict = {"index": row, "label": None, "label_name": ds.label_name}
    if ds.labels is not None:
        info["label"] = str(np.asarray(ds.labels[row]).item())
    if ds.texts is not None:
        # The text goes where the map's hover shows values as text (escaped), so markup in it stays inert.
        from latentlab.ui.text_view import snippet

        info["text"] = snippet(ds.texts[row])
        info["features"] = [["text", info["text"]]]
        if ds.metadata is not None:
            info["features"] += [[str(c), f"{v:.3g}" if isinstance(v, float) else str(v)]
                                 for c, v in ds.metadata.iloc[row].items()][:FEATURES_SHOWN - 1]
    elif ds.factors is not None:
        info["features"] = [[str(c), f"{v:.3g}" if isinstance(v, float) else str(v)]
                            for c, v in ds.factors.iloc[row].items()][:FEATURES_SHOWN]
    elif ds.is_signal:  # each channel's range: the curve itself is the picture
        from latentlab.lab import channel_names

        item = np.asarray(ds.x[row])  # (C, T)
        info["features"] = [[name, f"{float(c.min()):.3g} … {float(c.max()):.3g}"]
                            for name, c in zip(channel_names(ds, len(item)), item)][:FEATURES_SHOWN]
    elif not ds.is_image:
        values = np.asarray(ds.x[row]).ravel()[:FEATURES_SHOWN]
        names = ds.feature_names or [f"x{k}" for k in range(len(values))]
        info["features"] = [[str(n), f"{float(v):.3g}"] for n, v in zip(names, values)]
    return JSONResponse(info, headers=cache)


def decoded_url(ck) -> str:
    """The URL the Traverse page's sliders fetch ``?z=...`` from for checkpoint ``ck`` (below the server's
    ``server.baseUrlPath``)."""
    from urllib.parse import quote

    return f"{_base_path()}{DECODED}/{quote(ck.name, safe='')}/{ck.fingerprint[:16]}.png"


@_as_sender
def decoded_png(request: Request, cache: dict = IMMUTABLE) -> Response:
    """The code ``z`` (comma-separated values, one per latent) decoded by the checkpoint, as the Traverse page
    shows it: 404 for a checkpoint the sidebar does not list or of another version, 400 for a code that is not
    one finite value per latent."""
    from latentlab import lab
    from latentlab.ui import loaders

    name, version = request.path_params["name"], request.path_params["version"]
    if name not in {r["name"] for r in loaders.checkpoint_rows()}:
        return Response(status_code=404)
    ck = loaders.checkpoint(name)
    if ck.fingerprint[:16] != version or not getattr(ck.model, "has_decoder", True):
        return Response(status_code=404)
    try:
        z = np.array([float(v) for v in request.query_params.get("z", "").split(",")], dtype=np.float32)
    except ValueError:
        return Response("z: one number per latent, separated by commas", status_code=400)
    if z.shape != (ck.latent_dim,) or not np.isfinite(z).all():
        return Response(f"z: {ck.latent_dim} finite numbers", status_code=400)
    from latentlab.core.render import png_bytes, single_image

    item = lab.decode_latents(ck.model, z[None])[0]
    if item.ndim != 3:  # not a picture (C, H, W): the page decodes such models itself
        return Response(status_code=404)
    return Response(png_bytes(single_image(item, scale=max(1, 192 // item.shape[-1]))), media_type="image/png",
                    headers=cache)


def routes() -> list[Route]:
    """The item routes at the server's root and below any base path (``server.baseUrlPath``, which a proxy
    in front of the dashboard may add), whichever the configuration is when the routes are made."""
    return [
        Route(base + PREFIX + "/{name}/{version}/{row:int}" + ext, handler, methods=["GET"])
        for base in ("", "/{base:path}") for ext, handler in ((".png", item_png), (".json", item_json))
    ] + [Route(base + DECODED + "/{name}/{version}.png", decoded_png, methods=["GET"]) for base in ("", "/{base:path}")]
