"""Documents -> vectors, computed once: the encoded vectors (and a fitted encoder's state) are kept in the
workspace's cache under a key made of the texts' fingerprint and the encoder's identity, so importing the same
texts with the same encoder again (under another name, after a failed import, from the dashboard after the
command line) reads them instead of embedding again.

The encoders embed in batches (``latentlab.data.text_encoders.BATCH`` texts at a time), so memory stays
bounded by the output array and one batch; a sentence-transformers model runs on the GPU when one is present.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from latentlab.core.array_cache import cached_arrays
from latentlab.core.progress import ProgressFn, report
from latentlab.core.workspace import digest

CACHE_KIND = "text-embeddings"
ENCODER_PREFIX = "encoder."  # cached arrays of a fitted encoder (TF-IDF's vocabulary, idf, components)


def texts_fingerprint(texts: list[str]) -> str:
    """A hash of the texts in order (each length-prefixed, so no two lists of texts share one)."""
    h = hashlib.blake2b(digest_size=16)
    for text in texts:
        raw = text.encode("utf-8", "surrogatepass")
        h.update(len(raw).to_bytes(8, "little"))
        h.update(raw)
    return h.hexdigest()


@dataclass
class EmbeddedTexts:
    """The vectors of a list of texts and the encoder that made them.

    Attributes
    ----------
    x : ndarray of shape (N, D), float32, unit rows.
    encoder : the fitted encoder (``latentlab.data.text_encoders``), to embed queries as the texts were.
    key : the cache key (texts' fingerprint and encoder identity).
    cached : whether the vectors were read from the cache instead of embedded now.
    """

    x: np.ndarray
    encoder: object
    key: str
    cached: bool


def embedding_key(texts: list[str], encoder) -> str:
    return digest(CACHE_KIND, texts_fingerprint(texts), encoder.identity())


def embed_texts(texts: list[str], encoder, progress: ProgressFn | None = None) -> EmbeddedTexts:
    """Fit ``encoder`` to ``texts`` and embed them, or read both from the cache when these texts were embedded
    by this encoder before.

    Parameters
    ----------
    texts : list of str, shape (N,)
    encoder : an unfitted encoder from ``latentlab.data.text_encoders.make_encoder``.
    progress : ``progress(stage, done, total, unit)`` (``latentlab.core.progress``), called per batch.
    """
    key = embedding_key(texts, encoder)
    computed = []

    def compute() -> dict[str, np.ndarray]:
        computed.append(True)
        encoder.fit(texts)
        report(progress)("encoding texts", 0, len(texts), "texts")  # the stage's clock starts before the first batch
        x = encoder.encode(texts, progress=progress)  # (N, D)
        return {"x": x, **{ENCODER_PREFIX + k: v for k, v in encoder.arrays().items()}}

    arrays = cached_arrays(CACHE_KIND, key, compute)
    cached = not computed
    if cached:
        state = {k[len(ENCODER_PREFIX):]: v for k, v in arrays.items() if k.startswith(ENCODER_PREFIX)}
        if state:
            encoder = type(encoder).from_arrays(state)
        report(progress)("encoding texts (cached)", len(texts), len(texts), "texts")
    return EmbeddedTexts(np.asarray(arrays["x"], np.float32), encoder, key, cached)
