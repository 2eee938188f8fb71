"""A beta-TCVAE beside a VAE on the built-in ``signals`` set (see README.md): MIG and DCI against its 5 factors.

Both models get the same 1-D convolutional networks (``--arch auto`` on items of shape (3, 128)), latent size,
steps, batch size, learning rate and seeds; the VAE has beta = 1, the beta-TCVAE weights its total correlation
by ``--beta`` (Chen et al. 2018 use 6 on dSprites). Scores are on a seeded sample of ``--items`` items (the
Metrics page's default), with the project's metrics (``latentlab.analysis.metrics``): MIG (Chen et al. 2018)
and DCI (Eastwood & Williams 2018, gradient-boosted trees as in disentanglement_lib). One CPU thread; each
figure is mean ± sd over the seeds, and the training seconds are printed beside them, with the final
reconstruction and KL terms (nats per item; the beta-TCVAE's loss itself carries the minibatch-weighted
sampling estimator's constant offset, so it is not printed) and, per factor, the largest normalised mutual
information any one latent holds about it (MIG's I(z_j; v_k) / H(v_k)): which factors a model encoded at all.

    flock /tmp/team/bench.lock python3 benchmarks/signals_check.py --steps 3000 --seeds 0 1
    flock /tmp/team/bench.lock python3 benchmarks/signals_check.py --scale 10 --models vae   # the likelihood's part
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

SCORES = (("MIG", "mig", "mig"), ("DCI D", "dci", "disentanglement"), ("DCI C", "dci", "completeness"),
          ("DCI I", "dci", "informativeness"))


def scaled_signals(scale: float) -> str:
    """The name of the signals set multiplied by ``scale`` (saved in the workspace once): the models' unit-variance
    Gaussian likelihood then has standard deviation 1 / scale on the original values."""
    from latentlab.data import dataset_exists, load_dataset, save_dataset
    from latentlab.data.dataset import Dataset

    if scale == 1:
        return "signals"
    name = f"signals-x{scale:g}"
    if not dataset_exists(name):
        ds = load_dataset("signals")
        save_dataset(Dataset(name=name, x=np.asarray(ds.x) * np.float32(scale), kind="signal", labels=ds.labels,
                             factors=ds.factors, feature_names=[], fingerprint=f"{ds.fingerprint}-x{scale:g}",
                             description=f"{ds.description} Multiplied by {scale:g}.", label_name=ds.label_name,
                             channel_names=list(ds.channel_names), times=ds.times))
    return name


def scores(checkpoint: str, items: int, seed: int, dataset: str = "signals") -> dict[str, float]:
    """MIG and DCI of a trained checkpoint on a seeded sample of the signals, its final reconstruction and KL
    terms, and per factor the largest normalised mutual information one latent holds about it."""
    import latentlab as ll
    from latentlab.analysis.metrics.scoring import score_embedding
    from latentlab.data import load_dataset
    from latentlab.data.signals import FACTOR_NAMES

    ds = load_dataset(dataset)
    results = score_embedding(ll.embed(checkpoint, ds), ds, ["mig", "dci"], n=items, seed=seed)
    out = {label: results[metric].scores[key] for label, metric, key in SCORES}
    terms = ll.load_checkpoint(checkpoint).manifest["final_terms"]
    out.update({"recon": float(terms["recon"]), "KL": float(terms["kl"])})
    best = results["mig"].matrices["mi_normalised"].max(axis=0)  # (K,): per factor, over latents
    out.update({f"MI {name}": float(v) for name, v in zip(FACTOR_NAMES, best)})
    return out


def one_run(model: str, params: dict, seed: int, args) -> dict[str, float]:
    import latentlab as ll
    from latentlab.training.trainer import TrainConfig

    dataset = scaled_signals(args.scale)
    t = time.time()
    run = ll.train(dataset, model, {"latent_dim": args.latent_dim, **params},
                   TrainConfig(steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=seed, log_every=50),
                   name=f"{model}-{seed}")
    out = {"train s": time.time() - t, **scores(run.name, args.items, seed, dataset)}
    print(f"{model} seed {seed}: " + "  ".join(f"{k} {v:.3f}" for k, v in out.items()), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000, help="training steps of each model (the run's size)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--beta", type=float, default=6.0, help="the beta-TCVAE's total-correlation weight")
    parser.add_argument("--latent-dim", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--items", type=int, default=10_000, help="items the metrics are scored on")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="train and score on the signals multiplied by this (the reconstruction term, in the "
                             "scaled units, is then a Gaussian of sd 1/scale on the original values)")
    parser.add_argument("--models", nargs="+", default=["vae", "beta-tcvae"], choices=["vae", "beta-tcvae"])
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    os.environ.setdefault("LATENTLAB_HOME", tempfile.mkdtemp(prefix="latentlab-signals-"))
    runs = {label: run for label, run in (("vae (beta 1)", ("vae", {"beta": 1.0})),
                                          (f"beta-tcvae (beta {args.beta:g})", ("beta-tcvae", {"beta": args.beta})))
            if run[0] in args.models}
    table = {label: [one_run(model, params, seed, args) for seed in args.seeds] for label, (model, params) in runs.items()}
    columns = list(next(iter(table.values()))[0])
    print(f"\nsignals{f' x {args.scale:g}' if args.scale != 1 else ''}: {args.steps} steps of {args.batch_size}, "
          f"latent_dim {args.latent_dim}, seeds {args.seeds}, scored on {args.items:,} items\n")
    print("| model | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for label, rows in table.items():
        cells = []
        for c in columns:
            v = np.array([r[c] for r in rows])
            cells.append(f"{v.mean():.3f}" + (f" ± {v.std():.3f}" if len(v) > 1 else "") if c != "train s"
                         else f"{v.mean():.0f}")
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
