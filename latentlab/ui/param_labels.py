"""The dashboard's words for an engine error: each parameter the message names, as the label of the control
that sets it on the page that shows it.

A page passes its own small mapping to ``sidebar.user_errors(labels)``; the mappings of the pages' shared
controls live here. A parameter a mapping lacks keeps the engine's plain name.
"""

from __future__ import annotations

from collections.abc import Mapping

from latentlab.core.errors import LatentLabError, parameters_in_words

TRAIN = {"executor": "Run on", "cpus_per_run": "CPUs per run",
         "gpus_per_run": "GPUs per run", "name": "Checkpoint name (optional)", "grid": "values"}
DATA_IMPORT = {"name": "Dataset name", "labels": "Label column", "text": "Text column", "encoder": "Encoder",
               "id": "Item column", "time": "Time column"}
TRAVERSE = {"index": "Item index"}

__all__ = ["DATA_IMPORT", "TRAIN", "TRAVERSE", "job_error", "worded"]


def worded(exc: LatentLabError, labels: Mapping[str, str] | None = None) -> str:
    """``exc``'s sentence with each parameter it names written as its control's label, in bold; a parameter
    ``labels`` lacks is written in words (``ray_address`` as "ray address"), never as code a page has no control
    for."""
    labels = labels or {}
    return exc.worded(lambda param: f"**{labels[param]}**" if param in labels else param.replace("_", " "))


def job_error(text: str) -> str:
    """A failed job's stored message (the engine's sentence, kept as text) with each parameter it names between
    backticks written in words, as ``worded`` writes a parameter a page has no label for."""
    return parameters_in_words(text)
