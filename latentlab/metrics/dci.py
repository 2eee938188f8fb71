"""DCI disentanglement, completeness and informativeness (Eastwood & Williams 2018, ICLR).

Estimator choices: one classifier per factor predicts its value from all
codes; the importance matrix R (D, K) holds, per factor, the gradient-boosted
trees' impurity importances (``dci``; scikit-learn's GradientBoostingClassifier,
``n_estimators`` trees of depth 3) or the mean absolute coefficients of an
L1-penalised logistic regression on standardised codes (``dci_lasso``).
Disentanglement is 1 - H_K(P_d.) per code, weighted by each code's share of
total importance; completeness is 1 - H_D(P_.k) averaged over factors;
informativeness is the mean test accuracy. Train/test: up to 8,000 / 2,000
items (80/20 when fewer). Trees make ``dci`` invariant to monotone rescaling
of each latent; both are invariant to permuting latents.
"""

from __future__ import annotations

import numpy as np

import warnings

from latentlab.metrics.base import MetricResult, check_inputs, entropy_normalised, l1_logistic, split, standardise


def _dci_scores(importance: np.ndarray, accuracy: list[float]) -> dict[str, float]:
    R = np.abs(importance) + 1e-12
    weights = R.sum(1) / R.sum()
    disent = float(((1 - entropy_normalised(R, axis=1)) * weights).sum())
    complete = float((1 - entropy_normalised(R, axis=0)).mean())
    return {"disentanglement": disent, "completeness": complete, "informativeness": float(np.mean(accuracy))}


def dci(codes: np.ndarray, factors: np.ndarray, seed: int = 0, n_train: int = 8000, n_test: int = 2000,
        n_estimators: int = 50) -> MetricResult:
    from sklearn.ensemble import GradientBoostingClassifier

    codes, factors = check_inputs(codes, factors)
    train, test = split(len(codes), n_train, n_test, seed)
    importance = np.zeros((codes.shape[1], factors.shape[1]))
    accuracy = []
    for k in range(factors.shape[1]):
        y = factors[:, k]
        if len(np.unique(y[train])) < 2:
            accuracy.append(1.0)
            continue
        model = GradientBoostingClassifier(n_estimators=n_estimators, max_depth=3, random_state=seed)
        model.fit(codes[train], y[train])
        importance[:, k] = model.feature_importances_
        accuracy.append(float(model.score(codes[test], y[test])))
    return MetricResult(_dci_scores(importance, accuracy), {"importance": importance})


def dci_lasso(codes: np.ndarray, factors: np.ndarray, seed: int = 0, n_train: int = 8000, n_test: int = 2000,
              C: float = 0.1) -> MetricResult:
    codes, factors = check_inputs(codes, factors)
    z = standardise(codes)
    train, test = split(len(z), n_train, n_test, seed)
    importance = np.zeros((z.shape[1], factors.shape[1]))
    accuracy = []
    for k in range(factors.shape[1]):
        y = factors[:, k]
        if len(np.unique(y[train])) < 2:
            accuracy.append(1.0)
            continue
        model = l1_logistic(C, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # saga may stop at max_iter; the importances are still usable
            model.fit(z[train], y[train])
        importance[:, k] = np.abs(model.coef_).mean(0)
        accuracy.append(float(model.score(z[test], y[test])))
    return MetricResult(_dci_scores(importance, accuracy), {"importance": importance})
