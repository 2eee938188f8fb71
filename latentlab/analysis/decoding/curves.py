"""Signals as tables of their values, for the CSV exports of curves (selections, traversals, samples).

The table is long, one row per sample: the columns that name the curve (an item's index and whether it is
the input or its reconstruction, a traversal's latent and value, ...), then ``channel``, ``time`` and
``value``. Pivoted to one column per channel, with one id column per curve, it is the long format
``latentlab import FILE --signal --id ... --time ...`` reads (an item's rows with its channels side by side).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def signal_times(ds, length: int) -> np.ndarray:
    """The sample times of a signal dataset's items (T,): its recorded times, else the sample numbers."""
    times = getattr(ds, "times", None)
    return np.asarray(times, dtype=np.float64) if times is not None and len(times) == length else np.arange(length, dtype=np.float64)


def channel_names(ds, channels: int) -> list[str]:
    """The dataset's channel names, or ch0, ch1, ... when it has none for this many channels."""
    names = list(getattr(ds, "channel_names", None) or [])
    return names if len(names) == channels else [f"ch{c}" for c in range(channels)]


def curves_frame(items: np.ndarray, ds, ids: dict[str, list] | pd.DataFrame) -> pd.DataFrame:
    """Signals (N, C, T) as a long table: the N rows of ``ids`` (one column per name of the curve), each
    repeated for every channel and time, then ``channel``, ``time`` and ``value``: N x C x T rows.

    Parameters
    ----------
    items : (N, C, T) values.
    ds : the dataset the signals are of (its channel names and times label the rows).
    ids : N values per column naming each curve, e.g. {"index": [...], "curve": ["input", ...]}.
    """
    items = np.asarray(items)
    n, c, t = items.shape
    ids = pd.DataFrame(ids).reset_index(drop=True)
    if len(ids) != n:
        raise ValueError(f"ids has {len(ids)} rows for {n} curves")
    frame = ids.loc[np.repeat(np.arange(n), c * t)].reset_index(drop=True)
    frame["channel"] = np.tile(np.repeat(channel_names(ds, c), t), n)
    frame["time"] = np.tile(signal_times(ds, t), n * c)
    frame["value"] = items.reshape(-1).astype(np.float64)
    return frame


def traversal_curves(grid: np.ndarray, ds, dims: list, values: np.ndarray, row_name: str = "dim") -> pd.DataFrame:
    """A traversal's decoded signals (R, K, C, T) as a long table with ``row_name`` (the latent, or the
    direction), ``step`` and ``latent_value`` naming each curve."""
    R, K = grid.shape[:2]
    ids = {row_name: np.repeat(list(dims), K), "step": np.tile(np.arange(K), R),
           "latent_value": np.asarray(values, dtype=np.float64).reshape(-1)}
    return curves_frame(grid.reshape(R * K, *grid.shape[2:]), ds, ids)
