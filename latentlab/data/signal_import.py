"""Signals (time series) from files -> datasets of kind ``"signal"``, items of shape (C, T).

Rules, stated once:

- Signals are asked for (``latentlab import FILE --signal``, ``signal=True``), never guessed: without it a
  2-D array reads as a table and a 3-D one as images, and a long table as a table.
- NPY/NPZ: the items are (N, T) (one channel) or (N, C, T). An NPZ holds them under ``x`` (or ``X``,
  ``data``, ``signals``, else its first array), with optional ``labels`` (or ``y``, one per item),
  ``factors`` (integer codes, (N,) or (N, K)), ``times`` ((T,), increasing) and ``channels`` ((C,) names).
- Long CSV, TSV or Parquet: one row per sample, ``id`` naming the item, ``time`` the sample's time, and
  one column per channel (``channels``; by default every other numeric column). Every item must have the
  same times; an item with more or fewer samples, other times, or one time twice is refused with its id.
  ``labels`` and ``factors`` columns hold one value per item (a column that changes within an item is
  refused with the item). Items keep the order of their first row.
- Values must be finite numbers: a non-numeric value, NaN or infinity (or beyond +-1e30) is refused with
  its row, channel and item. Nothing is dropped: a dropped sample would shift an item's time axis.
- Sizes: at most ``max_items`` items, ``max_signal_channels`` channels and ``max_signal_values`` values
  in all (N x C x T); at least two items of at least two samples.
- Values are kept as given (float32), so an import round-trips float32 values exactly; ``standardise``
  scales each channel to mean 0 and standard deviation 1 over all items and times (the means and scales
  are kept as ``feature_mean`` and ``feature_scale``, (C,)).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from latentlab.core.errors import LatentLabError
from latentlab.core.limits import checked_file, limit
from latentlab.data.dataset import Dataset, array_fingerprint
from latentlab.data.tables import MAX_MAGNITUDE, PARQUET_SUFFIXES, TEXT_SUFFIXES, read_parquet, read_text_table

ITEM_KEYS = ("x", "X", "data", "signals")
LABEL_KEYS = ("labels", "y", "targets")
ARRAY_SUFFIXES = {".npy", ".npz"}
SIGNAL_SUFFIXES = ARRAY_SUFFIXES | TEXT_SUFFIXES | PARQUET_SUFFIXES


def read_signal_file(path: str | Path, name: str, id: str | None = None, time: str | None = None,
                     channels: list[str] | None = None, labels: str | None = None, factors: list[str] | None = None,
                     standardise: bool = False) -> Dataset:
    """Read signals from an NPY/NPZ array or a long CSV/TSV/Parquet table (the rules are the module's).

    Parameters
    ----------
    path : the file; its suffix picks the reader.
    name : the dataset's name.
    id, time : a long table's item and time columns (both required for tables, refused for arrays).
    channels : a long table's value columns, one per channel; None: every other numeric column.
    labels : a long table's label column, or the NPZ array holding labels.
    factors : a long table's integer factor columns.
    standardise : scale each channel to mean 0 and standard deviation 1.
    """
    path, suffix = checked_file(path, SIGNAL_SUFFIXES, " for signals; use NPY, NPZ, or a long CSV, TSV or Parquet table")
    if suffix in ARRAY_SUFFIXES:
        if id or time or channels or factors:
            raise LatentLabError(f"{path.name}: `id`, `time`, `channels` and `factors` name a long table's columns; "
                                 "an array file holds its signals as (N, T) or (N, C, T) (and 'factors' as an array).",
                                 param="id" if id else "time" if time else "channels" if channels else "factors",
                                 also=("id", "time", "channels", "factors"))
        arrays = _read_arrays(path, labels)
        return signal_arrays_to_dataset(path.name, name, arrays.pop("x"), standardise=standardise, **arrays)
    if not id or not time:
        raise LatentLabError(f"{path.name}: a long table of signals needs its item and time columns named "
                             "(`id` and `time`).", param="time" if id else "id", also=("id", "time"))
    df = read_parquet(path) if suffix in PARQUET_SUFFIXES else read_text_table(path)
    return long_table_to_dataset(df, path.name, name, id, time, channels, labels, factors, standardise)


def _read_arrays(path: Path, label_key: str | None) -> dict:
    """The item array and the optional ones of an NPY or NPZ file, never unpickling."""
    from latentlab.data.arrays import archive_arrays, load_numpy

    loaded = load_numpy(path, "numpy.save or numpy.savez")
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        if label_key:
            raise LatentLabError(f"{path.name}: a .npy file holds one array, so it has no '{label_key}' labels; "
                                 "save the signals and labels together with numpy.savez.")
        return {"x": loaded}
    with loaded as archive:
        keys = list(archive.files)
        if not keys:
            raise LatentLabError(f"{path.name}: the NPZ archive holds no arrays; save the signals under the key 'x'.")
        if label_key and label_key not in keys:
            raise LatentLabError(f"{path.name}: no array named '{label_key}' (arrays: {', '.join(keys)}); pick one of those.")
        wanted = {"x": next((k for k in ITEM_KEYS if k in keys), keys[0]),
                  "labels": label_key or next((k for k in LABEL_KEYS if k in keys), None),
                  "factors": "factors", "times": "times", "channel_names": "channels"}
        return archive_arrays(archive, path, {role: key for role, key in wanted.items() if key in keys})


def signal_arrays_to_dataset(src: str, name: str, x: np.ndarray, labels=None, factors=None, times=None,
                             channel_names=None, factor_names: list[str] | None = None,
                             standardise: bool = False) -> Dataset:
    """Signals ``x`` (N, T) or (N, C, T), with optional labels (N,), integer factors (N,) or (N, K), sample
    times (T,) and channel names (C,), as a dataset of kind ``"signal"``; refused in one sentence when any
    of them is not what the module's rules ask for."""
    x = np.asarray(x) if not isinstance(x, np.memmap) else x
    if x.dtype == object or x.dtype.kind not in "biuf":
        raise LatentLabError(f"{src}: the signal array has dtype {x.dtype}, which is not numeric; save numbers only.")
    if x.ndim == 2:
        x = x[:, None, :]
    if x.ndim != 3:
        raise LatentLabError(f"{src}: signals must be an array of shape (items, samples) or (items, channels, samples), "
                             f"got shape {x.shape}.")
    n, c, t = (int(s) for s in x.shape)
    _check_sizes(src, n, c, t)
    x = np.asarray(x, dtype=np.float32) if x.dtype != np.float32 else np.array(x)  # a private copy, never the map
    _check_finite(src, x)
    labels = _one_per_item(src, "labels", labels, n)
    fac = None
    if factors is not None:
        factors = np.asarray(factors)
        if factors.dtype.kind not in "biu" or factors.ndim not in (1, 2) or factors.shape[0] != n:
            raise LatentLabError(f"{src}: 'factors' must be integer codes of shape ({n},) or ({n}, K), got "
                                 f"{factors.dtype} of shape {factors.shape}.")
        factors = factors.reshape(n, -1).astype(np.int64)
        names = factor_names or [f"factor_{k}" for k in range(factors.shape[1])]
        fac = pd.DataFrame(factors, columns=names)
    times = _checked_times(src, times, t)
    names = _checked_channel_names(src, channel_names, c)
    mean = scale = None
    if standardise:
        mean = x.mean(axis=(0, 2), dtype=np.float64)  # (C,)
        std = x.std(axis=(0, 2), dtype=np.float64)
        std = np.where(std > 0, std, 1.0)
        x = ((x - mean[None, :, None]) / std[None, :, None]).astype(np.float32)
        mean, scale = mean.astype(np.float32), std.astype(np.float32)
    done = "each channel standardised (mean 0, standard deviation 1)" if standardise else "values kept as given"
    return Dataset(name=name, x=x, kind="signal", labels=labels, factors=fac, channel_names=names, times=times,
                   fingerprint=array_fingerprint(x, labels),
                   description=f"Signals from {src}: {n:,} items of {c} channel{'s' * (c != 1)} x {t:,} samples, {done}.",
                   feature_mean=mean, feature_scale=scale)


def _check_sizes(src: str, n: int, c: int, t: int) -> None:
    if n < 2 or t < 2 or c < 1:
        raise LatentLabError(f"{src}: a signal dataset needs at least two items of at least two samples, got {n:,} "
                             f"items of {c} channels x {t:,} samples.")
    if n > limit("max_items"):
        raise LatentLabError(f"{src}: {n:,} items is over the limit of {limit('max_items'):,}.")
    if c > limit("max_signal_channels"):
        raise LatentLabError(f"{src}: {c:,} channels is over the limit of {limit('max_signal_channels'):,}.")
    if n * c * t > limit("max_signal_values"):
        raise LatentLabError(f"{src}: {n:,} items x {c:,} channels x {t:,} samples = {n * c * t:,} values is over the "
                             f"limit of {limit('max_signal_values'):,}; import fewer or shorter signals.")


def _check_finite(src: str, x: np.ndarray) -> None:
    """Refuse NaN, infinities and values beyond float32's safe range, naming the first one's place."""
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(x) & (np.abs(x) < MAX_MAGNITUDE))
    if bad.any():
        i, ch, s = (int(v) for v in np.argwhere(bad)[0])
        raise LatentLabError(f"{src}: item {i}, channel {ch}, sample {s} holds {float(x[i, ch, s])}, which is not a finite "
                             "number; signals must be finite everywhere (replace or interpolate it before importing).")


def _one_per_item(src: str, what: str, values, n: int) -> np.ndarray | None:
    if values is None:
        return None
    values = np.asarray(values)
    if values.dtype == object or values.ndim != 1 or values.shape[0] != n:
        raise LatentLabError(f"{src}: '{what}' must be a numeric or string array with one value per item ({n:,}), "
                             f"got {values.dtype} of shape {values.shape}.")
    return values if values.dtype.kind in "iub" else values.astype(str)


def _checked_times(src: str, times, t: int) -> np.ndarray | None:
    if times is None:
        return None
    times = np.asarray(times)
    if times.dtype.kind not in "iuf" or times.shape != (t,):
        raise LatentLabError(f"{src}: 'times' must be {t:,} numbers, one per sample, got {times.dtype} of shape {times.shape}.")
    times = times.astype(np.float64)
    if not np.isfinite(times).all() or not (np.diff(times) > 0).all():
        raise LatentLabError(f"{src}: 'times' must be finite and strictly increasing.")
    return times


def _checked_channel_names(src: str, names, c: int) -> list[str]:
    if names is None:
        return [f"ch{k}" for k in range(c)] if c > 1 else ["signal"]
    names = [str(v) for v in np.asarray(names).reshape(-1).tolist()]
    if len(names) != c or len(set(names)) != c:
        raise LatentLabError(f"{src}: 'channels' must hold {c} different names, one per channel, got {len(names)} "
                             f"({len(set(names))} different).")
    return names


def long_table_to_dataset(df: pd.DataFrame, src: str, name: str, id: str, time: str, channels: list[str] | None = None,
                          labels: str | None = None, factors: list[str] | None = None,
                          standardise: bool = False) -> Dataset:
    """A long table (one row per sample: item ``id``, ``time``, one column per channel) as a signal dataset."""
    factors = list(factors or [])
    named = [id, time, *(channels or []), *([labels] if labels else []), *factors]
    missing = [c for c in named if c not in df.columns]
    if missing:
        cols = ", ".join(map(str, list(df.columns)[:12]))
        raise LatentLabError(f"{src}: no column named '{missing[0]}' (columns: {cols}); pick one of those.")
    if len(set(named)) != len(named):
        raise LatentLabError(f"{src}: a column is named twice among `id`, `time`, `channels`, `labels` and `factors`; "
                             "give each role its own column.", also=("id", "time", "channels", "labels", "factors"))
    if channels is None:
        taken = {id, time, labels, *factors}
        channels = [c for c in df.columns if c not in taken and df[c].dtype.kind in "iufb"]
        if not channels:
            raise LatentLabError(f"{src}: no numeric column is left for the signal's values; name them with `channels`.",
                                 param="channels")
    if len(df) < 4:
        raise LatentLabError(f"{src}: the table has {len(df)} rows; a signal dataset needs at least two items of at "
                             "least two samples.")
    if df[id].isna().any():
        raise LatentLabError(f"{src}: row {int(np.flatnonzero(df[id].isna().to_numpy())[0]) + 1} has no item id in "
                             f"column '{id}'; every sample needs one.")
    t_values = _numeric_column(df, time, src, "time")
    values = np.stack([_numeric_column(df, c, src, "channel") for c in channels], axis=1)  # (rows, C)
    codes, ids = pd.factorize(df[id], sort=False)  # items in the order of their first row
    frame = pd.DataFrame({"item": codes, "time": t_values})
    dup = frame.duplicated(["item", "time"]).to_numpy()
    if dup.any():
        r = int(np.flatnonzero(dup)[0])
        raise LatentLabError(f"{src}: row {r + 1} repeats time {t_values[r]:g} of item '{ids[codes[r]]}'; each item "
                             "needs one row per time.")
    counts = np.bincount(codes)
    n, t, c = len(ids), int(counts[0]), len(channels)
    if (counts != t).any():
        k = int(np.flatnonzero(counts != t)[0])
        raise LatentLabError(f"{src}: item '{ids[k]}' has {counts[k]:,} samples but item '{ids[0]}' has {t:,}; every "
                             "item needs the same times (the signals are ragged).")
    _check_sizes(src, n, c, t)
    order = np.lexsort((t_values, codes))  # by item, then time
    grid = t_values[order].reshape(n, t)
    differs = np.flatnonzero((grid != grid[0]).any(axis=1))
    if len(differs):
        raise LatentLabError(f"{src}: item '{ids[differs[0]]}' is sampled at other times than item '{ids[0]}'; every "
                             "item needs the same times (resample them onto one grid first).")
    x = values[order].reshape(n, t, c).transpose(0, 2, 1)  # (N, C, T)
    first = np.flatnonzero(np.r_[True, codes[order][1:] != codes[order][:-1]])  # each item's first sorted row
    label_values = None
    if labels:
        label_values = _per_item(df[labels].to_numpy()[order], first, ids, labels, src)
        label_values = label_values if label_values.dtype.kind in "iub" else label_values.astype(str)
    factor_values = None
    if factors:
        factor_values = np.stack([_per_item(_integer_column(df, f, src)[order], first, ids, f, src) for f in factors], 1)
    ds = signal_arrays_to_dataset(src, name, x, labels=label_values, factors=factor_values, times=grid[0],
                                  channel_names=channels, factor_names=factors, standardise=standardise)
    ds.label_name = labels or "label"
    return ds


def _numeric_column(df: pd.DataFrame, column: str, src: str, role: str) -> np.ndarray:
    """A column as float64, refused at its first value that is not a finite number."""
    raw = df[column]
    as_num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64) if raw.dtype.kind not in "iufb" \
        else raw.to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(as_num) & (np.abs(as_num) < MAX_MAGNITUDE))
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        shown = str(raw.iloc[r])[:40]
        raise LatentLabError(f"{src}: row {r + 1}, {role} column '{column}' holds '{shown}', which is not a finite "
                             "number; signals must be finite numbers everywhere (nothing is dropped).")
    return as_num


def _integer_column(df: pd.DataFrame, column: str, src: str) -> np.ndarray:
    values = _numeric_column(df, column, src, "factor")
    if not np.array_equal(values, np.round(values)):
        r = int(np.flatnonzero(values != np.round(values))[0])
        raise LatentLabError(f"{src}: row {r + 1}, factor column '{column}' holds {values[r]:g}; factors must be "
                             "integer codes.")
    return values.astype(np.int64)


def _per_item(sorted_values: np.ndarray, first: np.ndarray, ids, column: str, src: str) -> np.ndarray:
    """One value per item from a column sorted by item, refused when it changes within an item."""
    per_item = sorted_values[first]
    repeated = np.repeat(per_item, np.diff(np.r_[first, len(sorted_values)]))
    same = pd.Series(sorted_values).astype(str).to_numpy() == pd.Series(repeated).astype(str).to_numpy()
    if not same.all():
        k = int(np.searchsorted(first, np.flatnonzero(~same)[0], side="right") - 1)
        raise LatentLabError(f"{src}: column '{column}' changes within item '{ids[k]}'; it must hold one value per item.")
    return per_item
