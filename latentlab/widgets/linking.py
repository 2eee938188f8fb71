"""Widgets that follow each other: a map's click or selection sets a traversal's base point, and two maps of
the same items share one selection.

``link(map, traverse)`` and ``link(map_a, map_b)`` return a ``Link``; its ``unlink()`` stops the following.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from latentlab.core.errors import LatentLabError


@dataclass
class Link:
    """A running link: ``unlink()`` removes its observers."""

    _undo: list[Callable[[], None]]

    def unlink(self) -> None:
        for undo in self._undo:
            undo()
        self._undo = []


def selection_base(embedding, rows: np.ndarray):
    """The traversal base a selection gives: its one row, or the mean latent of the rows selected (a code)."""
    rows = np.asarray(rows, dtype=np.int64)
    return int(rows[0]) if len(rows) == 1 else embedding.mean[rows].mean(0)


def link(a, b) -> Link:
    """Link a ``Map`` to a ``Traverse`` (a click on the map makes that item the traversal's base point; a
    selection makes its mean code the base) or to another ``Map`` of the same items (one selection on both)."""
    from latentlab.widgets.map_widget import Map
    from latentlab.widgets.traverse_widget import Traverse

    if isinstance(a, Map) and isinstance(b, Traverse):
        return _map_to_traverse(a, b)
    if isinstance(a, Map) and isinstance(b, Map):
        return _maps(a, b)
    raise LatentLabError(f"`link` joins a Map to a Traverse or to another Map, not a {type(a).__name__} to a "
                         f"{type(b).__name__}.", param="b")


def _map_to_traverse(m, t) -> Link:
    if len(m.source) != len(t.dataset):
        raise LatentLabError(f"The map holds {len(m.source):,} items and the traversal's dataset "
                             f"'{t.dataset.name}' {len(t.dataset):,}; link a map of the traversal's items.", param="b")
    ck = m.source.checkpoint
    same_codes = ck is not None and ck.fingerprint == t.checkpoint.fingerprint
    space = m.source.embedding if same_codes else t.embedding  # the traversal's own codes of the selected rows

    def follow(change):
        rows = np.asarray(change["new"], dtype=np.int64)
        if len(rows):
            t.base = selection_base(space, rows)

    m.observe(follow, "selection")
    return Link([lambda: m.unobserve(follow, "selection")])


def _maps(a, b) -> Link:
    if len(a.source) != len(b.source):
        raise LatentLabError(f"Maps of {len(a.source):,} and {len(b.source):,} items cannot share a selection; link "
                             "maps of the same items.", param="b")

    def to(other):
        def follow(change):
            if list(other.selection) != list(change["new"]):
                other.selection = list(change["new"])
        return follow

    ab, ba = to(b), to(a)
    a.observe(ab, "selection")
    b.observe(ba, "selection")
    return Link([lambda: a.unobserve(ab, "selection"), lambda: b.unobserve(ba, "selection")])
