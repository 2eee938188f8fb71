"""Search a text dataset by meaning: the query is embedded by the encoder that embedded the documents
(recorded with the dataset) and the items are ranked by cosine similarity to it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentlab.analysis.projection.knn import top_k
from latentlab.core.errors import LatentLabError
from latentlab.data import Dataset


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


def search_texts(ds: Dataset, query: str, k: int = 10) -> list[SearchHit]:
    """The ``k`` items of text dataset ``ds`` nearest in meaning to ``query``, best first."""
    if ds.texts is None or ds.text_encoder is None:
        raise LatentLabError(f"Dataset '{ds.name}' has no texts to search; import a table with its text column "
                             "named (the import's `text`).", also=("text",))
    if not query or not query.strip():
        raise LatentLabError("The search query is empty; give some words to search for.")
    if k < 1:
        raise LatentLabError(f"`k` {k} asks for no hits; give at least 1 hit to return.", param="k", value=k)
    q = ds.text_encoder.encode([query])[0]  # (D,)
    if q.shape[0] != ds.x.shape[1]:
        raise LatentLabError(f"Dataset '{ds.name}': its encoder makes {q.shape[0]}-dimensional vectors but the dataset "
                             f"holds {ds.x.shape[1]}; import the texts again.")
    rows, sims = top_k(ds.x, q[None, :], k, "cosine")
    rows, sims = rows[0], sims[0]
    return [SearchHit(int(i), float(s), ds.texts[i], None if ds.labels is None else ds.labels[i])
            for i, s in zip(rows, sims)]


def nearest_texts(ds: Dataset, vectors: np.ndarray, k: int = 3) -> list[list[SearchHit]]:
    """What decoded vectors read like: for each of ``vectors`` (M, D), in the space of ``ds``'s rows (what a
    model trained on ``ds`` decodes to), the ``k`` rows of ``ds`` nearest by cosine, with the texts of the
    items they stand for (a codes dataset's rows stand for the texts its codes were made from).

    Returns
    -------
    list of M lists of ``k`` SearchHit, best first.
    """
    from latentlab.analysis.codes_datasets import items_of

    items = items_of(ds)
    if items.texts is None:
        raise LatentLabError(f"Dataset '{ds.name}' has no texts; nearest texts need a text dataset (a table imported "
                             "with its text column named as `text`).", also=("text",))
    vectors = np.asarray(vectors, np.float32).reshape(len(vectors), -1)  # (M, D)
    if vectors.shape[1] != int(np.prod(ds.x.shape[1:])):
        raise LatentLabError(f"Vectors of {vectors.shape[1]} values cannot be compared with the "
                             f"{int(np.prod(ds.x.shape[1:]))}-value rows of '{ds.name}'.")
    rows, sims = top_k(ds.x, vectors, k, "cosine")
    labels = items.labels
    return [[SearchHit(int(i), float(s), items.texts[i], None if labels is None else labels[i])
             for i, s in zip(r, q)] for r, q in zip(rows, sims)]
