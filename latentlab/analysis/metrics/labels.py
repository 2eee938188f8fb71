"""The metrics' and their scores' names as people write them ("FactorVAE score", not ``factorvae.factorvae_score``),
for the dashboard's tables and status lines: the registry keys stay what the command line and the cache use."""

from __future__ import annotations

# Each metric's scores as the literature names them: (metric, score, label); the first of a metric is its headline.
SCORES = [("mig", "mig", "MIG"),
          ("dci", "disentanglement", "DCI disentanglement"), ("dci", "completeness", "DCI completeness"),
          ("dci", "informativeness", "DCI informativeness"),
          ("dci-lasso", "disentanglement", "DCI-lasso disentanglement"),
          ("dci-lasso", "completeness", "DCI-lasso completeness"),
          ("dci-lasso", "informativeness", "DCI-lasso informativeness"),
          ("sap", "sap", "SAP"), ("factorvae", "factorvae_score", "FactorVAE score"),
          ("betavae", "betavae_score", "BetaVAE score"), ("modularity", "modularity", "Modularity"),
          ("modularity", "explicitness", "Explicitness"), ("infomec", "infom", "InfoM"), ("infomec", "infoe", "InfoE"),
          ("infomec", "infoc", "InfoC")]
# Spread and intrinsic dimension, which need no factors.
SPREAD = [("isoscore", "isoscore", "IsoScore"), ("eigen-entropy", "eigen_entropy", "eigenvalue entropy"),
          ("eigen-entropy", "effective_rank", "effective rank"), ("avg-cosine", "average_cosine", "average cosine"),
          ("partition-ratio", "partition_ratio", "I(V)"), ("twonn", "twonn", "TwoNN dimension"),
          ("levina-bickel", "levina_bickel", "MLE dimension")]
METRIC_LABELS = {"mig": "MIG", "dci": "DCI", "dci-lasso": "DCI (lasso)", "sap": "SAP", "factorvae": "FactorVAE",
                 "betavae": "BetaVAE", "modularity": "Modularity", "infomec": "InfoMEC"}
HEADLINE = {"mig": "mig", "dci": "disentanglement", "dci-lasso": "disentanglement", "sap": "sap",
            "factorvae": "factorvae_score", "betavae": "betavae_score", "modularity": "modularity", "infomec": "infom"}
OTHER_LABELS = {"infoe": "InfoE", "infoc": "InfoC"}  # the other scores' names where they are not their keys'
_LABELS = {(m, s): label for m, s, label in SCORES + SPREAD}


def metric_label(name: str) -> str:
    """A metric's name as people write it ("FactorVAE" for ``factorvae``); a plug-in's keeps its key."""
    return METRIC_LABELS.get(name, name)


def score_label(metric: str, score: str) -> str:
    """A score's name as people write it ("FactorVAE score" for ``factorvae``'s ``factorvae_score``)."""
    return _LABELS.get((metric, score), f"{metric_label(metric)} {score.replace('_', ' ')}")
