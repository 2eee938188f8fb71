"""One registry of models, keyed by the short names the CLI and UI use."""

from __future__ import annotations

import dataclasses

from latentlab.core.errors import LatentLabError
from latentlab.core.registry import Registry
from latentlab.models.ae import AutoEncoder
from latentlab.models.base import LatentModel, LossOutput, ModelConfig, Posterior, kl_per_dim
from latentlab.models.dec import DEC
from latentlab.models.gmvae import GMVAE
from latentlab.models.qlae import QLAE
from latentlab.models.sae import TopKSAE
from latentlab.models.tcvae import BetaTCVAE
from latentlab.models.vae import VAE, BetaVAE

MODELS: Registry[type[LatentModel]] = Registry("model")
MODELS.add("ae", AutoEncoder, "deterministic autoencoder")
MODELS.add("vae", VAE, "variational autoencoder (Kingma & Welling 2013)")
MODELS.add("beta-vae", BetaVAE, "beta-VAE, KL weighted by beta (Higgins et al. 2017)")
MODELS.add("beta-tcvae", BetaTCVAE, "beta-TCVAE, total correlation weighted by beta, MWS estimator (Chen et al. 2018)")
MODELS.add("qlae", QLAE, "quantized-latent autoencoder, a learnable scalar codebook per latent (Hsu et al. 2023)")
MODELS.add("topk-sae", TopKSAE,
           "TopK sparse autoencoder, an overcomplete dictionary with k active features per item (Gao et al. 2024)")
MODELS.add("dec", DEC,
           "deep embedded clustering: an autoencoder whose codes are pulled into K Student-t clusters (Xie et al. 2016)")
MODELS.add("gmvae", GMVAE,
           "VAE with a Gaussian-mixture prior of K learnable components, which cluster the codes (Luo et al. 2019)")


def model_class(name: str) -> type[LatentModel]:
    return MODELS.lookup(name)


def check_settings(name: str, settings: dict, internal: bool = False) -> type[ModelConfig]:
    """Model ``name``'s config class, after checking that it has every setting in ``settings`` (``None`` values
    are left out; ``internal`` allows the fields a run fills in itself, such as ``input_shape``). A name the
    registry lacks may be a class an installed package registers with ``loss(x)`` (``foreign_settings``)."""
    if name not in MODELS:
        from latentlab.models import foreign_settings

        settings_cls = foreign_settings.settings_class(name, foreign_settings.trainable_class(name, MODELS)[0])
        foreign_settings.check_class_settings(name, settings_cls, settings)
        return settings_cls
    cls = model_class(name).config_cls
    known = {f.name for f in (dataclasses.fields(cls) if internal else cls.user_fields())}
    extra = {k for k, v in settings.items() if v is not None and k not in known}
    if extra:
        raise LatentLabError(f"Model '{name}' has no setting {', '.join(sorted(extra))}; its settings are "
                             f"{', '.join(f.name for f in cls.user_fields())}.")
    return cls


def make_config(name: str, input_shape, default_likelihood: str, **overrides) -> ModelConfig:
    """A config for model ``name``; ``None`` overrides keep the defaults, and a ``likelihood`` of ``auto`` (or none)
    becomes ``default_likelihood``, the one the data calls for (``likelihoods.default_likelihood``)."""
    cls = check_settings(name, overrides, internal=True)
    from latentlab.models.validation import check_config

    values = {k: v for k, v in overrides.items() if v is not None}
    if values.get("likelihood", "auto") == "auto":
        values["likelihood"] = default_likelihood
    values.update(input_shape=[int(v) for v in input_shape])
    return check_config(cls, values, f"Model '{name}'")  # the same checks a checkpoint's manifest gets


def build_model(name: str, config: ModelConfig) -> LatentModel:
    return model_class(name)(config)


__all__ = ["MODELS", "LatentModel", "LossOutput", "ModelConfig", "Posterior", "build_model", "check_settings",
           "kl_per_dim", "make_config", "model_class"]
