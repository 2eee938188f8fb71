"""A small signals dataset with a briefly trained VAE, for tests of the views and commands that draw curves."""

import numpy as np

import latentlab as ll
from latentlab.data import load_dataset, save_dataset
from latentlab.training.trainer import TrainConfig


def trained_signals(n: int, steps: int, batch_size: int, seed: int):
    """Save a seeded random ``n`` of the built-in signals as 'sig' in the current workspace, train 'sig-vae'
    (3 latents) on it for ``steps`` steps, and return the dataset."""
    ds = load_dataset("signals").subset(np.random.default_rng(seed).choice(32_768, n, replace=False), name="sig")
    save_dataset(ds)
    ll.train("sig", "vae", {"latent_dim": 3}, TrainConfig(steps=steps, batch_size=batch_size), name="sig-vae")
    return load_dataset("sig")
