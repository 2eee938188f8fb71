"""Warm a fresh dashboard process while the first browser loads the page.

``start()`` runs, in a background thread: the imports every page needs
(torch, the engine, plotly) and the default view's work (the demo dataset,
checkpoint, embedding and UMAP map) into the workspace's disk cache. The page
then finds the modules imported and the results cached. Pages that would
compute the same result first ``wait()`` for the warm-up, so it is never
computed twice at once. Warming is best effort: a failure is logged and the
page computes as usual.
"""

from __future__ import annotations

import logging
import threading

DEMO_DATASET = "digits"
DEMO_CHECKPOINT = "digits-vae"

_done = threading.Event()
_started = threading.Event()
_log = logging.getLogger(__name__)


def _warm() -> None:
    try:
        import plotly.graph_objects  # noqa: F401

        import latentlab.ui.figures  # noqa: F401
        from latentlab import lab  # torch and the engine

        emb = lab.embed(DEMO_CHECKPOINT, DEMO_DATASET)
        lab.project_embedding(emb, "umap", 2, 0)
    except Exception:  # the page computes as usual
        _log.exception("warming the dashboard failed")
    finally:
        _done.set()


def start() -> None:
    """Begin warming in a daemon thread (once per process)."""
    if not _started.is_set():
        _started.set()
        threading.Thread(target=_warm, name="latentlab-warm", daemon=True).start()


def wait(timeout: float = 20.0) -> None:
    """Block until a started warm-up has finished (returns at once if none was started)."""
    if _started.is_set():
        _done.wait(timeout)
