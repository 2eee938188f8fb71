"""Clusters described by rules (see README.md): how well IMM's threshold tree and the polyhedral descriptions
explain k-means on real latent spaces, beside scikit-learn's decision trees fitted to the same k-means labels.

Sets (k = the number of classes, so the clusters can be scored against the labels too):

* ``digits-vae``: the latent means of a VAE (MLP 256-128, ``--latent-dim`` 10) trained here on scikit-learn's
  1,797 digits for ``--steps`` steps; k = 10 against the digit labels;
* ``digits-pixels``: the same digits' 64 pixels, no model; k = 10;
* ``shapes-tcvae``: the latent means of the shipped ``shapes-beta-tcvae`` (10 latents) of ``shapes-20k``, the fixed
  20,000-image sample it was trained on; k = 3 against the shape (square, ellipse, heart).

For each set, k-means (LatentLab's ``kmeans``: 10 seeded restarts, the best inertia kept) on every item, then

* IMM's tree (``latentlab.analysis.clustering.threshold_tree``, one leaf per cluster), scikit-learn's CART
  (``DecisionTreeClassifier``) of IMM's depth with no limit on its leaves (up to 2^depth), and CART with k leaves
  (``max_leaf_nodes=k``, as many rules as IMM), all three fitted to the k-means labels of every item: their
  agreement with k-means, the same on held-out items (each tree refitted on a seeded 80% and scored on the other
  20% against the full k-means labels), the matched accuracy (Hungarian) of their leaves against the labels
  beside k-means' own, the k-means cost of their partition over k-means' (the cost ratio; a CART leaf counts as
  the cluster it predicts), and the fit time;
* on a set with ground-truth factors, the NMI of the k-means clusters and of IMM's leaves against each factor
  (what the clusters follow);
* the polyhedral descriptions (``polyhedra``) of each cluster at 2, 4 and 6 half-spaces, axis-aligned and oblique:
  mean precision and recall over the clusters, mean half-spaces used, the time for all clusters.

Run: ``flock /tmp/team/bench.lock python3 benchmarks/cluster_rules.py`` (``--sets`` for fewer). One CPU thread.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SETS = ("digits-vae", "digits-pixels", "shapes-tcvae")
HALFSPACES = (2, 4, 6)


def load_set(name: str, args) -> tuple[np.ndarray, np.ndarray, str, object]:
    """(points (N, d), labels (N,), what they are, factor table or None) of set ``name``."""
    import latentlab as ll
    from latentlab.data import load_dataset

    if name == "digits-pixels":
        ds = load_dataset("digits")
        return ds.as_float().reshape(len(ds), -1), np.asarray(ds.labels), "64 pixels of 1,797 digits", None
    if name == "digits-vae":
        from latentlab.training.trainer import TrainConfig

        ds = load_dataset("digits")
        t = time.time()
        run = ll.train(ds, "vae", {"latent_dim": args.latent_dim, "hidden": "256,128"},
                       TrainConfig(steps=args.steps, batch_size=128, lr=1e-3, seed=0, log_every=50), name="digits-vae-10")
        print(f"  trained a VAE ({args.latent_dim} latents) for {args.steps} steps in {time.time() - t:.0f} s", flush=True)
        return (ll.embed(run.name, ds).mean, np.asarray(ds.labels),
                f"VAE latent means ({args.latent_dim}) of 1,797 digits", None)
    if name == "shapes-tcvae":
        ds = load_dataset("shapes-20k")
        t = time.time()
        codes = ll.embed("shapes-beta-tcvae", ds).mean
        print(f"  encoded {len(ds):,} shapes in {time.time() - t:.0f} s", flush=True)
        return (codes, np.asarray(ds.labels), "shapes-beta-tcvae latent means (10) of shapes-20k, labelled by shape",
                ds.factors)
    raise SystemExit(f"unknown set {name!r}; choose from {', '.join(SETS)}")


def depth_of(node) -> int:
    return 0 if node.is_leaf else 1 + max(depth_of(node.left), depth_of(node.right))


def trees(X: np.ndarray, km: np.ndarray, labels: np.ndarray, seed: int = 0) -> tuple[list[dict], int]:
    """IMM's tree and the two CART trees fitted to the k-means labels ``km``: a row each, and IMM's depth."""
    from sklearn.tree import DecisionTreeClassifier

    from latentlab.analysis.clustering import matched_accuracy
    from latentlab.analysis.clustering.threshold_tree import imm_tree, kmeans_cost

    k = len(np.unique(km))
    rng = np.random.default_rng(seed)
    train = np.zeros(len(X), dtype=bool)
    train[rng.choice(len(X), int(0.8 * len(X)), replace=False)] = True
    base = kmeans_cost(X, km)

    t = time.time()
    imm = imm_tree(X, km)
    imm_seconds = time.time() - t
    depth = depth_of(imm.root)

    def cart(**kw):
        return DecisionTreeClassifier(random_state=seed, **kw)

    fits = {
        "IMM (k leaves)": (lambda Xf, yf: imm_tree(Xf, yf), k),
        f"CART, depth {depth}": (lambda Xf, yf: cart(max_depth=depth).fit(Xf, yf), None),
        "CART, k leaves": (lambda Xf, yf: cart(max_leaf_nodes=k).fit(Xf, yf), k),
    }
    rows = []
    for name, (fit, leaves) in fits.items():
        t = time.time()
        model = imm if name.startswith("IMM") else fit(X, km)
        seconds = imm_seconds if name.startswith("IMM") else time.time() - t
        pred = model.predict(X)
        held = fit(X[train], km[train]).predict(X[~train])
        rows.append({"tree": name, "leaves": leaves or int(model.get_n_leaves()),
                     "agreement": float(np.mean(pred == km)), "held-out agreement": float(np.mean(held == km[~train])),
                     "accuracy vs labels": matched_accuracy(labels, pred), "cost ratio": kmeans_cost(X, pred) / base,
                     "fit s": seconds})
    rows.append({"tree": "k-means itself", "leaves": k, "agreement": 1.0, "held-out agreement": float("nan"),
                 "accuracy vs labels": matched_accuracy(labels, km), "cost ratio": 1.0, "fit s": float("nan")})
    return rows, depth


def descriptions(X: np.ndarray, km: np.ndarray, seed: int = 0) -> list[dict]:
    from latentlab.analysis.clustering.polyhedra import describe_clusters

    rows = []
    for oblique in (False, True):
        for h in HALFSPACES:
            t = time.time()
            desc = describe_clusters(X, km, h, oblique, seed=seed).values()
            rows.append({"half-spaces": h, "kind": "oblique" if oblique else "axis-aligned",
                         "precision": float(np.mean([d.precision for d in desc])),
                         "recall": float(np.mean([d.recall for d in desc])),
                         "used": float(np.mean([len(d.halfspaces) for d in desc])), "s": time.time() - t})
    return rows


def markdown(rows: list[dict], formats: dict[str, str]) -> str:
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = []
        for c in cols:
            v = r[c]
            if isinstance(v, float) and np.isnan(v):
                cells.append("")
            elif isinstance(v, float):
                cells.append(format(v, formats.get(c, ".3f")))
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sets", default=",".join(SETS))
    p.add_argument("--steps", type=int, default=3000, help="training steps of the digits VAE (batch 128)")
    p.add_argument("--latent-dim", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    import torch

    torch.set_num_threads(1)
    os.environ["LATENTLAB_HOME"] = tempfile.mkdtemp(prefix="cluster-rules-")
    from latentlab.analysis.clustering import make_clusterer

    for name in args.sets.split(","):
        print(f"\n## {name}\n", flush=True)
        X, labels, what, factors = load_set(name, args)
        X = np.asarray(X, dtype=np.float64)
        k = len(np.unique(labels))
        t = time.time()
        km = make_clusterer("kmeans", random_state=args.seed, k=k).fit_predict(X)
        print(f"{what}: {len(X):,} points in {X.shape[1]} dimensions; k-means with k = {k} in {time.time() - t:.1f} s\n")
        tree_rows, depth = trees(X, km, labels, args.seed)
        print(f"Trees fitted to the k-means labels (IMM's depth: {depth}):\n")
        print(markdown(tree_rows, {"fit s": ".2f"}))
        if factors is not None:
            from sklearn.metrics import normalized_mutual_info_score as nmi

            from latentlab.analysis.clustering.threshold_tree import imm_tree

            leaves = imm_tree(X, km).predict(X)
            print("\nWhat the clusters follow: NMI against each ground-truth factor\n")
            print(markdown([{"partition": who, **{f: float(nmi(factors[f], part)) for f in factors.columns}}
                            for who, part in (("k-means", km), ("IMM's leaves", leaves))], {}))
        print("\nPolyhedral descriptions of the k-means clusters (means over the clusters):\n")
        print(markdown(descriptions(X, km, args.seed), {"used": ".1f", "s": ".2f"}), flush=True)


if __name__ == "__main__":
    main()
