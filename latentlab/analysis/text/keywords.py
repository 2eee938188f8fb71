"""Clusters named by their words: class-based TF-IDF (c-TF-IDF), as BERTopic defines it (Grootendorst,
"BERTopic: Neural topic modeling with a class-based TF-IDF procedure", arXiv:2203.05794).

The documents of each cluster are joined into one; for term ``t`` and cluster ``c``

    W(t, c) = tf(t, c) * log(1 + A / f(t))

where ``tf(t, c)`` is the frequency of ``t`` in cluster ``c``'s document divided by that document's word count
(BERTopic's L1-normalised rows), ``f(t)`` the frequency of ``t`` across all clusters and ``A`` the average
number of words per cluster. English stop words are removed. Noise (cluster -1) is a class like the others,
as in BERTopic, so its words count in ``f(t)``.
"""

from __future__ import annotations

import numpy as np


def class_tfidf(counts, eps: float = 1e-12) -> np.ndarray:
    """c-TF-IDF weights of a (clusters, terms) count matrix (dense or scipy sparse): (C, V) float64."""
    counts = np.asarray(counts.todense() if hasattr(counts, "todense") else counts, dtype=np.float64)  # (C, V)
    words = counts.sum(axis=1, keepdims=True)  # (C, 1)
    tf = counts / np.maximum(words, eps)
    total = counts.sum(axis=0)  # (V,) f(t)
    average = words.mean()  # A
    idf = np.log(1.0 + average / np.maximum(total, eps))  # (V,)
    return tf * idf[None, :]


def cluster_keywords(texts: list[str], labels: np.ndarray, top: int = 8) -> dict[int, list[str]]:
    """The ``top`` c-TF-IDF keywords of each cluster, best first.

    Parameters
    ----------
    texts : list of str, shape (N,)
    labels : ndarray of shape (N,), the cluster of each text (-1 = noise).
    top : keywords per cluster.

    Returns
    -------
    dict mapping each cluster id to its keywords (an empty list for a cluster with no words beyond stop words).
    """
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer

    labels = np.asarray(labels)
    if len(labels) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(labels)} cluster labels")
    clusters, members = np.unique(labels, return_inverse=True)  # (C,), (N,)
    try:
        vectorizer = CountVectorizer(stop_words="english")
        docs = vectorizer.fit_transform(texts)  # (N, V)
    except ValueError:  # no words beyond stop words at all
        return {int(c): [] for c in clusters}
    terms = vectorizer.get_feature_names_out()
    onehot = sparse.csr_matrix((np.ones(len(labels)), (members, np.arange(len(labels)))),
                               shape=(len(clusters), len(labels)))  # (C, N)
    counts = onehot @ docs  # (C, V): each cluster's joined document
    weights = class_tfidf(counts)
    present = np.asarray(counts.todense()) > 0
    out = {}
    for i, c in enumerate(clusters):
        order = np.argsort(-weights[i], kind="stable")[:top]
        out[int(c)] = [str(terms[j]) for j in order if present[i, j]]
    return out
