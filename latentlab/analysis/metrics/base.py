"""What every metric shares: one signature, one result type, and small helpers.

A metric is a plain function ``metric(codes, factors, seed=0, **options) -> MetricResult``:

- ``codes`` (N, D): the representation to judge, usually the posterior means;
- ``factors`` (N, K): integer-coded ground-truth factors of the same items;
- ``seed``: every random choice (splits, sampled batches) comes from it.

Metrics that are defined with interventions (FactorVAE and BetaVAE scores)
draw items that share a factor value from the given sample instead of
rendering new ones, so any dataset with a factor table can be scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from latentlab.core.errors import LatentLabError


@dataclass
class MetricResult:
    scores: dict[str, float]
    matrices: dict[str, np.ndarray] = field(default_factory=dict)  # e.g. "mi" (D, K), "importance" (D, K)
    notes: str = ""


def check_inputs(codes: np.ndarray, factors: np.ndarray, min_items: int = 20) -> tuple[np.ndarray, np.ndarray]:
    codes = np.asarray(codes, dtype=np.float64)
    factors = np.asarray(factors)
    if factors.ndim == 1:
        factors = factors[:, None]
    if codes.ndim != 2 or factors.ndim != 2 or len(codes) != len(factors):
        raise LatentLabError(f"Metrics need codes (N, D) and factors (N, K) of the same N, got {codes.shape} and {factors.shape}.")
    if len(codes) < min_items:
        raise LatentLabError(f"Metrics need at least {min_items} items, got {len(codes)}.")
    if not np.isfinite(codes).all():
        raise LatentLabError("The codes hold NaN or infinite values; the model cannot be scored.")
    return codes, np.stack([np.unique(f, return_inverse=True)[1] for f in factors.T], axis=1)


def discretize(codes: np.ndarray, bins: int = 20) -> np.ndarray:
    """Equal-width histogram bins per dimension (as in Chen et al. 2018 and disentanglement_lib)."""
    out = np.zeros(codes.shape, dtype=np.int64)
    for d in range(codes.shape[1]):
        edges = np.histogram_bin_edges(codes[:, d], bins=bins)
        out[:, d] = np.digitize(codes[:, d], edges[1:-1])
    return out


def _mutual_info(a: np.ndarray, b: np.ndarray, n_b: int) -> float:
    """I(a; b) in nats of two label arrays (``b`` in 0..n_b-1), as scikit-learn's ``mutual_info_score`` computes it
    (same terms, same order of operations) from one ``bincount`` of the pairs instead of a sparse contingency."""
    joint = np.bincount(a * n_b + b)
    nz = np.flatnonzero(joint)
    nz_val = joint[nz].astype(np.float64)
    n = nz_val.sum()
    pi = np.bincount(a).astype(np.float64)
    pj = np.bincount(b, minlength=n_b).astype(np.float64)
    log_contingency_nm = np.log(nz_val)
    contingency_nm = nz_val / n
    outer = pi.take(nz // n_b) * pj.take(nz % n_b)
    log_outer = -np.log(outer) + np.log(pi.sum()) + np.log(pj.sum())
    mi = contingency_nm * (log_contingency_nm - np.log(n)) + contingency_nm * log_outer
    mi = np.where(np.abs(mi) < np.finfo(mi.dtype).eps, 0.0, mi)
    return float(np.clip(mi.sum(), 0.0, None))


def _codes_of(labels: np.ndarray) -> tuple[np.ndarray, int]:
    values, inverse = np.unique(labels, return_inverse=True)
    return inverse.astype(np.int64).ravel(), len(values)


def mutual_info_matrix(discrete_codes: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """I(z_d; v_k) in nats: (D, K)."""
    D, K = discrete_codes.shape[1], factors.shape[1]
    codes = [_codes_of(discrete_codes[:, d])[0] for d in range(D)]
    facts = [_codes_of(factors[:, k]) for k in range(K)]
    return np.array([[_mutual_info(codes[d], *facts[k]) for k in range(K)] for d in range(D)])


def entropies(factors: np.ndarray) -> np.ndarray:
    """H(v_k) in nats: (K,)."""
    return np.array([_mutual_info(f, f, n) for f, n in (_codes_of(col) for col in factors.T)])


def split(n: int, n_train: int, n_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    n_train = min(n_train, int(n * 0.8))
    n_test = min(n_test, n - n_train)
    return order[:n_train], order[n_train : n_train + n_test]


def standardise(codes: np.ndarray) -> np.ndarray:
    sd = codes.std(0)
    return (codes - codes.mean(0)) / np.where(sd > 0, sd, 1.0)


def l1_logistic(C: float, seed: int):
    """An L1-penalised logistic regression on every scikit-learn version LatentLab supports.

    From scikit-learn 1.8 the penalty is set with ``l1_ratio``; passing
    ``penalty="l1"`` there would quietly fit an L2 model.
    """
    import sklearn
    from sklearn.linear_model import LogisticRegression

    major, minor = (int(v) for v in sklearn.__version__.split(".")[:2])
    if (major, minor) >= (1, 8):
        return LogisticRegression(l1_ratio=1.0, C=C, solver="saga", max_iter=300, random_state=seed)
    return LogisticRegression(penalty="l1", C=C, solver="saga", max_iter=300, random_state=seed)


def entropy_normalised(p: np.ndarray, axis: int) -> np.ndarray:
    """Entropy of each distribution along ``axis``, divided by log(size) so it lies in [0, 1]."""
    n = p.shape[axis]
    p = p / np.clip(p.sum(axis=axis, keepdims=True), 1e-12, None)
    h = -(p * np.log(np.clip(p, 1e-12, None))).sum(axis=axis)
    return h / np.log(n) if n > 1 else np.zeros_like(h)
