"""Regression tests against disentanglement_lib's procedures (google-research, evaluation/metrics/):
where the estimators must agree with the reference, the reference's procedure is re-implemented here
in a few lines and compared on a synthetic ground truth."""

from itertools import product

import numpy as np

from latentlab.metrics.betavae import PairSampler, betavae_score
from latentlab.metrics.factorvae import factorvae_score

SIZES = [4, 5, 6]
GRID = np.array(list(product(*[range(s) for s in SIZES])))


def noisy_code(f: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Factors seen through noise; the third factor scales the second's effect."""
    f = f.astype(float)
    clean = np.stack([f[:, 0] + 0.3 * f[:, 2], f[:, 1] * (1 + f[:, 2]), np.sin(f[:, 2]) + 0.2 * f[:, 0],
                      f[:, 0] * f[:, 1] * 0.1], 1)
    return clean + rng.normal(scale=1.5, size=clean.shape)


def reference_betavae(per_pair: bool, n_train=3000, n_eval=1000, batch=64, seed=0) -> float:
    """beta_vae.py's procedure: fix one factor; pairs share its value, one value per pair (the reference),
    or one value for the whole batch (what the score must not do); logistic regression on mean |z1 - z2|."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    sample = noisy_code(GRID, np.random.default_rng(1))
    mu, sd = sample.mean(0), sample.std(0)

    def point():
        k = rng.integers(len(SIZES))
        f1 = np.stack([rng.integers(s, size=batch) for s in SIZES], 1)
        f2 = np.stack([rng.integers(s, size=batch) for s in SIZES], 1)
        if not per_pair:
            f1[:, k] = f1[0, k]
        f2[:, k] = f1[:, k]
        z1, z2 = (noisy_code(f1, rng) - mu) / sd, (noisy_code(f2, rng) - mu) / sd
        return np.abs(z1 - z2).mean(0), k

    train, test = [point() for _ in range(n_train)], [point() for _ in range(n_eval)]
    model = LogisticRegression(max_iter=1000).fit(np.array([x for x, _ in train]), [k for _, k in train])
    return model.score(np.array([x for x, _ in test]), [k for _, k in test])


def test_betavae_pairs_share_the_fixed_value_drawn_afresh_for_each_pair():
    rng = np.random.default_rng(0)
    factors = GRID[rng.integers(len(GRID), size=5000)]
    a, b = PairSampler(factors).pairs(2, 640, rng)
    assert (factors[a, 2] == factors[b, 2]).all()
    values, counts = np.unique(factors[a, 2], return_counts=True)
    assert len(values) == SIZES[2] and counts.min() > 640 / SIZES[2] / 2  # uniform over the values


def test_betavae_agrees_with_the_reference_procedure():
    rows = np.random.default_rng(0).integers(len(GRID), size=20000)
    ours = betavae_score(noisy_code(GRID[rows], np.random.default_rng(2)), GRID[rows]).scores["betavae_score"]
    reference, one_value_per_batch = reference_betavae(per_pair=True), reference_betavae(per_pair=False)
    assert reference - one_value_per_batch > 0.1  # the two procedures really differ on this code
    assert abs(ours - reference) < 0.03


def test_factorvae_prunes_on_the_standard_deviation_not_the_variance():
    """Latents of standard deviation 0.1 (variance 0.01) are active for the reference's prune_dims (0.05)."""
    rng = np.random.default_rng(0)
    factors = GRID[rng.integers(len(GRID), size=3000)]
    codes = 0.1 * (factors - factors.mean(0)) / factors.std(0) + rng.normal(scale=1e-3, size=factors.shape)
    result = factorvae_score(codes, factors)
    assert result.scores["active_latents"] == 3
    assert result.scores["factorvae_score"] == 1.0
    tiny = factorvae_score(codes * 0.3, factors)  # standard deviation 0.03: every latent collapsed
    assert tiny.scores["factorvae_score"] == 0.0 and tiny.notes == "all latents are collapsed"


def test_a_metrics_notes_survive_the_cache(workspace):
    from latentlab.scoring import _pack, _unpack
    from latentlab.cache import cached_arrays

    rng = np.random.default_rng(0)
    factors = GRID[rng.integers(len(GRID), size=500)]
    collapsed = factorvae_score(np.full((500, 3), 0.5) + rng.normal(scale=1e-4, size=(500, 3)), factors)
    first = _unpack(cached_arrays("metrics", "notes-check", lambda: _pack(collapsed)))
    again = _unpack(cached_arrays("metrics", "notes-check", lambda: 1 / 0))  # read back from disk
    assert first.notes == again.notes == "all latents are collapsed"
    assert again.scores == collapsed.scores
