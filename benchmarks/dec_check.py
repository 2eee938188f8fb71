"""DEC on digits (see README.md): clustering accuracy (Hungarian matching of the 10 clusters to the 10 digits)
and NMI of DEC against k-means on the same pretrained codes and against k-means on the raw pixels.

For each seed: an ``ae`` pretrained for ``--pretrain`` steps (the codes both k-means and DEC start from), k-means
with 20 restarts on its codes, DEC trained from that checkpoint (``init_from``, no further pretraining) until
fewer than ``tol`` of the digits change cluster between target updates or ``--steps`` steps are spent, and
k-means with 20 restarts on the 64 pixels. Scores are on all 1,797 digits (the training set: clustering is
unsupervised, and the labels are used only to score). One CPU thread; figures are mean ± sd over the seeds.

The paper (Xie et al. 2016, arXiv:1511.06335) reports 84.3% accuracy for DEC on MNIST; a Keras
re-implementation (XifengGuo/DEC-keras) reports k-means 53%, autoencoder + k-means 88% and DEC 91% there.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np


def scores(labels: np.ndarray, pred: np.ndarray) -> tuple[float, float]:
    from sklearn.metrics import normalized_mutual_info_score

    from latentlab.analysis.clustering import matched_accuracy

    return matched_accuracy(labels, pred), float(normalized_mutual_info_score(labels, pred))


def kmeans(x: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=10, n_init=20, random_state=seed).fit_predict(x.astype(np.float64))


def one_seed(seed: int, args) -> dict[str, tuple[float, float]]:
    import latentlab as ll
    from latentlab.data import load_dataset
    from latentlab.training.trainer import TrainConfig

    ds = load_dataset("digits")
    labels = np.asarray(ds.labels)
    net = {"latent_dim": args.latent_dim, "hidden": args.hidden}
    cfg = dict(batch_size=256, lr=args.lr, seed=seed, log_every=10)
    ae = ll.train(ds, "ae", net, TrainConfig(steps=args.pretrain, **cfg), name=f"ae-{seed}")
    codes = ll.embed(ae.name, ds).mean
    t = time.time()
    run = ll.train(ds, "dec", {**net, "n_clusters": 10, "init_from": ae.name, "pretrain_steps": 0,
                               "update_interval": args.update_interval, "tol": args.tol},
                   TrainConfig(steps=args.steps, **cfg), name=f"dec-{seed}")
    seconds = time.time() - t
    dec = ll.embed(run.name, ds)
    out = {
        "k-means on pixels": scores(labels, kmeans(ds.as_float().reshape(len(ds), -1), seed)),
        "k-means on AE codes": scores(labels, kmeans(codes, seed)),
        "DEC (from the same AE)": scores(labels, dec.assign.argmax(1)),
    }
    print(f"seed {seed}: " + "  ".join(f"{k}: acc {a:.3f} NMI {n:.3f}" for k, (a, n) in out.items())
          + f"  (DEC stopped at step {run.step} of {args.steps} after {seconds:.1f} s, changed {run.terms['changed']:.4f})",
          flush=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--pretrain", type=int, default=1500, help="autoencoder steps of 256 digits")
    p.add_argument("--steps", type=int, default=5000, help="at most this many DEC steps")
    p.add_argument("--update-interval", type=int, default=140)
    p.add_argument("--tol", type=float, default=0.001)
    p.add_argument("--latent-dim", type=int, default=10)
    p.add_argument("--hidden", default="256,128")
    p.add_argument("--lr", type=float, default=1e-3)
    args = p.parse_args()

    import torch

    torch.set_num_threads(1)
    os.environ["LATENTLAB_HOME"] = tempfile.mkdtemp(prefix="dec-check-")
    runs = [one_seed(seed, args) for seed in range(args.seeds)]
    print(f"\ndigits (1,797 items, 10 classes), {args.seeds} seeds; AE {args.hidden}-{args.latent_dim}, "
          f"{args.pretrain} pretraining steps; DEC update_interval {args.update_interval}, tol {args.tol}")
    print(f"{'method':<26} {'accuracy':>16} {'NMI':>16}")
    for method in runs[0]:
        acc = np.array([r[method][0] for r in runs])
        nmi = np.array([r[method][1] for r in runs])
        print(f"{method:<26} {acc.mean():>8.3f} ± {acc.std(ddof=1):.3f} {nmi.mean():>8.3f} ± {nmi.std(ddof=1):.3f}")


if __name__ == "__main__":
    main()
