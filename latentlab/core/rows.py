"""A seeded sample of a dataset's rows, written once: maps, metrics, comparisons, directions and DEC's targets
all work on "every row up to ``n``, else a fixed seeded ``n`` of them, in ascending order"."""

from __future__ import annotations

import numpy as np


def row_sample(n_items: int, n: int, seed: int = 0) -> np.ndarray:
    """Every row index of ``n_items`` when there are at most ``n``, else ``n`` of them drawn without replacement by
    ``np.random.default_rng(seed)``, sorted: (min(n_items, n),) int64. The same arguments give the same rows."""
    if n_items <= n:
        return np.arange(n_items)
    return np.sort(np.random.default_rng(seed).choice(n_items, size=n, replace=False))
