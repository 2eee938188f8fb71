"""``qlae``: the quantized-latent autoencoder of Hsu et al. 2023, "Disentanglement via Latent Quantization"
(NeurIPS 2023, arXiv:2305.18378).

Each latent dimension d snaps to the nearest of its own ``values_per_latent`` learnable scalars (its
codebook, evenly spaced on [-0.5, 0.5] at the start). The decoder sees only the quantized code; the
encoder learns through the straight-through estimator; ``decode`` (what every view decodes with) snaps
any code it is given to the codebooks as well. Two losses tie the two together: the
quantization loss, the mean over latents of (sg(z_e) - z_q)^2, moves the codebooks; the commitment loss,
the mean of (z_e - sg(z_q))^2, keeps the encoder's outputs near them. Both are weighted 0.01, and
training uses AdamW with weight decay 0.1, as in the paper's configs; the paper uses twice as many
latents as there are factors and 10 values per latent.

Departures from the paper:

- The reconstruction loss is summed over an item's features, as for every LatentLab model, where the
  paper averages its binary cross-entropy over pixels. The quantization and commitment terms are
  multiplied by the number of features to match, so the balance of the three is the paper's.
- The networks are LatentLab's (``arch``: an MLP, or the conv encoder and decoder for 64x64 images), not
  the paper's deeper conv encoder and style-modulated decoder.
- Gradients are clipped at LatentLab's ``grad_clip`` (10 by default; the paper clips at 1), and weight
  decay applies to every parameter, the codebooks included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from latentlab.models.base import LatentModel, LossOutput, ModelConfig, Posterior


@dataclass
class QLAEConfig(ModelConfig):
    latent_dim: int = field(default=10, metadata={"help": "number of quantized latents (the paper: twice the number of factors; "
                                                          "at most LATENTLAB_LIMIT_MAX_LATENT_DIM)", "min": 1})
    values_per_latent: int = field(default=10, metadata={"help": "values in each latent's codebook", "min": 2, "max": 256})
    quantization_weight: float = field(default=0.01, metadata={"help": "weight of the loss that moves the codebooks",
                                                               "min": 0.0, "max": 1000.0})
    commitment_weight: float = field(default=0.01, metadata={"help": "weight of the loss that keeps codes near the codebooks",
                                                             "min": 0.0, "max": 1000.0})
    weight_decay: float = field(default=0.1, metadata={"help": "AdamW weight decay", "min": 0.0, "max": 10.0})


class QLAE(LatentModel):
    config_cls = QLAEConfig
    stochastic = False
    quantized = True

    def __init__(self, config: QLAEConfig):
        super().__init__(config)
        values = torch.linspace(-0.5, 0.5, config.values_per_latent)
        self.codebook = nn.Parameter(values.repeat(config.latent_dim, 1))  # (D, V): one row per latent

    def optimizer_settings(self) -> dict:
        return {"weight_decay": float(self.config.weight_decay)}

    def codebook_values(self) -> np.ndarray:
        return np.sort(self.codebook.detach().cpu().numpy().astype(np.float32), axis=1)

    def quantize(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, D) continuous codes -> (quantized codes (B, D), codebook indices (B, D))."""
        index = (z.unsqueeze(-1) - self.codebook.unsqueeze(0)).abs().argmin(-1)
        rows = torch.arange(z.shape[1], device=z.device).expand_as(index)
        return self.codebook[rows, index], index

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Any code is snapped to the codebooks first: the decoder has only seen quantized codes, so a code
        between values (a direction's path, an interpolation, a pushed latent) decodes as its nearest one."""
        return super().decode(self.quantize(z)[0])

    def encode(self, x: torch.Tensor) -> Posterior:
        z = self.encoder(x)
        quantized, _ = self.quantize(z)
        return Posterior(z + (quantized - z).detach(), None)  # the quantized values; gradients pass straight through

    def loss(self, x: torch.Tensor) -> LossOutput:
        z = self.encoder(x)
        quantized, _ = self.quantize(z)
        recon = self.reconstruction_loss(self.decode_logits(z + (quantized - z).detach()), x).mean()
        quantization = (z.detach() - quantized).pow(2).mean(1).mean()
        commitment = (z - quantized.detach()).pow(2).mean(1).mean()
        features = math.prod(self.config.input_shape)
        loss = recon + features * (self.config.quantization_weight * quantization
                                   + self.config.commitment_weight * commitment)
        return LossOutput(loss, {"recon": recon, "quantization": quantization, "commitment": commitment, "loss": loss})
