"""Warm a fresh dashboard process while the first browser loads the page.

``start()`` returns at once (the server listens without waiting for the engine) and begins, in a background
thread, by importing the engine's data package and pandas (script runs and item requests wait for that:
``imported``), then putting the demo's embedding and UMAP map, shipped made, into the
workspace's disk cache (``latentlab.analysis.shipped_views``), so the first map is read, not made, and needs no
torch; then it imports the first page's modules and reads the demo's checkpoint and embedding. torch and the demo's
model follow only once a browser has drawn a map (``preview_shown``), or after ``PREVIEW_GRACE_S`` without one,
so that its import does not take the CPU the browser draws with. Where no shipped view fits, the embedding is
encoded here and the demo's UMAP made into the disk cache. A page that needs the embedding ``wait``s for it (it
is never encoded twice at once, nor read before it is in the cache); while the warm-up is ``making`` the UMAP,
the Map page draws a quick preview and switches to the UMAP when it is ready (``done``); the UMAP starts once a
browser has drawn that preview. Warming is best effort: a failure is logged and the page computes as usual.
"""

from __future__ import annotations

import gc
import logging
import os
import threading

DEMO_DATASET = "digits"
DEMO_CHECKPOINT = "digits-vae"

_started = threading.Event()
_imported = threading.Event()  # the engine's data package is imported (or failed to): others may import it now
_embedded = threading.Event()  # the demo embedding is in the disk cache (or the warm-up gave up)
_go = threading.Event()  # a browser has drawn the preview: the demo's map may take the CPU now
_done = threading.Event()
PREVIEW_GRACE_S = 5.0  # the demo's map starts after this long even when no browser shows the preview
_making: list[str] = []  # the cache key of the projection being made
_log = logging.getLogger(__name__)


# What the Map page (the first page a browser opens) imports: imported here while the browser loads, so the
# page's first run finds them loaded. None of them imports torch.
FIRST_PAGE_MODULES = ("latentlab.core.render", "latentlab.ui.scatter", "latentlab.ui.sidebar", "latentlab.ui.panels",
                      "latentlab.ui.map_colours", "latentlab.ui.figure_downloads", "latentlab.ui.text_view",
                      "latentlab.ui.map_settings")


def _torch_for_sessions() -> None:
    """Import torch, with one intra-op thread: the server's tensor work is small and comes from many sessions at
    once (a slider's decode, a page's inline map), and the sessions are the parallelism. Two threads per decode
    made eight sessions' slider moves wait on each other's spinning workers. Jobs run in processes of their own."""
    import torch

    torch.set_num_threads(1)


def _warm() -> None:
    try:
        _import_engine()
        import importlib

        from latentlab import lab

        # First, while no page can have asked for them yet (a page reads the demo's embedding and map only once
        # ``_embedded`` and ``_done`` are set): the shipped embedding and map into the cache.
        lab.seed_shipped_views()
        for module in FIRST_PAGE_MODULES:
            importlib.import_module(module)

        ck = lab.read_checkpoint(DEMO_CHECKPOINT, lazy=True)  # its model is built below, once the map is drawn
        if not lab.embedding_ready(ck, DEMO_DATASET):  # no shipped view fits: encoded here, with torch
            _torch_for_sessions()
        emb = lab.embed(ck, DEMO_DATASET)
        if lab.projection_cached(emb, "umap", 2, 0):  # the shipped view, or made by an earlier process
            # Nothing a page waits for is left to make. The first map needs no torch: its import (a second of CPU)
            # waits until a browser has drawn it, so the two do not share the CPU; then the demo's model is built
            # for the first decode.
            _embedded.set()
            _done.set()
            _go.wait(PREVIEW_GRACE_S)
            _background()
            _torch_for_sessions()
            ck.model  # noqa: B018
            gc.freeze()  # the modules just loaded live as long as the process: no collection need walk them again
            return
        _torch_for_sessions()
        gc.freeze()
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
    """Begin warming in a daemon thread (once per process); returns at once, so the server listens without
    waiting for the engine's imports."""
    if not _started.is_set():
        _started.set()
        _skip_repl_check()
        threading.Thread(target=_warm, name="latentlab-warm", daemon=True).start()


def _skip_repl_check() -> None:
    """Streamlit's first element of a process checks whether it runs in a REPL, to warn that a script belongs
    under `streamlit run`: an ``inspect.stack()`` of the script thread that resolves every frame's module, 0.1 s of
    the first page's run. This process is a `streamlit run` server, so the warning cannot apply; the check is
    marked done. (A private flag: where a Streamlit release renames it, setting it does nothing.)"""
    from streamlit import delta_generator

    if hasattr(delta_generator, "_use_warning_has_been_displayed"):
        delta_generator._use_warning_has_been_displayed = True


def imported(timeout: float = 60.0) -> None:
    """Block until a started warm-up has imported the engine's data package and pandas (returns at once if none
    was started). Every script run and item request calls this before importing the engine: imported by the
    warm-up while another thread imports it too, the data package's modules were seen half-initialised."""
    if _started.is_set():
        _imported.wait(timeout)


def _import_engine() -> None:
    try:
        import latentlab.core.render  # noqa: F401
        from latentlab import lab

        lab.list_datasets  # noqa: B018 (resolving the name imports latentlab.data, its registry and pandas)
    finally:
        _imported.set()


def wait(timeout: float = 20.0, embedding_only: bool = False) -> None:
    """Block until a started warm-up has finished, or only until the demo embedding is ready (returns at
    once if none was started)."""
    if _started.is_set():
        (_embedded if embedding_only else _done).wait(timeout)


def making(projection_key: str) -> bool:
    """Whether the warm-up is making this projection right now (``lab.projection_key``)."""
    return not _done.is_set() and projection_key in list(_making)


def preview_shown() -> None:
    """A browser has drawn a map (the demo's preview, or the demo's map itself): let the warm-up take the CPU
    (for the demo's UMAP, or torch's import), which would otherwise compete with that browser's drawing."""
    _go.set()


def done() -> bool:
    return not _started.is_set() or _done.is_set()
