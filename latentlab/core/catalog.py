"""What the registries hold, readable without importing them: each entry's name, where it lives and its one-line
description, and the few other values the command line's flags show (choices, defaults, help).

The registries (``latentlab.models.MODELS``, ``latentlab.analysis.projection.PROJECTORS``, ...) import their
implementations, and with them torch, scikit-learn and pandas: seconds of start-up. A command line that only
parses its arguments, prints its help or reads a row of the job store reads these tables instead. They hold
only what the registries declare, and ``tests/test_cli_startup.py`` checks them against the registries, entry by
entry and in order, so a registry changed without its table here fails the tests instead of drifting. Once a
registry's module has been imported (a plug-in or a test may have added entries), ``entries`` reads the registry
itself.
"""

from __future__ import annotations

import sys
from typing import NamedTuple


class Listing(NamedTuple):
    home: str  # "package.module:name" of the registered class or function
    description: str  # the registry entry's one-line description
    factor_free: bool = False  # a metric that needs no ground-truth factors


MODELS = {  # latentlab.models.MODELS
    "ae": Listing("latentlab.models.ae:AutoEncoder", "deterministic autoencoder"),
    "vae": Listing("latentlab.models.vae:VAE", "variational autoencoder (Kingma & Welling 2013)"),
    "beta-vae": Listing("latentlab.models.vae:BetaVAE", "beta-VAE, KL weighted by beta (Higgins et al. 2017)"),
    "beta-tcvae": Listing("latentlab.models.tcvae:BetaTCVAE", "beta-TCVAE, total correlation weighted by beta, MWS "
                          "estimator (Chen et al. 2018)"),
    "qlae": Listing("latentlab.models.qlae:QLAE", "quantized-latent autoencoder, a learnable scalar codebook per latent "
                    "(Hsu et al. 2023)"),
    "topk-sae": Listing("latentlab.models.sae:TopKSAE", "TopK sparse autoencoder, an overcomplete dictionary with k "
                        "active features per item (Gao et al. 2024)"),
    "dec": Listing("latentlab.models.dec:DEC", "deep embedded clustering: an autoencoder whose codes are pulled into K "
                   "Student-t clusters (Xie et al. 2016)"),
    "gmvae": Listing("latentlab.models.gmvae:GMVAE", "VAE with a Gaussian-mixture prior of K learnable components, "
                     "which cluster the codes (Luo et al. 2019)"),
}

_PROJECTION = "latentlab.analysis.projection.methods"
PROJECTORS = {  # latentlab.analysis.projection.PROJECTORS
    "umap": Listing(f"{_PROJECTION}:UMAPProjector", "UMAP (McInnes et al. 2018): local neighbourhoods kept, clusters "
                    "apart"),
    "pca": Listing(f"{_PROJECTION}:PCAProjector", "principal components: the codes' directions of largest variance, "
                   "linear"),
    "tsne": Listing(f"{_PROJECTION}:TSNEProjector", "t-SNE (van der Maaten & Hinton 2008): local neighbourhoods, "
                    "slower"),
}

_CLUSTERING = "latentlab.analysis.clustering"
CLUSTERERS = {  # latentlab.analysis.clustering.CLUSTERERS
    "kmeans": Listing(f"{_CLUSTERING}.methods:KMeansClusterer", "k-means: k round clusters of similar size"),
    "gmm": Listing(f"{_CLUSTERING}.methods:GMMClusterer", "Gaussian mixture: k elliptical clusters, soft assignments"),
    "hdbscan": Listing(f"{_CLUSTERING}.methods:HDBSCANClusterer", "HDBSCAN: clusters of any shape found by density, "
                       "with noise (-1)"),
    "agglomerative": Listing(f"{_CLUSTERING}.methods:AgglomerativeClusterer", "agglomerative: k clusters merged "
                             "bottom up (Ward linkage by default)"),
    "model": Listing(f"{_CLUSTERING}.model:ModelClusterer", "the model's own clusters: each item's most likely "
                     "cluster under a model that clusters its codes (dec, gmvae); offered for such a model only"),
}

_METRICS = "latentlab.analysis.metrics"
METRICS = {  # latentlab.analysis.metrics.METRICS
    "mig": Listing(f"{_METRICS}.mig:mig", "mutual information gap (Chen et al. 2018)"),
    "dci": Listing(f"{_METRICS}.dci:dci", "DCI with gradient-boosted trees (Eastwood & Williams 2018)"),
    "dci-lasso": Listing(f"{_METRICS}.dci:dci_lasso", "DCI with L1 logistic regression"),
    "sap": Listing(f"{_METRICS}.sap:sap", "separated attribute predictability (Kumar et al. 2018)"),
    "factorvae": Listing(f"{_METRICS}.factorvae:factorvae_score", "FactorVAE majority-vote score (Kim & Mnih 2018)"),
    "betavae": Listing(f"{_METRICS}.betavae:betavae_score", "BetaVAE linear-classifier score (Higgins et al. 2017)"),
    "modularity": Listing(f"{_METRICS}.modularity:modularity_explicitness", "modularity and explicitness (Ridgeway "
                          "& Mozer 2018)"),
    "infomec": Listing(f"{_METRICS}.infomec:infomec", "InfoM, InfoE, InfoC (Hsu et al. 2023)"),
    "isoscore": Listing(f"{_METRICS}.spread:isoscore", "IsoScore, principal-component spread, 0..1 (Rudman et al. "
                        "2022)", factor_free=True),
    "eigen-entropy": Listing(f"{_METRICS}.spread:eigen_entropy", "entropy of the variance shares, 0..1, and "
                             "effective rank (Roy & Vetterli 2007)", factor_free=True),
    "avg-cosine": Listing(f"{_METRICS}.spread:average_cosine", "average cosine similarity of items (misleading as "
                          "spread: Marbut et al. 2023)", factor_free=True),
    "partition-ratio": Listing(f"{_METRICS}.spread:partition_ratio", "partition-function ratio I(V) (Mu & Viswanath "
                               "2018; misleading as spread: Marbut et al. 2023)", factor_free=True),
    "twonn": Listing(f"{_METRICS}.intrinsic_dim:twonn", "intrinsic dimension, TwoNN (Facco et al. 2017)",
                     factor_free=True),
    "levina-bickel": Listing(f"{_METRICS}.intrinsic_dim:levina_bickel", "intrinsic dimension, MLE (Levina & Bickel "
                             "2004; MacKay & Ghahramani averaging)", factor_free=True),
}

# Every user-settable config field of the registry models (``cli.train.model_flag_fields``: the first model to
# declare a name gives its type and help), as the flags of ``latentlab train`` and ``latentlab sweep``.
MODEL_FLAGS = {
    "latent_dim": (int, "number of latent dimensions (at most LATENTLAB_LIMIT_MAX_LATENT_DIM, default 1,024)"),
    "hidden": (str, "MLP hidden sizes, comma separated"),
    "arch": (str, "network: auto (conv for 64x64 images, conv1d for signals), mlp, conv or conv1d"),
    "likelihood": (str, "the decoder's distribution: auto (bernoulli for images, gaussian-learned for signals and data whose "
                        "spread is far from 1, else gaussian), bernoulli, gaussian (sd noise_std), gaussian-learned (a learned variance) or "
                        "laplace (scale noise_std)"),
    "noise_std": (float, "the gaussian likelihood's standard deviation, the laplace's scale, the learned variance's "
                         "start (in the data's units, positive)"),
    "learned_variance": (str, "gaussian-learned: one variance per feature, or one for all"),
    "beta": (float, "weight of the KL term"),
    "kl_warmup": (int, "steps over which the KL term's weight rises linearly from 0 to its full value (0: none)"),
    "alpha": (float, "weight of the index-code mutual information"),
    "gamma": (float, "weight of the dimension-wise KL"),
    "values_per_latent": (int, "values in each latent's codebook"),
    "quantization_weight": (float, "weight of the loss that moves the codebooks"),
    "commitment_weight": (float, "weight of the loss that keeps codes near the codebooks"),
    "weight_decay": (float, "AdamW weight decay"),
    "k": (int, "features kept per item: the k largest pre-activations (at most the width)"),
    "aux_k": (int, "dead features the AuxK loss uses per item; 0: half the input's features"),
    "aux_coef": (float, "weight of the AuxK loss that revives dead features (0 turns it off)"),
    "dead_items": (int, "a feature that has not fired on this many training items is dead"),
    "n_clusters": (int, "number of clusters K"),
    "pretrain_steps": (int, "reconstruction steps before k-means places the centroids and clustering starts (with "
                            "init_from: further steps on the loaded weights; 0 clusters at once)"),
    "init_from": (str, "start from this ae or vae checkpoint's encoder and decoder (same latent_dim, hidden and arch); "
                       "empty: a fresh autoencoder"),
    "update_interval": (int, "steps between updates of the target distribution P (and of the tol test)"),
    "tol": (float, "stop when fewer than this fraction of items change cluster between two target updates (the "
                   "paper: 0.001)"),
    "recon_weight": (float, "weight of the reconstruction term in the clustering phase (0: the paper, the decoder is "
                            "dropped)"),
    "n_components": (int, "number of Gaussian components K of the prior (the clusters)"),
    "beta_y": (float, "weight of the categorical KL term, KL(q(y|x) || uniform)"),
}

FEATURE_RANKINGS = {  # latentlab.analysis.sae_features.RANKINGS: name -> title
    "density": "density, most frequent first",
    "rare": "density, rarest first",
    "mi": "label split, mutual information",
    "precision": "label split, best-class precision",
}
RULE_SPACES = ("latent", "features", "map")  # latentlab.analysis.clustering.cluster_rules.SPACES
DEFAULT_HALFSPACES = 4  # latentlab.analysis.clustering.polyhedra.DEFAULT_HALFSPACES


# Each table above, by the registry it lists: (module, attribute).
REGISTRIES = {"MODELS": ("latentlab.models", "MODELS"),
              "PROJECTORS": ("latentlab.analysis.projection", "PROJECTORS"),
              "CLUSTERERS": ("latentlab.analysis.clustering", "CLUSTERERS"),
              "METRICS": ("latentlab.analysis.metrics", "METRICS")}


def listing(registry) -> dict[str, Listing]:
    """A registry's entries as this module lists them."""
    return {e.name: Listing(e.home, e.description, e.factor_free) for e in registry.entries()}


def entries(table: str) -> dict[str, Listing]:
    """The entries of registry ``table`` ("MODELS", "PROJECTORS", "CLUSTERERS" or "METRICS"): from the registry when
    its module is already imported, else from the table here, without importing anything."""
    module, attribute = REGISTRIES[table]
    loaded = sys.modules.get(module)
    registry = getattr(loaded, attribute, None) if loaded is not None else None
    return listing(registry) if registry is not None else dict(globals()[table])


def factor_free_metrics() -> list[str]:
    """The metrics that need no ground-truth factors (``analysis.metrics.factor_free_names()``)."""
    return [name for name, entry in entries("METRICS").items() if entry.factor_free]
