"""How well a gmvae's mixture components cluster the digits, beside k-means on a VAE's codes.

Trains a gmvae (K components) and a vae with the same networks, latent size and steps on the digits,
then prints, for the gmvae's components (each item at its most likely component, ``Embedding.assign``)
and for k-means with the same K on the VAE's latent means: ARI and NMI against the digit labels, how
many clusters hold items, and the largest cluster's share; and both models' loss terms and time.

    python benchmarks/gmvae_clusters.py [--steps 4200] [--k 10] [--latent-dim 8] [--beta-y 1]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score


def cluster_figures(labels: np.ndarray, truth: np.ndarray) -> str:
    counts = np.bincount(labels)
    return (f"ARI {adjusted_rand_score(truth, labels):.3f}  NMI {normalized_mutual_info_score(truth, labels):.3f}  "
            f"clusters used {int((counts > 0).sum())}  largest {counts.max() / len(labels):.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4200)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--latent-dim", type=int, default=8)
    parser.add_argument("--beta-y", type=float, default=1.0, help="the gmvae's categorical KL weight")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("LATENTLAB_HOME", tempfile.mkdtemp(prefix="gmvae-bench-"))

    import latentlab as ll
    from latentlab import lab
    from latentlab.training.trainer import TrainConfig

    ds = ll.load_dataset("digits")
    truth = np.asarray(ds.labels)
    cfg = TrainConfig(steps=args.steps, batch_size=128, lr=1e-3, seed=args.seed)
    print(f"digits, {args.steps} steps of 128, latent_dim {args.latent_dim}, K = {args.k}, beta_y {args.beta_y}, seed {args.seed}")
    for model, params in [("gmvae", {"n_components": args.k, "beta_y": args.beta_y}), ("vae", {})]:
        t = time.perf_counter()
        run = ll.train(ds, model, {"latent_dim": args.latent_dim, **params}, cfg, name=f"bench-{model}")
        seconds = time.perf_counter() - t
        emb = ll.embed(run.name)
        terms = "  ".join(f"{k} {v:.2f}" for k, v in run.terms.items())
        print(f"{model:6s} {seconds:6.1f} s  {terms}")
        if model == "gmvae":
            print(f"  components (argmax q(y|z)): {cluster_figures(emb.assign.argmax(1), truth)}")
            print(f"  mean max q(y|z) {emb.assign.max(1).mean():.3f}")
        else:
            km = lab.cluster(run.name, method="kmeans", k=args.k, seed=args.seed)
            print(f"  k-means on the codes:       {cluster_figures(km.labels, truth)}")


if __name__ == "__main__":
    main()
