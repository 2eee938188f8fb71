"""A disk cache for derived arrays, keyed by the fingerprints of their inputs.

``cached_arrays("embed", key, compute)`` returns the stored arrays if a file
for ``key`` exists, else calls ``compute()`` (a dict of arrays), stores it
atomically and returns it. Keys come from ``workspace.digest`` over the
inputs' fingerprints and parameters, so nothing is computed twice.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from latentlab.core.workspace import atomic_path, subdir


def cache_file(kind: str, key: str):
    return subdir("cache") / kind / f"{key}.npz"


def cached_arrays(kind: str, key: str, compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    path = cache_file(kind, key)
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        except (OSError, ValueError, EOFError):
            path.unlink(missing_ok=True)  # a damaged entry is recomputed
    arrays = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **{k: v for k, v in arrays.items() if v is not None})
    return arrays


def is_cached(kind: str, key: str) -> bool:
    return cache_file(kind, key).exists()
