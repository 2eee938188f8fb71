"""The TopK sparse autoencoder (see README.md): normalised MSE against k on digits pixels, beside the best
linear code with k dimensions (PCA), and the dead-feature fraction with and without the AuxK loss.

NMSE = sum ||x - x_hat||^2 / sum ||x - mean||^2 over all 1,797 digits (the training set: a check of the
objective, not of generalisation); 1 is predicting the mean. Each run trains ``--steps`` steps of 128 items
with one CPU thread, seed 0.

Dead features, two ways. On digits as they come, and on a problem made for the AuxK loss: items are sums of
2 of 32 random unit atoms in 16 dimensions, the SAE has 32 features, and half of them start dead (their
encoder rows shrunk 100-fold, so they never make the top k); the AuxK loss is what gives them gradient.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np


def nmse(model, x: np.ndarray) -> float:
    import torch

    with torch.no_grad():
        recon = model.decode(model.encode(torch.from_numpy(x)).mean).reshape(len(x), -1).numpy()
    flat = x.reshape(len(x), -1)
    return float(((recon - flat) ** 2).sum() / ((flat - flat.mean(0)) ** 2).sum())


def never_fire(model, x: np.ndarray) -> float:
    import torch

    from latentlab.analysis.sae_features import feature_stats

    with torch.no_grad():
        codes = model.encode(torch.from_numpy(x)).mean.numpy()
    return float(feature_stats(codes).dead.mean())


def pca_nmse(x: np.ndarray, k: int) -> float:
    flat = x.reshape(len(x), -1).astype(np.float64)
    s = np.linalg.svd(flat - flat.mean(0), compute_uv=False) ** 2
    return float(s[k:].sum() / s.sum())


def train_digits(params: dict, steps: int):
    import latentlab as ll
    from latentlab.checkpoints.format import read_checkpoint
    from latentlab.training.trainer import TrainConfig

    t = time.perf_counter()
    result = ll.train("digits", "topk-sae", params, TrainConfig(steps=steps, batch_size=128, seed=0, device="cpu"))
    model = read_checkpoint(result.name).model
    x = ll.load_dataset("digits").as_float()
    return nmse(model, x), float(model.dead_features().float().mean()), never_fire(model, x), time.perf_counter() - t


def atoms_dataset(n: int = 4000, dims: int = 16, atoms: int = 32, per_item: int = 2, seed: int = 0):
    """Items that are sums of ``per_item`` of ``atoms`` random unit vectors, with weights in [0.5, 1.5)."""
    from latentlab.data import Dataset

    rng = np.random.default_rng(seed)
    dictionary = rng.normal(size=(atoms, dims))
    dictionary /= np.linalg.norm(dictionary, axis=1, keepdims=True)
    chosen = np.argsort(rng.random((n, atoms)), axis=1)[:, :per_item]
    weights = rng.random((n, per_item)) + 0.5
    x = (weights[:, :, None] * dictionary[chosen]).sum(1).astype(np.float32)
    return Dataset(name="atoms", x=x, kind="embedding")


def revival(aux_coef: float, steps: int = 1000, seed: int = 0):
    """Train the half-dead SAE on ``atoms_dataset``: (features revived of 16, dead fraction, NMSE)."""
    import torch

    from latentlab.models import build_model, make_config
    from latentlab.training.trainer import TrainConfig, Trainer

    ds = atoms_dataset()
    torch.manual_seed(seed)
    model = build_model("topk-sae", make_config("topk-sae", ds.item_shape, "gaussian", latent_dim=32, k=2,
                                                 aux_coef=aux_coef, dead_items=1000))
    with torch.no_grad():
        model.W_enc[16:] *= 0.01
    Trainer(model, ds, TrainConfig(steps=steps, batch_size=64, lr=1e-2, seed=seed, device="cpu")).run()
    with torch.no_grad():
        codes = model.encode(torch.from_numpy(ds.x)).mean.numpy()
    revived = int((codes[:, 16:] > 0).any(0).sum())
    return revived, float(model.dead_features().float().mean()), nmse(model, ds.x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--ks", default="1,2,4,8,16,32")
    parser.add_argument("--dead-k", type=int, default=4, help="k of the digits runs with and without AuxK")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as home:
        os.environ["LATENTLAB_HOME"] = home
        from latentlab.data import load_dataset

        x = load_dataset("digits").as_float()
        print(f"TopK SAE on digits (64 pixels), width {args.width}, {args.steps} steps of 128, 1 CPU thread")
        print(f"{'k':>4}  {'NMSE':>7}  {'PCA-k NMSE':>10}  {'dead in training':>16}  {'never fire':>10}  {'time':>6}")
        for k in (int(v) for v in args.ks.split(",")):
            err, dead, never, s = train_digits({"latent_dim": args.width, "k": k}, args.steps)
            print(f"{k:>4}  {err:7.4f}  {pca_nmse(x, k):10.4f}  {dead:16.1%}  {never:10.1%}  {s:5.1f}s")
        print(f"\nDead features on digits, k = {args.dead_k} (dead: not fired in the last 10,000 training items)")
        for label, coef in (("with AuxK (1/32)", 1 / 32), ("without AuxK", 0.0)):
            err, dead, never, _ = train_digits({"latent_dim": args.width, "k": args.dead_k, "aux_coef": coef}, args.steps)
            print(f"  {label:<17} dead in training {dead:6.1%} · never fire on the data {never:6.1%} · NMSE {err:.4f}")
        print("\nHalf of 32 features start dead (2-of-32 atoms in 16-D, k = 2, 1,000 steps of 64)")
        for label, coef in (("with AuxK (1/32)", 1 / 32), ("without AuxK", 0.0)):
            revived, dead, err = revival(coef)
            print(f"  {label:<17} revived {revived:2d} of 16 · dead at the end {dead:6.1%} · NMSE {err:.4f}")


if __name__ == "__main__":
    main()
