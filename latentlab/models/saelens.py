"""A sparse autoencoder saved by SAELens (Bloom et al. 2024, github.com/jbloomAus/SAELens): a folder with
``cfg.json`` and ``sae_weights.safetensors``, read as a plain module LatentLab wraps as a foreign model.

The weights are SAELens's: ``W_enc`` (d_in, d_sae), ``b_enc`` (d_sae), ``W_dec`` (d_sae, d_in), ``b_dec``
(d_in), with ``threshold`` (d_sae) for JumpReLU and ``b_gate``, ``r_mag``, ``b_mag`` (d_sae) for gated SAEs.
Encoding follows SAELens's inference path::

    x'   = x - b_dec            (when apply_b_dec_to_input)
    pre  = x' W_enc + b_enc
    f    = act(pre)             relu | tanh-relu (tanh of relu) | topk (relu of the k largest, the rest 0) |
                                jumprelu (pre where pre > threshold) | gated (see below)
    x^   = f W_dec + b_dec

A gated SAE's features are ``[x' W_enc + b_gate > 0] * relu(x' (W_enc * exp(r_mag)) + b_mag)``. An input
normalisation (``normalize_activations`` other than none: SAELens rescales each input and undoes it on the
reconstruction from state kept between the two calls) and a fine-tuning scaling factor are refused with
their reason: the embedding dataset can be scaled the same way before it is imported. The SAE is read without importing sae_lens (which pulls in transformer-lens).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from latentlab.core.errors import LatentLabError
from latentlab.core.limits import limit

CONFIG_FILE = "cfg.json"
WEIGHTS_FILE = "sae_weights.safetensors"
ARCHITECTURES = ("standard", "topk", "jumprelu", "gated")
ACTIVATIONS = ("relu", "tanh-relu", "topk")
NORMALISATIONS = (None, "none")


def read_saelens_config(folder: str | Path) -> dict:
    """The SAE's settings from ``folder/cfg.json``, checked; one sentence for what is missing or unsupported."""
    folder = Path(folder)
    cfg_path = folder / CONFIG_FILE
    if not folder.is_dir() or not cfg_path.is_file() or not (folder / WEIGHTS_FILE).is_file():
        raise LatentLabError(f"`saelens` folder {folder} lacks {CONFIG_FILE} or {WEIGHTS_FILE}, which a SAELens "
                             "folder holds.", param="saelens", value=str(folder))
    if cfg_path.stat().st_size > 1024**2:
        raise LatentLabError(f"{folder.name}/{CONFIG_FILE} is larger than 1 MB; it is not a SAELens config.",
                             param="saelens", value=str(folder))
    try:
        raw = json.loads(cfg_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise LatentLabError(f"{folder.name}/{CONFIG_FILE} is not valid JSON.", param="saelens",
                             value=str(folder)) from None
    if not isinstance(raw, dict):
        raise LatentLabError(f"{folder.name}/{CONFIG_FILE} is not a JSON object.", param="saelens", value=str(folder))
    where = f"{folder.name}/{CONFIG_FILE}"
    dims = {}
    for key in ("d_in", "d_sae"):
        value = raw.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise LatentLabError(f"{where}: '{key}' must be a positive integer, not {value!r}.")
        dims[key] = value
    if dims["d_sae"] > limit("max_latent_dim"):
        raise LatentLabError(f"{where}: d_sae {dims['d_sae']:,} is over LatentLab's latent limit of "
                             f"{limit('max_latent_dim'):,} (raise LATENTLAB_LIMIT_MAX_LATENT_DIM to explore it).")
    kwargs = raw.get("activation_fn_kwargs") or {}
    activation = raw.get("activation_fn", raw.get("activation_fn_str", "relu"))
    architecture = raw.get("architecture", "standard")
    if architecture not in ARCHITECTURES:
        raise LatentLabError(f"{where}: architecture '{architecture}' is not one LatentLab reads ({', '.join(ARCHITECTURES)}).")
    if architecture == "topk":
        activation = "topk"
    if architecture == "standard" and activation not in ACTIVATIONS:
        raise LatentLabError(f"{where}: activation_fn '{activation}' is not one LatentLab reads ({', '.join(ACTIVATIONS)}).")
    k = kwargs.get("k", raw.get("k")) if activation == "topk" else None
    if activation == "topk" and (not isinstance(k, int) or not 1 <= k <= dims["d_sae"]):
        raise LatentLabError(f"{where}: a TopK SAE needs activation_fn_kwargs.k between 1 and d_sae, not {k!r}.")
    norm = raw.get("normalize_activations")
    if norm not in NORMALISATIONS:
        raise LatentLabError(f"{where}: normalize_activations '{norm}' rescales each input by a norm that decoding "
                             "cannot recover from the features; scale the embedding dataset the same way and set it to none.")
    if raw.get("finetuning_scaling_factor"):
        raise LatentLabError(f"{where}: finetuning_scaling_factor is set; fold the factor into W_dec first.")
    return {**dims, "architecture": architecture, "activation": activation, "k": k,
            "apply_b_dec_to_input": bool(raw.get("apply_b_dec_to_input", architecture != "gated"))}


class SAELensSAE(nn.Module):
    """The SAE of a SAELens folder as a module with ``encode`` (B, d_in) -> (B, d_sae) and ``decode``."""

    def __init__(self, d_in: int, d_sae: int, architecture: str = "standard", activation: str = "relu",
                 k: int | None = None, apply_b_dec_to_input: bool = True):
        super().__init__()
        self.d_in, self.d_sae = d_in, d_sae
        self.architecture, self.activation, self.k = architecture, activation, k
        self.apply_b_dec_to_input = apply_b_dec_to_input
        self.W_enc = nn.Parameter(torch.zeros(d_in, d_sae))
        self.W_dec = nn.Parameter(torch.zeros(d_sae, d_in))
        self.b_dec = nn.Parameter(torch.zeros(d_in))
        if architecture == "gated":
            self.b_gate = nn.Parameter(torch.zeros(d_sae))
            self.r_mag = nn.Parameter(torch.zeros(d_sae))
            self.b_mag = nn.Parameter(torch.zeros(d_sae))
        else:
            self.b_enc = nn.Parameter(torch.zeros(d_sae))
        if architecture == "jumprelu":
            self.threshold = nn.Parameter(torch.zeros(d_sae))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(B, d_in) -> (B, d_sae) feature activations."""
        x = x.to(self.W_enc.dtype)
        if self.apply_b_dec_to_input:
            x = x - self.b_dec
        if self.architecture == "gated":
            gate = (x @ self.W_enc + self.b_gate) > 0
            magnitude = torch.relu(x @ (self.W_enc * torch.exp(self.r_mag)) + self.b_mag)
            return gate * magnitude
        pre = x @ self.W_enc + self.b_enc  # (B, d_sae)
        if self.architecture == "jumprelu":
            return torch.relu(pre) * (pre > self.threshold)
        if self.activation == "topk":
            top = torch.topk(pre, self.k, dim=-1)
            return torch.zeros_like(pre).scatter_(-1, top.indices, torch.relu(top.values))
        if self.activation == "tanh-relu":
            return torch.tanh(torch.relu(pre))
        return torch.relu(pre)

    def decode(self, f: torch.Tensor) -> torch.Tensor:
        """(B, d_sae) -> (B, d_in) reconstructions."""
        return f @ self.W_dec + self.b_dec
