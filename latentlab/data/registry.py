"""One registry of datasets: built-ins by short name, plus imported files.

Imported datasets live in ``$LATENTLAB_HOME/datasets`` as ``NAME.npz`` (arrays,
no pickles) with a ``NAME.json`` manifest; the manifest is written last, so a
dataset is listed only once it is whole.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from latentlab.data import builtin, shapes, signals
from latentlab.data.dataset import Dataset
from latentlab.data.readers import read_file
from latentlab.core.errors import LatentLabError
from latentlab.core.progress import ProgressFn
from latentlab.core.workspace import atomic_path, remove_stale_temporaries, subdir, write_json_atomic


@dataclass(frozen=True)
class BuiltinDataset:
    name: str
    loader: Callable[[], Dataset]
    kind: str
    summary: str
    item_shape: tuple


BUILTINS: dict[str, BuiltinDataset] = {
    "digits": BuiltinDataset("digits", builtin.load_digits, "image", "1,797 8x8 handwritten digits with labels", (1, 8, 8)),
    "shapes": BuiltinDataset(
        "shapes", shapes.load_shapes_full, "image", "737,280 64x64 dSprites-style images, 5 factors (cached on disk)",
        (1, 64, 64),
    ),
    "shapes-20k": BuiltinDataset(
        "shapes-20k", lambda: shapes.load_shapes_subset(20_000), "image", "a fixed 20,000-image subset of shapes",
        (1, 64, 64),
    ),
    "signals": BuiltinDataset(
        "signals", signals.load_signals, "signal",
        "32,768 EEG-like signals, 3 channels x 128 samples, 5 factors (an ERP bump and an oscillation)", (3, 128),
    ),
    "wine": BuiltinDataset("wine", builtin.load_wine, "tabular", "178 wines, 13 standardised features, 3 classes", (13,)),
    "breast-cancer": BuiltinDataset(
        "breast-cancer", builtin.load_breast_cancer, "tabular", "569 tumours, 30 standardised features, 2 classes", (30,)
    ),
}

TEXTS_SUFFIX, ENCODER_SUFFIX = ".texts.parquet", ".encoder.npz"  # a text dataset's documents, its encoder's arrays
TEXT_FIELD, META_PREFIX = "text", "meta."  # NAME.texts.parquet's columns: the texts, and "meta." + each metadata column

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SHAPES_N = re.compile(r"^shapes-(\d+)(k?)$")


def _datasets_dir() -> Path:
    return subdir("datasets")


def list_datasets() -> list[dict]:
    """Built-in and imported datasets, one dict each (name, kind, source, summary, item_shape; an imported one
    also n, fingerprint and codes_of, read from its manifest without loading its arrays)."""
    rows = [{"name": b.name, "kind": b.kind, "source": "built-in", "summary": b.summary, "item_shape": list(b.item_shape)}
            for b in BUILTINS.values()]
    for manifest in sorted(_datasets_dir().glob("*.json")):
        try:
            meta = json.loads(manifest.read_text())
        except (OSError, ValueError):
            continue
        if (manifest.with_suffix(".npz")).exists():
            rows.append({"name": meta["name"], "kind": meta["kind"], "source": "imported",
                         "summary": meta.get("description", ""), "item_shape": meta.get("item_shape"),
                         "n": meta.get("n"), "fingerprint": meta.get("fingerprint"), "codes_of": meta.get("codes_of")})
    return rows


def dataset_names() -> list[str]:
    return [row["name"] for row in list_datasets()]


def dataset_exists(name: str) -> bool:
    """Whether ``load_dataset(name)`` finds a dataset of that name (a built-in, a shapes subset, an imported one)."""
    return name in dataset_names() or bool(_SHAPES_N.match(name))


def load_dataset(name: str) -> Dataset:
    """Load a dataset by name (built-in, ``shapes-N``/``shapes-Nk`` subsets, or imported)."""
    if name in BUILTINS:
        return _load_builtin(name)
    m = _SHAPES_N.match(name)
    if m:
        n = int(m.group(1)) * (1000 if m.group(2) else 1)
        if not 1 <= n <= shapes.N_TOTAL:
            raise LatentLabError(f"Dataset '{name}': a shapes subset must have 1 to {shapes.N_TOTAL:,} images.")
        return shapes.load_shapes_subset(n, name=name)
    folder = _datasets_dir()
    manifest, arrays = folder / f"{name}.json", folder / f"{name}.npz"
    if not (manifest.exists() and arrays.exists()):
        known = ", ".join(dataset_names())
        raise LatentLabError(f"Unknown dataset '{name}'; known datasets: {known} (or import one with 'latentlab import').")
    return _load_imported(manifest, arrays)


@lru_cache(maxsize=8)
def _load_builtin(name: str) -> Dataset:
    return BUILTINS[name].loader()


def _load_imported(manifest: Path, arrays: Path) -> Dataset:
    meta = json.loads(manifest.read_text())
    texts = text_encoder = metadata = None
    if meta.get("text"):
        texts, metadata, text_encoder = _load_texts(manifest.parent, meta["name"], meta["text"])
    with np.load(arrays, allow_pickle=False) as z:
        x = z["x"]
        labels = z["labels"] if "labels" in z.files else None
        factors = pd.DataFrame(z["factors"], columns=meta.get("factor_names")) if "factors" in z.files else None
        mean = z["feature_mean"] if "feature_mean" in z.files else None
        scale = z["feature_scale"] if "feature_scale" in z.files else None
        times = z["times"] if "times" in z.files else None
    return Dataset(
        name=meta["name"], x=x, kind=meta["kind"], labels=labels, factors=factors,
        feature_names=meta.get("feature_names", []), fingerprint=meta["fingerprint"],
        description=meta.get("description", ""), label_name=meta.get("label_name", "label"),
        feature_mean=mean, feature_scale=scale, codes_of=meta.get("codes_of"),
        texts=texts, text_encoder=text_encoder, metadata=metadata,
        channel_names=meta.get("channel_names") or [], times=times,
    )


def _load_texts(folder: Path, name: str, info: dict):
    """(texts, metadata, encoder) of a text dataset, from ``NAME.texts.parquet`` and ``NAME.encoder.npz``."""
    import pyarrow.parquet as pq

    from latentlab.data.text_encoders import encoder_from_spec

    table = pq.read_table(folder / f"{name}{TEXTS_SUFFIX}").to_pandas()
    texts = table.pop(TEXT_FIELD).tolist()
    table.columns = [c[len(META_PREFIX):] for c in table.columns]
    arrays = None
    if (folder / f"{name}{ENCODER_SUFFIX}").exists():
        with np.load(folder / f"{name}{ENCODER_SUFFIX}", allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    return texts, table, encoder_from_spec(info["encoder"], arrays)


def import_text_dataset(path: str | Path, name: str, text: str, labels: str | None = None, encoder: str | None = None,
                        overwrite: bool = False, progress: ProgressFn | None = None) -> Dataset:
    """Read the documents in column ``text`` of a CSV, TSV, Parquet or JSON Lines file, embed them with
    ``encoder`` (``latentlab.data.text_encoders.make_encoder``) and register the vectors under ``name``
    (kind ``"embedding"``), the texts, metadata and the encoder's state beside them. Texts embedded by the
    same encoder before are read from the cache (``latentlab.data.text_embedding``), not embedded again.

    The rules for reading (UTF-8, the length limit, refused columns) are in ``latentlab.data.texts``.
    """
    from latentlab.data.dataset import array_fingerprint
    from latentlab.data.text_embedding import embed_texts
    from latentlab.data.text_encoders import make_encoder
    from latentlab.data.texts import read_text_table

    _check_new_name(name, overwrite)
    table = read_text_table(path, text, labels)
    embedded = embed_texts(table.texts, make_encoder(encoder), progress=progress)
    x, enc = embedded.x, embedded.encoder  # (N, D) unit rows
    desc = (f"Texts from {Path(path).name} (column '{text}'): {len(x):,} documents embedded by "
            f"{enc.title} into {x.shape[1]} dimensions")
    if table.dropped:
        desc += f"; {table.dropped:,} rows with empty text dropped"
    if table.truncated:
        desc += f"; {table.truncated:,} texts cut to {table.max_chars:,} characters"
    if len(table.metadata.columns):
        desc += f"; metadata columns: {', '.join(map(str, table.metadata.columns[:5]))}"
    ds = Dataset(name=name, x=x, kind="embedding", labels=table.labels, fingerprint=array_fingerprint(x, table.labels),
                 description=desc + ".", label_name=labels or "label", texts=table.texts, text_encoder=enc,
                 metadata=table.metadata, feature_names=[f"e{i}" for i in range(x.shape[1])])
    return save_dataset(ds, overwrite=overwrite, source_file=Path(path).name,
                        text_info={"column": text, "dropped": table.dropped, "truncated": table.truncated,
                                   "max_chars": table.max_chars})


def check_text_import(path: str | Path, name: str, text: str, labels: str | None = None,
                      encoder: str | None = None) -> int:
    """Refuse now what ``import_text_dataset`` would refuse later (a taken name, a file or column it cannot
    read, an unknown encoder), so a background import fails at once instead of in its job. Returns the
    number of documents it would embed."""
    from latentlab.data.text_encoders import make_encoder
    from latentlab.data.texts import read_text_table

    _check_new_name(name, False)
    make_encoder(encoder)
    return len(read_text_table(path, text, labels).texts)


def import_dataset(path: str | Path, name: str, labels: str | None = None, kind: str | None = None,
                   overwrite: bool = False, standardise: bool | None = None) -> Dataset:
    """Read a user file and register it in the workspace under ``name``.

    The dataset is written whole or not at all; an existing name is never
    replaced unless ``overwrite`` is true. ``kind="embedding"`` marks
    precomputed embeddings, whose values are kept as given unless
    ``standardise`` is true; tables are standardised per column unless it is
    false (``latentlab.data.readers.read_file``).
    """
    _check_new_name(name, overwrite)
    ds = read_file(path, name, labels=labels, kind=kind, standardise=standardise)
    return save_dataset(ds, overwrite=overwrite, source_file=Path(path).name)


def import_signal_dataset(path: str | Path, name: str, id: str | None = None, time: str | None = None,
                          channels: list[str] | None = None, labels: str | None = None, factors: list[str] | None = None,
                          standardise: bool = False, overwrite: bool = False) -> Dataset:
    """Read signals (an (N, T) or (N, C, T) NPY/NPZ array, or a long CSV, TSV or Parquet table with ``id`` and
    ``time`` columns) and register them under ``name`` as a dataset of kind ``"signal"``, whole or not at all.
    The rules are in ``latentlab.data.signal_import``."""
    from latentlab.data.signal_import import read_signal_file

    _check_new_name(name, overwrite)
    ds = read_signal_file(path, name, id=id, time=time, channels=channels, labels=labels, factors=factors,
                          standardise=standardise)
    return save_dataset(ds, overwrite=overwrite, source_file=Path(path).name)


def _check_new_name(name: str, overwrite: bool) -> None:
    if not NAME_RE.match(name or ""):
        raise LatentLabError(f"Dataset name '{name}' is not allowed; use letters, digits, '.', '_' or '-' (up to 64).")
    if name in BUILTINS or _SHAPES_N.match(name):
        raise LatentLabError(f"Dataset name '{name}' is taken by a built-in dataset; choose another `name`.",
                             param="name", value=name)
    if (_datasets_dir() / f"{name}.json").exists() and not overwrite:
        raise LatentLabError(f"A dataset named '{name}' already exists; choose another `name` or remove it first.",
                             param="name", value=name)


def save_dataset(ds: Dataset, overwrite: bool = False, source_file: str | None = None,
                 text_info: dict | None = None) -> Dataset:
    """Register a dataset made in memory (e.g. a checkpoint's codes, ``latentlab.analysis.codes_datasets``) in the workspace under
    ``ds.name``, whole or not at all, like an imported file."""
    name = ds.name
    _check_new_name(name, overwrite)
    folder = _datasets_dir()
    remove_stale_temporaries(folder)
    manifest, arrays = folder / f"{name}.json", folder / f"{name}.npz"
    payload = {"x": ds.x}
    if ds.labels is not None:
        lab = ds.labels
        payload["labels"] = lab if lab.dtype.kind in "iub" else lab.astype(str)
    if ds.factors is not None:
        payload["factors"] = ds.factors.to_numpy()
    if ds.feature_mean is not None:
        payload["feature_mean"], payload["feature_scale"] = ds.feature_mean, ds.feature_scale
    if ds.times is not None:
        payload["times"] = ds.times
    with atomic_path(arrays) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **payload)
    if ds.texts is not None:
        text_info = {**(text_info or {}), "encoder": ds.text_encoder.spec()}
        _save_texts(folder, name, ds)
    write_json_atomic(manifest, {
        "name": name, "kind": ds.kind, "fingerprint": ds.fingerprint, "description": ds.description,
        "feature_names": ds.feature_names, "label_name": ds.label_name,
        "factor_names": None if ds.factors is None else list(ds.factors.columns),
        "source": source_file, "codes_of": ds.codes_of, "n": len(ds), "item_shape": list(ds.item_shape),
        "standardised": ds.feature_mean is not None, "text": text_info if ds.texts is not None else None,
        "channel_names": ds.channel_names or None,
        "created": time.time(),
    })
    return ds


def _save_texts(folder: Path, name: str, ds: Dataset) -> None:
    """The texts and metadata as Parquet (strings stay strings: nothing to unpickle), the encoder's arrays as NPZ."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = ds.metadata if ds.metadata is not None else pd.DataFrame(index=range(len(ds.texts)))
    columns = {TEXT_FIELD: pa.array(ds.texts, type=pa.large_string())}
    for col in meta.columns:
        values = meta[col]
        columns[META_PREFIX + str(col)] = pa.array(values.to_numpy() if values.dtype.kind in "iufb" else values.astype(str).tolist())
    with atomic_path(folder / f"{name}{TEXTS_SUFFIX}") as tmp:
        pq.write_table(pa.table(columns), tmp)
    arrays = ds.text_encoder.arrays()
    if arrays:
        with atomic_path(folder / f"{name}{ENCODER_SUFFIX}") as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)


def remove_dataset(name: str) -> None:
    folder = _datasets_dir()
    for suffix in (".json", ".npz", TEXTS_SUFFIX, ENCODER_SUFFIX):
        (folder / f"{name}{suffix}").unlink(missing_ok=True)
