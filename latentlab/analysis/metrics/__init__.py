"""Disentanglement metrics (one per file, one signature), spread and intrinsic dimension, and latent diagnostics.

Every metric: ``fn(codes (N, D), factors (N, K), seed=0, **options) -> MetricResult``. The entries marked
``factor_free`` (spread, intrinsic dimension) ignore ``factors``, so they run on any latent space or dataset of
vectors; ``factor_free_names`` lists them.
"""

from __future__ import annotations

import numpy as np

from latentlab.core.errors import LatentLabError
from latentlab.core.registry import Registry
from latentlab.analysis.metrics.base import MetricResult
from latentlab.analysis.metrics.betavae import betavae_score
from latentlab.analysis.metrics.dci import LASSO_DEVIATION, dci, dci_lasso
from latentlab.analysis.metrics.diagnostics import Diagnostics, diagnose
from latentlab.analysis.metrics.factorvae import factorvae_score
from latentlab.analysis.metrics.infomec import infomec
from latentlab.analysis.metrics.intrinsic_dim import levina_bickel, twonn
from latentlab.analysis.metrics.mig import mig
from latentlab.analysis.metrics.modularity import DEVIATION as MODULARITY_DEVIATION, modularity_explicitness
from latentlab.analysis.metrics.sap import DEVIATION as SAP_DEVIATION, sap
from latentlab.analysis.metrics.spread import average_cosine, eigen_entropy, isoscore, partition_ratio

# Each entry's deviation says where its estimator knowingly departs from google-research/disentanglement_lib (the
# others follow it).
METRICS: Registry = Registry("metric")
METRICS.add("mig", mig, "mutual information gap (Chen et al. 2018)")
METRICS.add("dci", dci, "DCI with gradient-boosted trees (Eastwood & Williams 2018)")
METRICS.add("dci-lasso", dci_lasso, "DCI with L1 logistic regression", deviation=LASSO_DEVIATION)
METRICS.add("sap", sap, "separated attribute predictability (Kumar et al. 2018)", deviation=SAP_DEVIATION)
METRICS.add("factorvae", factorvae_score, "FactorVAE majority-vote score (Kim & Mnih 2018)")
METRICS.add("betavae", betavae_score, "BetaVAE linear-classifier score (Higgins et al. 2017)")
METRICS.add("modularity", modularity_explicitness, "modularity and explicitness (Ridgeway & Mozer 2018)",
            deviation=MODULARITY_DEVIATION)
METRICS.add("infomec", infomec, "InfoM, InfoE, InfoC (Hsu et al. 2023)")
# Spread and intrinsic dimension (Marbut et al. 2023 on spread): no factors needed.
METRICS.add("isoscore", isoscore, "IsoScore, principal-component spread, 0..1 (Rudman et al. 2022)", factor_free=True)
METRICS.add("eigen-entropy", eigen_entropy, "entropy of the variance shares, 0..1, and effective rank (Roy & Vetterli "
            "2007)", factor_free=True)
METRICS.add("avg-cosine", average_cosine, "average cosine similarity of items (misleading as spread: Marbut et al. "
            "2023)", factor_free=True)
METRICS.add("partition-ratio", partition_ratio, "partition-function ratio I(V) (Mu & Viswanath 2018; misleading as "
            "spread: Marbut et al. 2023)", factor_free=True)
METRICS.add("twonn", twonn, "intrinsic dimension, TwoNN (Facco et al. 2017)", factor_free=True)
METRICS.add("levina-bickel", levina_bickel, "intrinsic dimension, MLE (Levina & Bickel 2004; MacKay & Ghahramani "
            "averaging)", factor_free=True)


def parse_names(text: str | list[str] | None) -> list[str]:
    names = list(METRICS) if not text else ([t.strip() for t in text.split(",") if t.strip()] if isinstance(text, str) else list(text))
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise LatentLabError(f"Unknown metric(s) {', '.join(unknown)}; choose from {', '.join(METRICS)}.")
    return names


def factor_free_names(names: list[str] | None = None) -> list[str]:
    """Of ``names`` (default: every metric), those that need no ground-truth factors."""
    return [n for n in (list(METRICS) if names is None else names) if METRICS.entry(n).factor_free]


def evaluate(codes: np.ndarray, factors: np.ndarray, names: list[str] | None = None, seed: int = 0) -> dict[str, MetricResult]:
    return {name: METRICS[name](codes, factors, seed=seed) for name in parse_names(names)}


__all__ = ["Diagnostics", "METRICS", "MetricResult", "diagnose", "evaluate", "factor_free_names", "parse_names"]
