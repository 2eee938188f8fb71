"""Search a text dataset by meaning: the query is embedded by the encoder that embedded the documents
(recorded with the dataset) and the items are ranked by cosine similarity to it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentlab.core.errors import LatentLabError
from latentlab.data import Dataset

CHUNK = 65_536  # rows compared at a time: memory stays bounded on a large dataset


@dataclass(frozen=True)
class SearchHit:
    """One item found: its row in the dataset, its cosine similarity to the query, its text and label."""

    index: int
    similarity: float
    text: str
    label: object = None

    def to_dict(self) -> dict:
        label = self.label.item() if hasattr(self.label, "item") else self.label
        return {"index": self.index, "similarity": self.similarity, "text": self.text, "label": label}


def cosine_top_k(x: np.ndarray, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``x`` (N, D) most similar to ``q`` (D,) by cosine: (indices, similarities), best first."""
    q = np.asarray(q, np.float64).ravel()
    q = q / max(np.linalg.norm(q), 1e-12)
    sims = np.empty(len(x), np.float64)
    for start in range(0, len(x), CHUNK):
        part = np.asarray(x[start:start + CHUNK], np.float64)  # (B, D)
        sims[start:start + len(part)] = part @ q / np.maximum(np.linalg.norm(part, axis=1), 1e-12)
    k = min(k, len(sims))
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.lexsort((top, -sims[top]))]  # best first; ties in row order
    return top, sims[top]


def search_texts(ds: Dataset, query: str, k: int = 10) -> list[SearchHit]:
    """The ``k`` items of text dataset ``ds`` nearest in meaning to ``query``, best first."""
    if ds.texts is None or ds.text_encoder is None:
        raise LatentLabError(f"Dataset '{ds.name}' has no texts to search; import a text column with "
                             "'latentlab import FILE --text COLUMN'.")
    if not query or not query.strip():
        raise LatentLabError("The search query is empty; give some words to search for.")
    if k < 1:
        raise LatentLabError(f"--k {k}: give at least 1 hit to return.")
    q = ds.text_encoder.encode([query])[0]  # (D,)
    if q.shape[0] != ds.x.shape[1]:
        raise LatentLabError(f"Dataset '{ds.name}': its encoder makes {q.shape[0]}-dimensional vectors but the dataset "
                             f"holds {ds.x.shape[1]}; import the texts again.")
    rows, sims = cosine_top_k(ds.x, q, k)
    return [SearchHit(int(i), float(s), ds.texts[i], None if ds.labels is None else ds.labels[i])
            for i, s in zip(rows, sims)]
