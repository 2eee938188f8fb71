"""DCI disentanglement, completeness and informativeness (Eastwood & Williams 2018, ICLR).

Estimator choices: one classifier per factor predicts its value from all
codes; the importance matrix R (D, K) holds, per factor, the gradient-boosted
trees' impurity importances (``dci``) or the mean absolute coefficients of an
L1-penalised logistic regression on standardised codes (``dci_lasso``).
``dci``'s trees are the reference's (google-research/disentanglement_lib):
scikit-learn's ``GradientBoostingClassifier()`` defaults, 100 stages of depth-3
trees at learning rate 0.1, grown by ``latentlab.analysis.metrics.boosting`` (the same
trees, about 20 times faster; ``tests/test_metrics_reference.py`` compares).
Like the reference's, those trees break ties between equally good features at
random (seeded by ``seed``), so a factor copied into two latents shares its
importance between them and is not complete (about 0.70 for five factors in ten
latents, as in disentanglement_lib), instead of going wholly to the first copy.
Disentanglement is 1 - H_K(P_d.) per code, weighted by each code's share of
total importance; completeness is 1 - H_D(P_.k) per factor, weighted by each
factor's share of total importance, as in the DCI paper and the reference. For
``dci`` every factor's importances sum to one, so that weighting is the plain
mean; for ``dci_lasso`` it is not, and a factor the regression hardly uses
counts for less. Informativeness is the mean test accuracy. Train/test: up to
8,000 / 2,000 items (80/20 when fewer). Trees make ``dci`` invariant to
monotone rescaling of each latent; both are invariant to permuting latents.
"""

from __future__ import annotations

import warnings

import numpy as np

from latentlab.analysis.metrics.base import (MetricResult, check_inputs, entropy_normalised, l1_logistic, split,
                                             standardise)

LASSO_DEVIATION = ("dci-lasso is not in disentanglement_lib: it follows the DCI paper's lasso with an L1-penalised "
                   "logistic regression (C = 0.1) per discrete factor on standardised codes, and weights "
                   "completeness by each factor's share of importance, as the paper does.")


def _dci_scores(importance: np.ndarray, accuracy: list[float]) -> dict[str, float]:
    R = np.abs(importance)
    total = R.sum()
    code_share = R.sum(1) / total if total > 0 else np.full(R.shape[0], 1 / R.shape[0])
    factor_share = R.sum(0) / total if total > 0 else np.full(R.shape[1], 1 / R.shape[1])
    disent = float(((1 - entropy_normalised(R + 1e-11, axis=1)) * code_share).sum())
    complete = float(((1 - entropy_normalised(R + 1e-11, axis=0)) * factor_share).sum())
    return {"disentanglement": disent, "completeness": complete, "informativeness": float(np.mean(accuracy))}


def _per_factor(factors: np.ndarray, train: np.ndarray, n_codes: int, fit) -> tuple[np.ndarray, list[float]]:
    """Run ``fit(y) -> (importances (D,), test accuracy)`` for each factor; (D, K) matrix and accuracies.

    A factor with a single value among the training items is predicted
    perfectly and uses no code.
    """
    importance = np.zeros((n_codes, factors.shape[1]))
    accuracy = []
    for k in range(factors.shape[1]):
        y = factors[:, k]
        if len(np.unique(y[train])) < 2:
            accuracy.append(1.0)
            continue
        importance[:, k], acc = fit(y)
        accuracy.append(acc)
    return importance, accuracy


def dci(codes: np.ndarray, factors: np.ndarray, seed: int = 0, n_train: int = 8000, n_test: int = 2000,
        n_estimators: int = 100) -> MetricResult:
    from latentlab.analysis.metrics.boosting import boosted_importances

    codes, factors = check_inputs(codes, factors)
    train, test = split(len(codes), n_train, n_test, seed)
    importance, accuracy = _per_factor(factors, train, codes.shape[1], lambda y: boosted_importances(
        codes[train], y[train], codes[test], y[test], n_estimators=n_estimators, seed=seed))
    return MetricResult(_dci_scores(importance, accuracy), {"importance": importance})


def dci_lasso(codes: np.ndarray, factors: np.ndarray, seed: int = 0, n_train: int = 8000, n_test: int = 2000,
              C: float = 0.1) -> MetricResult:
    codes, factors = check_inputs(codes, factors)
    z = standardise(codes)
    train, test = split(len(z), n_train, n_test, seed)

    def fit(y):
        model = l1_logistic(C, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # saga may stop at max_iter; the importances are still usable
            model.fit(z[train], y[train])
        return np.abs(model.coef_).mean(0), float(model.score(z[test], y[test]))

    importance, accuracy = _per_factor(factors, train, z.shape[1], fit)
    return MetricResult(_dci_scores(importance, accuracy), {"importance": importance})
