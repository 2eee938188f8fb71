"""Warm a fresh dashboard process while the first browser loads the page.

``start()`` first puts the demo's embedding and UMAP map, shipped made, into the
workspace's disk cache (``latentlab.analysis.shipped_views``); then it runs, in a
background thread: the imports every page needs (torch, the engine, plotly) and
the default view's work (the demo dataset, checkpoint and embedding, then its
UMAP map when no shipped one fits) into the workspace's disk cache.
A page that needs the demo embedding ``wait``s for it (it is never encoded
twice at once); while the warm-up is still ``making`` the demo's UMAP, the Map
page draws a quick preview and switches to the UMAP when it is ready (``done``).
The UMAP starts once a browser has drawn that preview (``preview_shown``), so
the two do not share the CPU, or after ``PREVIEW_GRACE_S`` without one.
Warming is best effort: a failure is logged and the page computes as usual.
"""

from __future__ import annotations

import gc
import logging
import os
import threading

DEMO_DATASET = "digits"
DEMO_CHECKPOINT = "digits-vae"

_started = threading.Event()
_embedded = threading.Event()  # the demo embedding is in the disk cache (or the warm-up gave up)
_go = threading.Event()  # a browser has drawn the preview: the demo's map may take the CPU now
_done = threading.Event()
PREVIEW_GRACE_S = 5.0  # the demo's map starts after this long even when no browser shows the preview
_making: list[str] = []  # the cache key of the projection being made
_log = logging.getLogger(__name__)


# What the Map page (the first page a browser opens) imports: imported here while the browser loads, so the
# page's first run finds them loaded (they reach torch through the engine's map helpers).
FIRST_PAGE_MODULES = ("latentlab.core.render", "latentlab.ui.scatter", "latentlab.ui.sidebar", "latentlab.ui.panels",
                      "latentlab.ui.map_colours", "latentlab.ui.figure_downloads", "latentlab.ui.text_view",
                      "latentlab.ui.map_settings")


def _warm() -> None:
    try:
        import importlib

        for module in FIRST_PAGE_MODULES:
            importlib.import_module(module)
        from latentlab import lab  # torch and the engine
        import torch

        # The server's tensor work is small and comes from many sessions at once (a slider's decode, a page's
        # inline map): one intra-op thread each, as the sessions are the parallelism. Two threads per decode made
        # eight sessions' slider moves wait on each other's spinning workers. Jobs run in processes of their own.
        torch.set_num_threads(1)
        emb = lab.embed(DEMO_CHECKPOINT, DEMO_DATASET)
        gc.freeze()  # the modules just loaded live as long as the process: no collection need walk them again
        if lab.projection_cached(emb, "umap", 2, 0):  # made by an earlier process
            return
        _making.append(lab.projection_key(emb, "umap", 2, 0))
        _embedded.set()
        _go.wait(PREVIEW_GRACE_S)
        _background()
        from latentlab.core.device import torch_threads

        # One thread for about a second: torch's idle workers would spin on the other core, which the first
        # browser still needs for the page. The demo's map takes about as long either way.
        with torch_threads(1):
            lab.project(emb, method="umap", dims=2, seed=0)
    except Exception:  # the page computes as usual
        _log.exception("warming the dashboard failed")
    finally:
        _making.clear()
        _embedded.set()
        _done.set()


def _background() -> None:
    """Lower this thread's scheduling priority (Linux: a thread has its own nice value), so that the demo's
    map yields the CPU to the pages being served; it ends with the thread."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):  # not Linux, or not allowed
        pass


def start() -> None:
    """Put the shipped demo's embedding and map into the workspace's cache (milliseconds, see
    ``latentlab.analysis.shipped_views``), then begin warming in a daemon thread (once per process)."""
    if not _started.is_set():
        _started.set()
        from latentlab import lab

        lab.seed_shipped_views()
        threading.Thread(target=_warm, name="latentlab-warm", daemon=True).start()


def wait(timeout: float = 20.0, embedding_only: bool = False) -> None:
    """Block until a started warm-up has finished, or only until the demo embedding is ready (returns at
    once if none was started)."""
    if _started.is_set():
        (_embedded if embedding_only else _done).wait(timeout)


def making(projection_key: str) -> bool:
    """Whether the warm-up is making this projection right now (``lab.projection_key``)."""
    return not _done.is_set() and projection_key in list(_making)


def preview_shown() -> None:
    """A browser has drawn the preview of the demo's map: let the warm-up make the map itself (it would
    otherwise compete with that browser's drawing for the CPU)."""
    _go.set()


def done() -> bool:
    return not _started.is_set() or _done.is_set()
