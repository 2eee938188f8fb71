"""The BetaVAE score (Higgins et al. 2017, ICLR).

Estimator choices: a training point fixes one factor and draws ``batch_size``
= 64 pairs of items; within each pair the two items share that factor's value,
drawn afresh (uniformly over its values) for every pair, all else random from
the sample, as Higgins et al. and disentanglement_lib's ``beta_vae.py`` do. The
point is the mean |z_a - z_b| over its pairs; a multinomial logistic regression
on standardised codes predicts the fixed factor from it. Scored on ``n_eval`` =
1,000 fresh points after ``n_train`` = 3,000.
"""

from __future__ import annotations

import numpy as np

from latentlab.analysis.metrics.base import MetricResult, check_inputs, standardise


class PairSampler:
    """Draws pairs of rows that share one factor's value, a fresh value for every pair."""

    def __init__(self, factors: np.ndarray):
        self.groups = []
        for k in range(factors.shape[1]):
            order = np.argsort(factors[:, k], kind="stable")
            _, starts, counts = np.unique(factors[order, k], return_index=True, return_counts=True)
            self.groups.append((order, starts, counts))

    def pairs(self, k: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        order, starts, counts = self.groups[k]
        value = rng.integers(len(starts), size=n)  # one value per pair

        def member():
            return order[starts[value] + (rng.random(n) * counts[value]).astype(np.int64)]

        return member(), member()


def _points(z, factors, n, batch, rng, sampler: PairSampler):
    K = factors.shape[1]
    X = np.zeros((n, z.shape[1]))
    y = rng.integers(K, size=n)
    for i, k in enumerate(y):
        a, b = sampler.pairs(int(k), batch, rng)
        X[i] = np.abs(z[a] - z[b]).mean(0)
    return X, y


def betavae_score(codes: np.ndarray, factors: np.ndarray, seed: int = 0, batch_size: int = 64,
                  n_train: int = 3000, n_eval: int = 1000) -> MetricResult:
    from sklearn.linear_model import LogisticRegression

    codes, factors = check_inputs(codes, factors)
    rng = np.random.default_rng(seed)
    z = standardise(codes)
    sampler = PairSampler(factors)
    Xtr, ytr = _points(z, factors, n_train, batch_size, rng, sampler)
    Xte, yte = _points(z, factors, n_eval, batch_size, rng, sampler)
    model = LogisticRegression(max_iter=1000, random_state=seed).fit(Xtr, ytr)
    return MetricResult({"betavae_score": float(model.score(Xte, yte)), "train_accuracy": float(model.score(Xtr, ytr))})
