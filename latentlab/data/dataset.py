"""The ``Dataset`` type shared by every reader, model and page."""

from __future__ import annotations

import contextlib
import hashlib
import mmap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from latentlab.data.text_encoders import TextEncoder

KINDS = ("image", "tabular", "embedding", "signal")


@dataclass
class Dataset:
    """Items, and what is known about them.

    Attributes
    ----------
    name : str
        Registry or workspace name.
    x : ndarray, shape (N, *item_shape)
        Images are channel-first ``(N, C, H, W)`` and may be ``uint8`` (0..255),
        ``bool`` or float in [0, 1], possibly memory-mapped; tables and embeddings
        are ``float32`` ``(N, D)``; signals (time series) are ``float32`` ``(N, C, T)``: C channels of T samples.
    kind : {"image", "tabular", "embedding", "signal"}
    labels : ndarray of shape (N,), optional
        Class labels (ints or strings), used for colouring and scores.
    factors : DataFrame, optional
        Ground-truth factor table, one row per item, one integer-coded column per factor.
    feature_names : list of str
        One name per feature for tables; empty for images.
    fingerprint : str
        A content hash; caches of derived results are keyed by it.
    texts : list of str, optional
        A text dataset's documents, one per row (``x`` holds their vectors, kind ``"embedding"``); data only,
        never executed or rendered as markup (``latentlab.data.texts``).
    text_encoder : optional
        The encoder that made ``x`` from ``texts`` (``latentlab.data.text_encoders``); queries are embedded by it.
    metadata : DataFrame, optional
        A text dataset's other columns, one row per item.
    channel_names : list of str
        A signal dataset's channel names, one per channel (``latentlab.data.signal_import``); empty otherwise.
    times : ndarray of shape (T,), optional
        A signal dataset's sample times (shared by every item); None: the sample number is the time.
    """

    name: str
    x: np.ndarray
    kind: str
    labels: np.ndarray | None = None
    factors: pd.DataFrame | None = None
    feature_names: list[str] = field(default_factory=list)
    fingerprint: str = ""
    description: str = ""
    label_name: str = "label"
    feature_mean: np.ndarray | None = None  # tables: the per-column mean removed on import
    feature_scale: np.ndarray | None = None  # tables: the per-column scale divided out on import
    # Codes made by a checkpoint: {"dataset", "dataset_fingerprint", "checkpoint", "checkpoint_fingerprint"},
    # row i being the code of that dataset's item i (``latentlab.analysis.codes_datasets``); None for items that are their own.
    codes_of: dict | None = None
    texts: list[str] | None = None
    text_encoder: TextEncoder | None = None
    metadata: pd.DataFrame | None = None
    channel_names: list[str] = field(default_factory=list)
    times: np.ndarray | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if not self.fingerprint:
            self.fingerprint = array_fingerprint(self.x, self.labels)

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def item_shape(self) -> tuple[int, ...]:
        return tuple(int(s) for s in self.x.shape[1:])

    @property
    def is_image(self) -> bool:
        return self.kind == "image"

    @property
    def is_signal(self) -> bool:
        return self.kind == "signal"

    def rows(self, index=None) -> np.ndarray:
        """Items in their stored dtype; ``index`` (a slice or row numbers) selects rows, in its order."""
        if isinstance(self.x, np.memmap) and index is not None and not isinstance(index, slice):
            index = np.asarray(index)
            order = np.argsort(index, kind="stable")  # a memory map reads much faster in ascending order
            x = np.empty((len(index), *self.item_shape), self.x.dtype)
            x[order] = self.x[index[order]]
            return x
        return self.x if index is None else self.x[index]

    def as_float(self, index=None) -> np.ndarray:
        """Items as float32 (images scaled to [0, 1]); ``index`` selects rows, in its order."""
        x = self.rows(index)
        if x.dtype == np.uint8:
            return x.astype(np.float32) / 255.0
        return np.asarray(x, dtype=np.float32)

    def release_pages(self) -> None:
        """Drop the memory map's pages from this process (they stay in the page cache).

        Reading a multi-gigabyte map chunk by chunk would otherwise leave every
        page read counted in the process's resident memory.
        """
        mm = getattr(self.x, "_mmap", None)
        if mm is None and isinstance(getattr(self.x, "base", None), mmap.mmap):
            mm = self.x.base
        if mm is not None and hasattr(mm, "madvise"):
            with contextlib.suppress(OSError, ValueError):
                mm.madvise(mmap.MADV_DONTNEED)

    def subset(self, index: np.ndarray, name: str | None = None) -> "Dataset":
        index = np.asarray(index)
        return Dataset(
            name=name or f"{self.name}[{len(index)}]",
            x=np.asarray(self.x[index]),
            kind=self.kind,
            labels=None if self.labels is None else self.labels[index],
            factors=None if self.factors is None else self.factors.iloc[index].reset_index(drop=True),
            feature_names=list(self.feature_names),
            fingerprint=hashlib.sha256((self.fingerprint + array_digest(index)).encode()).hexdigest()[:20],
            description=f"{len(index):,} items of {self.name}. {self.description}",
            label_name=self.label_name,
            feature_mean=self.feature_mean,
            feature_scale=self.feature_scale,
            texts=None if self.texts is None else [self.texts[i] for i in index.tolist()],
            text_encoder=self.text_encoder,
            metadata=None if self.metadata is None else self.metadata.iloc[index].reset_index(drop=True),
            channel_names=list(self.channel_names),
            times=self.times,
        )

    def summary(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "n": len(self),
            "item_shape": list(self.item_shape),
            "has_labels": self.labels is not None,
            "factors": [] if self.factors is None else list(self.factors.columns),
            "fingerprint": self.fingerprint,
            "description": self.description,
        }


UNIT_NORM_ATOL = 1e-3  # float32 rows normalised by an encoder are within about 1e-6 of norm 1
UNIT_NORM_ROWS = 20_000


def rows_have_unit_norm(x: np.ndarray, atol: float = UNIT_NORM_ATOL) -> bool:
    """Whether the rows of ``x`` (N, D) all have Euclidean norm 1 within ``atol``.

    Sentence and image encoders often normalise their embeddings; for such
    rows cosine distance is the natural metric. Above 20,000 rows, 20,000
    evenly spaced ones are checked, so the answer costs milliseconds at any size.
    """
    x = np.asarray(x)
    if x.ndim != 2 or len(x) == 0 or x.dtype.kind not in "biuf":
        return False
    if len(x) > UNIT_NORM_ROWS:
        x = x[np.linspace(0, len(x) - 1, UNIT_NORM_ROWS).astype(np.int64)]
    norms = np.linalg.norm(np.asarray(x, dtype=np.float64), axis=1)  # (N,)
    return bool(np.all(np.abs(norms - 1.0) <= atol))


def array_digest(a: np.ndarray) -> str:
    a = np.ascontiguousarray(a)
    h = hashlib.sha256(str((a.dtype.str, a.shape)).encode())
    h.update(memoryview(a.view(np.uint8).reshape(-1)) if a.dtype != object else str(a.tolist()).encode())
    return h.hexdigest()[:20]


def array_fingerprint(x: np.ndarray, labels: np.ndarray | None = None) -> str:
    parts = array_digest(x) + (array_digest(labels.astype(str)) if labels is not None else "")
    return hashlib.sha256(parts.encode()).hexdigest()[:20]
