"""The BetaVAE score (Higgins et al. 2017, ICLR).

Estimator choices: a training point fixes one factor, draws ``batch_size`` =
64 pairs of items that share its value (all else random, from the sample) and
averages |z_a - z_b| over the pairs; a multinomial logistic regression on
standardised codes predicts the fixed factor from that difference. Scored on
``n_eval`` = 1,000 fresh points after ``n_train`` = 3,000.
"""

from __future__ import annotations

import numpy as np

from latentlab.metrics.base import MetricResult, check_inputs, standardise


def _points(z, factors, n, batch, rng, groups):
    K = factors.shape[1]
    X = np.zeros((n, z.shape[1]))
    y = rng.integers(K, size=n)
    for i, k in enumerate(y):
        value = rng.choice(list(groups[k]))
        members = groups[k][value]
        a = rng.choice(members, size=batch)
        b = rng.choice(members, size=batch)
        X[i] = np.abs(z[a] - z[b]).mean(0)
    return X, y


def betavae_score(codes: np.ndarray, factors: np.ndarray, seed: int = 0, batch_size: int = 64,
                  n_train: int = 3000, n_eval: int = 1000) -> MetricResult:
    from sklearn.linear_model import LogisticRegression

    codes, factors = check_inputs(codes, factors)
    rng = np.random.default_rng(seed)
    z = standardise(codes)
    groups = [{v: np.flatnonzero(factors[:, k] == v) for v in np.unique(factors[:, k])} for k in range(factors.shape[1])]
    Xtr, ytr = _points(z, factors, n_train, batch_size, rng, groups)
    Xte, yte = _points(z, factors, n_eval, batch_size, rng, groups)
    model = LogisticRegression(max_iter=1000, random_state=seed).fit(Xtr, ytr)
    return MetricResult({"betavae_score": float(model.score(Xte, yte)), "train_accuracy": float(model.score(Xtr, ytr))})
