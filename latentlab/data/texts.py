"""Tables of documents (CSV, TSV, Parquet, JSON Lines) -> a column of texts, labels and metadata.

Rules, stated once:
- Text files are read as UTF-8 (a byte-order mark is allowed); anything else is refused with the line
  of the first byte that is not UTF-8. JSON Lines hold one JSON object per line; a line that is not one
  is refused with its number.
- The text column must hold words: a column with no text at all, or whose every non-empty cell is a
  number, is refused. Rows whose text is empty are dropped and counted in the description.
- A text longer than the ``max_text_chars`` limit (10,000 characters by default,
  ``LATENTLAB_LIMIT_MAX_TEXT_CHARS``) is cut to that length; the encoders read far less than that (MiniLM
  reads its first 256 word pieces), and the description counts the texts that were cut.
- Every other column (besides the labels) is kept as metadata, one value per row, to colour by.
- Texts are data: stored and returned verbatim, never executed, parsed as markup or rendered.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from latentlab.core.errors import LatentLabError
from latentlab.core.limits import checked_file, limit
from latentlab.data.tables import PARQUET_SUFFIXES, check_table_shape, read_parquet, sniff_separator

JSONL_SUFFIXES = {".jsonl", ".ndjson"}
TEXT_TABLE_SUFFIXES = {".csv", ".tsv", ".txt"} | PARQUET_SUFFIXES | JSONL_SUFFIXES
_NUMBER = re.compile(r"^[\s+\-]*[\d.,]+(?:[eE][+\-]?\d+)?\s*%?$")


@dataclass
class TextTable:
    """The documents of a file: texts, optional labels and the other columns.

    Attributes
    ----------
    texts : list of str, one per kept row.
    labels : ndarray of shape (N,), optional
    metadata : DataFrame with N rows, the remaining columns.
    column : the text column's name.
    dropped : rows dropped because their text was empty.
    truncated : texts cut to ``max_chars``.
    """

    texts: list[str]
    labels: np.ndarray | None
    metadata: pd.DataFrame
    column: str
    dropped: int
    truncated: int
    max_chars: int


def read_text_table(path: str | Path, text_col: str, label_col: str | None = None) -> TextTable:
    """Read the documents in column ``text_col`` of a CSV, TSV, Parquet or JSON Lines file."""
    path, suffix = checked_file(path, TEXT_TABLE_SUFFIXES, " for texts; use CSV, TSV, Parquet or JSON Lines (.jsonl)")
    if suffix in PARQUET_SUFFIXES:
        df = read_parquet(path)
    elif suffix in JSONL_SUFFIXES:
        df = _read_jsonl(path)
    else:
        df = _read_delimited(path)
    return _documents(df, path.name, text_col, label_col)


def _utf8(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise LatentLabError(f"{path.name}: line {line} is not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                             "save the file as UTF-8 and import it again.") from None


def _read_delimited(path: Path) -> pd.DataFrame:
    text = _utf8(path)
    if not text.strip():
        raise LatentLabError(f"{path.name}: the file is empty; choose a file with data in it.")
    sep = "\t" if path.suffix.lower() == ".tsv" else sniff_separator(text)
    check_table_shape(text, sep, path.name)
    try:  # every column as text: a label or metadata value is kept as written
        return pd.read_csv(io.StringIO(text, newline=""), sep=sep, dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LatentLabError(f"{path.name}: could not be read as a table ({reason}).") from None


def _read_jsonl(path: Path) -> pd.DataFrame:
    records = []
    for number, line in enumerate(_utf8(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            raise LatentLabError(f"{path.name}: line {number} is not a JSON object; write one object per line.")
        records.append(record)
        if len(records) > limit("max_rows"):
            raise LatentLabError(f"{path.name}: more than {limit('max_rows'):,} rows is over the limit.")
    if not records:
        raise LatentLabError(f"{path.name}: the file has no JSON objects; write one object per line.")
    return pd.DataFrame.from_records(records)


def _cell_text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return value if isinstance(value, str) else str(value)


def _typed(values: pd.Series) -> pd.Series:
    """A column read as text, as numbers when every value is one (so metadata colours by value)."""
    if values.dtype.kind in "iufb":
        return values
    try:
        return pd.to_numeric(values)
    except (ValueError, TypeError):
        return values


def _documents(df: pd.DataFrame, source: str, text_col: str, label_col: str | None) -> TextTable:
    columns = [str(c) for c in df.columns]
    df.columns = columns
    for param, col in (("text", text_col), ("labels", label_col)):
        if col is not None and col not in columns:
            raise LatentLabError(f"{source}: no column named '{col}' for `{param}` (columns: {', '.join(columns[:10])}); "
                                 "pick one of those.", param=param, value=col)
    if label_col == text_col:
        raise LatentLabError(f"{source}: `text` and `labels` both name '{text_col}'; pick two different columns.",
                             param="labels", value=label_col, also=("text",))
    column = df[text_col]
    texts = [_cell_text(v) for v in column.tolist()]
    keep = np.array([bool(t.strip()) for t in texts], dtype=bool)
    if not keep.any():
        raise LatentLabError(f"{source}: the text column '{text_col}' is empty; pick the column that holds the documents.")
    if column.dtype.kind in "iufb" or all(_NUMBER.match(t) for t, k in zip(texts, keep) if k):
        raise LatentLabError(f"{source}: the text column '{text_col}' holds only numbers; pick the column that holds "
                             "the documents (or import the table without `text`).", param="text", value=text_col)
    if keep.sum() < 2:
        raise LatentLabError(f"{source}: only one row has text in '{text_col}'; a dataset needs at least two.")
    max_chars = limit("max_text_chars")
    kept = [t for t, k in zip(texts, keep) if k]
    truncated = sum(len(t) > max_chars for t in kept)
    kept = [t[:max_chars] for t in kept]
    df = df.loc[keep].reset_index(drop=True)
    labels = None
    if label_col is not None:
        raw = _typed(df[label_col])
        labels = raw.to_numpy() if raw.dtype.kind in "iub" else raw.map(_cell_text).to_numpy().astype(str)
    metadata = df.drop(columns=[c for c in (text_col, label_col) if c is not None])
    metadata = pd.DataFrame({c: _typed(metadata[c]) for c in metadata.columns}, index=metadata.index)
    return TextTable(kept, labels, metadata, text_col, int((~keep).sum()), truncated, max_chars)


def text_columns(path: str | Path) -> list[str]:
    """The columns of a CSV, TSV, Parquet or JSON Lines file that hold words (what ``--text`` could name),
    the longest texts first, so the documents come before short labels; [] for a file that cannot be read
    (its import says why) or of another type."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TEXT_TABLE_SUFFIXES:
        return []
    try:
        df = read_parquet(path) if suffix in PARQUET_SUFFIXES else _read_jsonl(path) if suffix in JSONL_SUFFIXES \
            else _read_delimited(path)
    except LatentLabError:
        return []
    found = {}
    for col in df.columns:
        if df[col].dtype.kind in "iufbmM":
            continue
        texts = [t for t in (_cell_text(v) for v in df[col].tolist()) if t.strip()]
        if texts and not all(_NUMBER.match(t) for t in texts):
            found[str(col)] = sum(map(len, texts)) / len(texts)
    return sorted(found, key=lambda c: -found[c])
