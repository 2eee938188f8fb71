"""Encoder and decoder networks, picked from the data's shape.

``mlp`` flattens any input; ``conv`` is the disentanglement_lib architecture
for 64x64 images (Locatello et al. 2019, arXiv:1811.12359): four 4x4 stride-2
convolutions (32, 32, 64, 64 channels), a 256-unit layer, and a mirrored
transposed-convolution decoder.
"""

from __future__ import annotations

import math

from torch import nn

from latentlab.core.errors import LatentLabError


def resolve_arch(config) -> str:
    shape = tuple(config.input_shape)
    is_64 = len(shape) == 3 and shape[1:] == (64, 64)
    if config.arch == "auto":
        return "conv" if is_64 else "mlp"
    if config.arch == "conv" and not is_64:
        raise LatentLabError(f"The conv network needs 64x64 images, but the data has items of shape {shape}; use --arch mlp.")
    if config.arch not in ("mlp", "conv"):
        raise LatentLabError(f"Unknown network '{config.arch}'; use auto, mlp or conv.")
    return config.arch


def build_networks(config, out_features: int) -> tuple[nn.Module, nn.Module]:
    if not config.input_shape:
        raise ValueError("config.input_shape must be set before building a model")
    if resolve_arch(config) == "conv":
        return _conv_encoder(config.input_shape[0], out_features), _conv_decoder(config.latent_dim, config.input_shape[0])
    n_in = math.prod(config.input_shape)
    sizes = config.hidden_sizes()
    return _mlp([n_in, *sizes, out_features], flatten=True), _mlp([config.latent_dim, *reversed(sizes), n_in])


def _mlp(sizes: list[int], flatten: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Flatten()] if flatten else []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _conv_encoder(channels: int, out_features: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels, 32, 4, 2, 1), nn.ReLU(),  # (B, 32, 32, 32)
        nn.Conv2d(32, 32, 4, 2, 1), nn.ReLU(),  # (B, 32, 16, 16)
        nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),  # (B, 64, 8, 8)
        nn.Conv2d(64, 64, 4, 2, 1), nn.ReLU(),  # (B, 64, 4, 4)
        nn.Flatten(),
        nn.Linear(64 * 4 * 4, 256), nn.ReLU(),
        nn.Linear(256, out_features),
    )


def _conv_decoder(latent_dim: int, channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(latent_dim, 256), nn.ReLU(),
        nn.Linear(256, 64 * 4 * 4), nn.ReLU(),
        nn.Unflatten(1, (64, 4, 4)),
        nn.ConvTranspose2d(64, 64, 4, 2, 1), nn.ReLU(),  # (B, 64, 8, 8)
        nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(),  # (B, 32, 16, 16)
        nn.ConvTranspose2d(32, 32, 4, 2, 1), nn.ReLU(),  # (B, 32, 32, 32)
        nn.ConvTranspose2d(32, channels, 4, 2, 1),  # (B, C, 64, 64)
    )
