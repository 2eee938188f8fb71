"""Files that arrive as bytes (browser uploads): written under safe generated
names in a private temporary folder, imported, and the folder removed.

The uploaded name is used only for its suffix and, cleaned, in messages; it
never becomes a path.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from latentlab.core.errors import LatentLabError
from latentlab.core.limits import human_bytes, limit
from latentlab.lab import Dataset, import_dataset
from latentlab.lab import TABLE_SUFFIXES
from latentlab.lab import ARRAY_SUFFIXES, SIGNAL_SUFFIXES
from latentlab.lab import TEXT_TABLE_SUFFIXES
from latentlab.lab import Checkpoint, import_checkpoint

SUFFIXES = TABLE_SUFFIXES | TEXT_TABLE_SUFFIXES  # the suffixes the Data page's uploader accepts
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_name(name: str, fallback: str = "upload") -> str:
    """A plain file name from an uploaded name: no folders, no leading dots, no odd characters."""
    base = _UNSAFE.sub("-", str(name).replace("\\", "/").split("/")[-1]).strip(".-")[:100]
    return base or fallback


IMPORT_KINDS = {  # what an upload can be read as, in the Data page's words
    "texts": "texts, embedded into vectors",
    "table": "a table of numbers",
    "items": "items (a table, or images by the array's shape)",
    "embeddings": "precomputed embeddings",
    "signals": "signals (time series)",
    "images": "images",
}


def import_kinds(upload_name: str, text_columns: list[str]) -> list[str]:
    """The ``IMPORT_KINDS`` that apply to an uploaded file, the likeliest first: texts when it has a column of
    words, images for a ZIP, else numbers (a table or an array), precomputed embeddings and signals."""
    suffix = Path(safe_file_name(upload_name)).suffix.lower()
    if suffix == ".zip":
        return ["images"]
    kinds = ["texts"] if text_columns else []
    if suffix in TABLE_SUFFIXES:
        kinds += ["items" if suffix in ARRAY_SUFFIXES else "table", "embeddings"]
    if suffix in SIGNAL_SUFFIXES:
        kinds.append("signals")
    return kinds or ["table"]  # a file with nothing to read: the import says why in one sentence


def suggested_dataset_name(upload_name: str) -> str:
    stem = Path(safe_file_name(upload_name)).stem
    return (stem or "upload")[:64]


def _write(folder: Path, upload_name: str, data: bytes) -> Path:
    if len(data) > limit("max_file_bytes"):
        raise LatentLabError(f"{safe_file_name(upload_name)}: {human_bytes(len(data))} is over the upload limit of "
                             f"{human_bytes(limit('max_file_bytes'))}.")
    path = folder / safe_file_name(upload_name)
    path.write_bytes(data)
    return path


def import_uploaded_dataset(upload_name: str, data: bytes, name: str, labels: str | None = None,
                            embedding: bool = False, standardise: bool | None = None) -> Dataset:
    """``import_dataset`` on uploaded bytes: embeddings are kept as given unless ``standardise``."""
    with tempfile.TemporaryDirectory(prefix="latentlab-upload-") as tmp:
        path = _write(Path(tmp), upload_name, data)
        return import_dataset(path, name, labels=labels, kind="embedding" if embedding else None, standardise=standardise)


def peek_uploaded_columns(upload_name: str, data: bytes) -> list[str]:
    from latentlab.lab import peek_columns

    with tempfile.TemporaryDirectory(prefix="latentlab-upload-") as tmp:
        return peek_columns(_write(Path(tmp), upload_name, data))


def peek_uploaded_text_columns(upload_name: str, data: bytes) -> list[str]:
    """The columns of an uploaded table that hold words, the longest texts first ([] for none)."""
    from latentlab.lab import text_columns

    with tempfile.TemporaryDirectory(prefix="latentlab-upload-") as tmp:
        return text_columns(_write(Path(tmp), upload_name, data))


def text_encoder_choices() -> list[str]:
    """The encoders the Data page offers, the default first: MiniLM when the text extra is installed, TF-IDF."""
    from latentlab.lab import text_extra_installed

    return ["minilm", "tfidf"] if text_extra_installed() else ["tfidf"]


def stage_upload(upload_name: str, data: bytes) -> Path:
    """Keep uploaded bytes in the workspace (``uploads/<random>/<clean name>``) for a background job, which
    reads them after this page's run has ended and removes the folder when it is done."""
    import secrets

    from latentlab.core.workspace import subdir

    folder = subdir("uploads") / secrets.token_hex(8)
    folder.mkdir(parents=True)
    return _write(folder, upload_name, data)


def import_uploaded_checkpoint(manifest_name: str, manifest: bytes, weights_name: str | None, weights: bytes | None,
                               name: str | None = None) -> Checkpoint:
    with tempfile.TemporaryDirectory(prefix="latentlab-upload-") as tmp:
        folder = Path(tmp)
        m = _write(folder, manifest_name, manifest)
        w = _write(folder, weights_name, weights) if weights is not None else None
        if w is not None and w.suffix.lower() != ".safetensors":
            raise LatentLabError(f"{w.name}: weights must be a .safetensors file; pickled weights (.pt, .ckpt, .bin) are refused "
                                 "because loading them can run code.")
        return import_checkpoint(m, w, name=name or Path(safe_file_name(manifest_name)).stem)


def import_uploaded_signals(upload_name: str, data: bytes, name: str, id: str | None = None, time: str | None = None,
                            channels: list[str] | None = None, labels: str | None = None,
                            factors: list[str] | None = None, standardise: bool = False) -> Dataset:
    """``import_signal_dataset`` (what ``latentlab import FILE --signal`` runs) on uploaded bytes."""
    from latentlab.lab import import_signal_dataset

    with tempfile.TemporaryDirectory(prefix="latentlab-upload-") as tmp:
        path = _write(Path(tmp), upload_name, data)
        return import_signal_dataset(path, name, id=id, time=time, channels=channels or None, labels=labels,
                                     factors=factors or None, standardise=standardise)
