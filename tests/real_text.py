"""A labelled corpus of real English text that ships offline: docstrings of installed packages.

Each item is the first paragraph of a public function's, class's or method's docstring, labelled by
the package that defines it. Nobody here wrote these texts, and they hold what real corpora hold:
near-duplicates (inherited and generated docstrings), one-liners beside long paragraphs, jargon shared
between packages. Tests and benchmarks use it to check maps and clusters on text nobody tuned for.

The corpus depends on the installed versions, so tests compare methods on it side by side in one run
rather than against fixed numbers.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import inspect
import pkgutil
import re
import warnings

import numpy as np

# packages whose docstrings are plain English prose; each one is a label. Never GUI packages: importing
# idlelib.idle starts IDLE, which reads the caller's command line
PACKAGES = ("numpy", "scipy", "pandas", "sklearn", "torch", "sympy", "pyarrow", "PIL", "email", "asyncio",
            "unittest", "multiprocessing", "xml", "http", "sqlite3", "logging")
MAX_MODULES = 120  # per package: walking every submodule of the large ones costs minutes
MIN_CHARS, MAX_CHARS = 30, 500


def _first_paragraph(doc: str) -> str | None:
    text = inspect.cleandoc(doc).split("\n\n", 1)[0]
    text = re.sub(r"\s+", " ", text).strip()
    if not MIN_CHARS <= len(text) <= MAX_CHARS or not re.search(r"[a-z]{3,} [a-z]{2,} [a-z]{2,}", text):
        return None  # signatures, tables and one-word stubs are not prose
    return text


def _modules(package: str):
    root = importlib.import_module(package)
    yield root
    paths = getattr(root, "__path__", None)
    if not paths:
        return
    names = sorted(m.name for m in pkgutil.walk_packages(paths, package + ".", onerror=lambda _: None)
                   if not any(part.startswith("_") or part in ("tests", "test", "testing") for part in m.name.split(".")[1:]))
    for name in names[:MAX_MODULES]:
        try:
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                module = importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - optional backends, missing displays: skip that module
            continue
        yield module


def _texts_of(package: str) -> list[str]:
    seen, out = set(), []
    for module in _modules(package):
        for name, obj in sorted(vars(module).items()):
            if name.startswith("_") or not (inspect.isclass(obj) or inspect.isroutine(obj)):
                continue
            if not (getattr(obj, "__module__", None) or "").startswith(package):
                continue
            members = [obj] + ([m for n, m in sorted(vars(obj).items()) if not n.startswith("_") and inspect.isroutine(m)]
                               if inspect.isclass(obj) else [])
            for member in members:
                doc = getattr(member, "__doc__", None)
                text = _first_paragraph(doc) if isinstance(doc, str) else None
                if text and text not in seen:
                    seen.add(text)
                    out.append(text)
    return out


def docstring_corpus(per_package: int = 800, packages: tuple[str, ...] = PACKAGES,
                     seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Up to ``per_package`` docstrings from each importable package of ``packages``.

    Returns
    -------
    texts : list of str, exact duplicates removed across the whole corpus
    labels : (n,) array of package names
    """
    rng = np.random.default_rng(seed)
    texts, labels, seen = [], [], set()
    for package in packages:
        try:
            found = [t for t in _texts_of(package) if t not in seen]
        except ImportError:
            continue
        if len(found) > per_package:
            found = [found[i] for i in np.sort(rng.choice(len(found), per_package, replace=False))]
        seen.update(found)
        texts += found
        labels += [package] * len(found)
    return texts, np.array(labels)


def tfidf_vectors(texts: list[str], dim: int = 64, seed: int = 0) -> np.ndarray:
    """(n, dim) float32 unit-norm rows: TF-IDF reduced by truncated SVD (latent semantic analysis),
    scikit-learn only, so it needs no model weights."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    tf = TfidfVectorizer(stop_words="english", min_df=2, sublinear_tf=True).fit_transform(texts)
    z = TruncatedSVD(dim, random_state=seed).fit_transform(tf)
    return (z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)).astype(np.float32)
