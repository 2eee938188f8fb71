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


def _fit_per_factor(X: np.ndarray, factors: np.ndarray, train, test, make_model, importances) -> tuple[np.ndarray, list]:
    """Fit one classifier per factor; returns the importance matrix (D, K) and test accuracies."""
    importance = np.zeros((X.shape[1], factors.shape[1]))
    accuracy = []
    for k in range(factors.shape[1]):
        y = factors[:, k]
        if len(np.unique(y[train])) < 2:
            accuracy.append(1.0)
            continue
        model = make_model()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # saga may stop at max_iter; the importances are still usable
            model.fit(X[train], y[train])
        importance[:, k] = importances(model)
        accuracy.append(float(model.score(X[test], y[test])))
    return importance, accuracy


def dci(codes: np.ndarray, factors: np.ndarray, seed: int = 0, n_train: int = 8000, n_test: int = 2000,
        n_estimators: int = 50) -> MetricResult:
    from sklearn.ensemble import GradientBoostingClassifier

    codes, factors = check_inputs(codes, factors)
    train, test = split(len(codes), n_train, n_test, seed)
    importance, accuracy = _fit_per_factor(
        codes, factors, train, test,
        lambda: GradientBoostingClassifier(n_estimators=n_estimators, max_depth=3, random_state=seed),
        lambda m: m.feature_importances_,
    )
    return MetricResult(_dci_scores(importance, accuracy), {"importance": importance})


def dci_lasso(codes: np.ndarray, factors: np.ndarray, seed: int = 0, n_train: int = 8000, n_test: int = 2000,
              C: float = 0.1) -> MetricResult:
    codes, factors = check_inputs(codes, factors)
    z = standardise(codes)
    train, test = split(len(z), n_train, n_test, seed)
    importance, accuracy = _fit_per_factor(z, factors, train, test, lambda: l1_logistic(C, seed),
                                           lambda m: np.abs(m.coef_).mean(0))
    return MetricResult(_dci_scores(importance, accuracy), {"importance": importance})
