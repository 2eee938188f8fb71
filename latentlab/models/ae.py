"""``ae``: a deterministic autoencoder (reconstruction loss only)."""

from latentlab.models.base import LatentModel, ModelConfig


class AutoEncoder(LatentModel):
    config_cls = ModelConfig
    stochastic = False
