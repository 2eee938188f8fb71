"""Models written in plain torch, as a user's own code would be (no LatentLab class in sight), put where Python
imports them from: a module file in a folder on sys.path, and an installed distribution (a ``.dist-info``
folder with ``entry_points.txt``, which importlib.metadata reads like any installed package's)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import torch
from safetensors.torch import save_file

MODULE = "userlab_models"
ENTRY_POINT = "plain-vae"
DIGITS = 64  # digits are (1, 8, 8)

SOURCE = textwrap.dedent('''
    import torch
    from torch import nn
    from torch.distributions import Normal


    class PlainVAE(nn.Module):
        """A VAE as found in a paper's repository: encode gives (mu, logvar)."""

        def __init__(self, n_in=64, latent=3, hidden=16):
            super().__init__()
            self.enc = nn.Sequential(nn.Flatten(), nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent))
            self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, n_in))

        def encode(self, x):
            mu, logvar = self.enc(x).chunk(2, dim=1)
            return mu, logvar

        def decode(self, z):
            return torch.sigmoid(self.dec(z)).view(-1, 1, 8, 8)

        def loss(self, x):
            mu, logvar = self.encode(x)
            z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
            rec = nn.functional.binary_cross_entropy(self.decode(z), x, reduction="sum") / len(x)
            kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum() / len(x)
            return {"loss": rec + kl, "recon": rec, "kl": kl}


    class NormalEncoder(nn.Module):
        """An encoder only, giving a torch.distributions.Normal (loc, scale)."""

        def __init__(self, n_in=64, latent=2):
            super().__init__()
            self.lin = nn.Linear(n_in, 2 * latent)

        def encode(self, x):
            loc, raw = self.lin(x.flatten(1)).chunk(2, dim=1)
            return Normal(loc, nn.functional.softplus(raw) + 1e-3)


    class FlatAE(nn.Module):
        """A deterministic autoencoder of flat, standardised vectors (it wants (B, 64) in z-scores)."""

        def __init__(self, n_in=64, latent=4):
            super().__init__()
            self.enc = nn.Linear(n_in, latent)
            self.dec = nn.Linear(latent, n_in)

        def encode(self, x):
            assert x.dim() == 2, "FlatAE reads flat vectors"
            return {"embedding": self.enc(x)}

        def decode(self, z):
            return self.dec(z)


    class GrowingEncoder(nn.Module):
        """Its code's width follows the batch size: a bug LatentLab must catch."""

        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(1))

        def encode(self, x):
            return torch.ones(len(x), len(x)) * self.w


    class NanEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(1))

        def encode(self, x):
            return x.flatten(1)[:, :3] * float("nan") * self.w


    class WrongDecoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(1))

        def encode(self, x):
            return x.flatten(1)[:, :3] * self.w

        def decode(self, z):
            return torch.zeros(len(z), 5, 5)


    class NoEncode(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(1))

        def forward(self, x):
            return x
''')


def write_module(folder: Path) -> Path:
    """The module file ``userlab_models.py`` in ``folder``; returns the folder (for sys.path)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{MODULE}.py").write_text(SOURCE)
    sys.modules.pop(MODULE, None)  # a module of the same name from another test's folder
    return folder


def install_distribution(folder: Path, name: str = "userlab-models", version: str = "0.3.1") -> Path:
    """An installed distribution in ``folder`` (a site-packages of its own) registering PlainVAE under the
    entry-point group latentlab.models, with the module beside it."""
    write_module(folder)
    info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[latentlab.models]\n{ENTRY_POINT} = {MODULE}:PlainVAE\n")
    (info / "RECORD").write_text("")
    return folder


def save_weights(module_obj: torch.nn.Module, path: Path) -> Path:
    save_file({k: v.contiguous() for k, v in module_obj.state_dict().items()}, str(path))
    return path


def built(cls_name: str, seed: int = 0, **kwargs):
    """An instance of the user's class ``cls_name``, seeded, from the module on sys.path."""
    import importlib

    torch.manual_seed(seed)
    return getattr(importlib.import_module(MODULE), cls_name)(**kwargs)


def write_config(path: Path, **kwargs) -> Path:
    path.write_text(json.dumps(kwargs))
    return path
