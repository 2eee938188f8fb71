"""Encoder and decoder networks, picked from the data's shape.

``mlp`` flattens any input; ``conv`` is the disentanglement_lib architecture
for 64x64 images (Locatello et al. 2019, arXiv:1811.12359): four 4x4 stride-2
convolutions (32, 32, 64, 64 channels), a 256-unit layer, and a mirrored
transposed-convolution decoder. ``conv1d`` is its analogue for signals, items of shape (C, T): kernel-4
stride-2 1-D convolutions halve the time axis while it stays at least 4 samples long (at most six of them:
32, 32, 64, 64, 64, 64 channels), a 256-unit layer, and a mirrored transposed-convolution decoder whose
output padding restores odd lengths, so any T >= 8 comes back exactly.
"""

from __future__ import annotations

import math

from torch import nn

from latentlab.core.errors import LatentLabError


ARCHS = ("auto", "mlp", "conv", "conv1d")
CONV1D_CHANNELS = (32, 32, 64, 64, 64, 64)
CONV1D_MIN_LENGTH = 8  # two samples fewer than this leave nothing to convolve


def resolve_arch(config) -> str:
    """The network for ``config.input_shape``: ``auto`` picks conv for 64x64 images, conv1d for signals
    (items of shape (C, T), T >= 8) and mlp for anything else."""
    shape = tuple(config.input_shape)
    is_64 = len(shape) == 3 and shape[1:] == (64, 64)
    is_signal = len(shape) == 2 and shape[1] >= CONV1D_MIN_LENGTH
    if config.arch == "auto":
        return "conv" if is_64 else "conv1d" if is_signal else "mlp"
    if config.arch == "conv" and not is_64:
        raise LatentLabError(f"The conv network needs 64x64 images, but the data has items of shape {shape}; use "
                             "`arch` mlp.", param="arch", value=config.arch)
    if config.arch == "conv1d" and not is_signal:
        raise LatentLabError(f"The conv1d network needs signals of shape (channels, samples) with at least "
                             f"{CONV1D_MIN_LENGTH} samples, but the data has items of shape {shape}; use `arch` mlp.",
                             param="arch", value=config.arch)
    if config.arch not in ARCHS[1:]:
        raise LatentLabError(f"Unknown network '{config.arch}'; use {', '.join(ARCHS)}.")
    return config.arch


def build_networks(config, out_features: int) -> tuple[nn.Module, nn.Module]:
    if not config.input_shape:
        raise ValueError("config.input_shape must be set before building a model")
    arch = resolve_arch(config)
    if arch == "conv":
        return _conv_encoder(config.input_shape[0], out_features), _conv_decoder(config.latent_dim, config.input_shape[0])
    if arch == "conv1d":
        channels, length = (int(v) for v in config.input_shape)
        return _conv1d_encoder(channels, length, out_features), _conv1d_decoder(config.latent_dim, channels, length)
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


def conv1d_lengths(length: int) -> list[int]:
    """The time axis after each stride-2 layer of the conv1d encoder: T, T // 2, ... while it stays >= 4."""
    lengths = [length]
    while lengths[-1] // 2 >= 4 and len(lengths) <= len(CONV1D_CHANNELS):
        lengths.append(lengths[-1] // 2)
    return lengths


def _conv1d_encoder(channels: int, length: int, out_features: int) -> nn.Sequential:
    lengths = conv1d_lengths(length)
    widths = [channels, *CONV1D_CHANNELS[: len(lengths) - 1]]
    layers: list[nn.Module] = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Conv1d(a, b, 4, 2, 1), nn.ReLU()]  # (B, b, L // 2)
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(widths[-1] * lengths[-1], 256), nn.ReLU(),
                         nn.Linear(256, out_features))


def _conv1d_decoder(latent_dim: int, channels: int, length: int) -> nn.Sequential:
    lengths = conv1d_lengths(length)
    widths = [channels, *CONV1D_CHANNELS[: len(lengths) - 1]]
    layers: list[nn.Module] = [nn.Linear(latent_dim, 256), nn.ReLU(), nn.Linear(256, widths[-1] * lengths[-1]), nn.ReLU(),
                               nn.Unflatten(1, (widths[-1], lengths[-1]))]
    for k in range(len(lengths) - 1, 0, -1):  # back up the encoder's lengths; an odd one gets its sample back
        pad = lengths[k - 1] - 2 * lengths[k]  # 0 or 1
        layers.append(nn.ConvTranspose1d(widths[k], widths[k - 1], 4, 2, 1, output_padding=pad))  # (B, w, L_{k-1})
        if k > 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)
