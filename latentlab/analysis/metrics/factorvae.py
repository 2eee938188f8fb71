"""The FactorVAE score (Kim & Mnih 2018, arXiv:1802.05983).

Estimator choices: codes are divided by their standard deviation over the
sample; latents whose standard deviation is under 0.05 are pruned (collapsed),
as disentanglement_lib's ``prune_dims`` does. Each vote
fixes one factor at a random value, draws ``batch_size`` = 64 items that share
it from the sample, and votes (argmin of per-latent variance, factor). A
majority-vote classifier maps latents to factors on ``n_train`` = 5,000 votes
and is scored on ``n_eval`` = 2,000 fresh votes. Items sharing a factor value
come from the given sample, so any dataset with a factor table can be scored.
"""

from __future__ import annotations

import numpy as np

from latentlab.analysis.metrics.base import MetricResult, check_inputs


def _votes(z: np.ndarray, factors: np.ndarray, active: np.ndarray, n: int, batch: int,
           rng: np.random.Generator, groups: list[dict]) -> np.ndarray:
    K = factors.shape[1]
    out = np.zeros((n, 2), dtype=np.int64)
    for i in range(n):
        k = rng.integers(K)
        value = rng.choice(list(groups[k]))
        members = groups[k][value]
        pick = rng.choice(members, size=batch, replace=len(members) < batch)
        var = z[pick][:, active].var(0)
        out[i] = (active[np.argmin(var)], k)
    return out


def factorvae_score(codes: np.ndarray, factors: np.ndarray, seed: int = 0, batch_size: int = 64,
                    n_train: int = 5000, n_eval: int = 2000, prune_threshold: float = 0.05) -> MetricResult:
    codes, factors = check_inputs(codes, factors)
    rng = np.random.default_rng(seed)
    sd = codes.std(0)
    active = np.flatnonzero(sd >= prune_threshold)  # a standard deviation, as the reference's prune_dims
    if active.size == 0:
        return MetricResult({"factorvae_score": 0.0, "active_latents": 0.0}, notes="all latents are collapsed")
    z = codes / np.where(sd > 0, sd, 1.0)
    groups = [{v: np.flatnonzero(factors[:, k] == v) for v in np.unique(factors[:, k])} for k in range(factors.shape[1])]
    D, K = codes.shape[1], factors.shape[1]
    train = _votes(z, factors, active, n_train, batch_size, rng, groups)
    table = np.zeros((D, K), dtype=np.int64)
    np.add.at(table, (train[:, 0], train[:, 1]), 1)
    classifier = table.argmax(1)  # latent -> factor
    test = _votes(z, factors, active, n_eval, batch_size, rng, groups)
    acc = float((classifier[test[:, 0]] == test[:, 1]).mean())
    return MetricResult({"factorvae_score": acc, "active_latents": float(active.size)}, {"votes": table})
