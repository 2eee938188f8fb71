"""Metrics on analytic codes (perfect, permuted and rescaled, noise, one latent
for two factors), invariances, diagnostics, and a trained model vs an untrained one."""

import json

import numpy as np
import pytest
import torch

from latentlab.analysis.metrics import METRICS, diagnose, evaluate, parse_names
from latentlab.core.errors import LatentLabError

N = 2000
FAST = ["mig", "dci", "sap", "factorvae", "betavae", "modularity", "infomec", "dci-lasso"]


@pytest.fixture(scope="module")
def factors():
    rng = np.random.default_rng(0)
    return np.stack([rng.integers(0, 5, N), rng.integers(0, 8, N), rng.integers(0, 4, N)], axis=1)


@pytest.fixture(scope="module")
def perfect(factors):
    rng = np.random.default_rng(1)
    return factors.astype(float) + rng.normal(0, 0.05, factors.shape)


def flat(results):
    return {f"{m}.{k}": v for m, r in results.items() for k, v in r.scores.items() if "[" not in k}


@pytest.fixture(scope="module")
def perfect_scores(perfect, factors):
    return flat(evaluate(perfect, factors, FAST))


def test_every_registered_metric_runs_on_tiny_data(factors, perfect):
    for name, fn in METRICS.items():
        result = fn(perfect[:300], factors[:300], seed=0)
        assert result.scores and all(np.isfinite(v) for v in result.scores.values()), name


def test_a_code_equal_to_the_factors_scores_near_one(perfect_scores):
    s = perfect_scores
    for key in ("mig.mig", "dci.disentanglement", "dci.completeness", "dci.informativeness", "modularity.modularity",
                "sap.sap", "factorvae.factorvae_score", "betavae.betavae_score", "infomec.infom", "infomec.infoc"):
        assert s[key] > 0.9, (key, s[key])


def test_permuted_and_rescaled_codes_score_the_same(perfect, factors, perfect_scores):
    transformed = perfect[:, [2, 0, 1]] * np.array([3.0, 0.5, 10.0]) + np.array([5.0, -2.0, 0.0])
    s = flat(evaluate(transformed, factors, ["mig", "dci", "sap", "modularity", "factorvae"]))
    for key in s:
        assert s[key] == pytest.approx(perfect_scores[key], abs=0.02), key


def test_tree_based_dci_is_invariant_to_monotone_rescaling(perfect, factors, perfect_scores):
    monotone = np.stack([np.exp(perfect[:, 0]), perfect[:, 1] ** 3, np.tanh(perfect[:, 2] / 4)], axis=1)
    s = flat(evaluate(monotone, factors, ["dci"]))
    assert s["dci.disentanglement"] == pytest.approx(perfect_scores["dci.disentanglement"], abs=0.02)


def test_pure_noise_scores_near_zero(factors):
    noise = np.random.default_rng(5).normal(size=(N, 3))
    s = flat(evaluate(noise, factors, FAST))
    for key in ("mig.mig", "dci.disentanglement", "dci.completeness", "sap.sap", "modularity.modularity",
                "infomec.infoe", "infomec.infoc"):
        assert s[key] < 0.1, (key, s[key])
    assert s["factorvae.factorvae_score"] < 0.5 and s["betavae.betavae_score"] < 0.5  # chance is 1/3


def test_one_latent_carrying_two_factors_is_less_disentangled_but_as_informative(factors, perfect_scores):
    rng = np.random.default_rng(2)
    mixed = np.stack([factors[:, 0] * 8 + factors[:, 1], factors[:, 2], rng.normal(size=N)], axis=1).astype(float)
    s = flat(evaluate(mixed, factors, ["dci", "infomec"]))
    assert s["dci.disentanglement"] < perfect_scores["dci.disentanglement"] - 0.25
    assert s["dci.informativeness"] > 0.95
    assert s["infomec.infom"] < perfect_scores["infomec.infom"] - 0.25


def test_metric_matrices_have_latent_by_factor_shape(perfect, factors):
    res = evaluate(perfect, factors, ["mig", "dci"])
    assert res["mig"].matrices["mi"].shape == (3, 3)
    imp = res["dci"].matrices["importance"]
    assert imp.shape == (3, 3) and np.argmax(imp, axis=0).tolist() == [0, 1, 2]


def test_seeded_metrics_are_reproducible(perfect, factors):
    a = flat(evaluate(perfect, factors, ["factorvae", "betavae"], seed=3))
    b = flat(evaluate(perfect, factors, ["factorvae", "betavae"], seed=3))
    assert a == b


def test_bad_inputs_are_user_errors(perfect, factors):
    with pytest.raises(LatentLabError, match="Unknown metric"):
        parse_names("mig,bogus")
    with pytest.raises(LatentLabError, match="same N"):
        evaluate(perfect[:10], factors[:20], ["mig"])


# ---------------------------------------------------------------- diagnostics


def test_diagnostics_find_passive_units_and_the_mean_sampled_gap():
    rng = np.random.default_rng(0)
    n = 3000
    active = rng.normal(size=(n, 2))
    shared = rng.normal(size=n)
    passive_mean = np.stack([shared * 0.05, shared * 0.05 + rng.normal(0, 0.005, n)], 1)  # correlated means
    mean = np.concatenate([active, passive_mean], 1)
    logvar = np.concatenate([np.full((n, 2), -4.0), np.zeros((n, 2))], 1)  # passive: posterior = prior
    kl = 0.5 * (mean**2 + np.exp(logvar) - 1 - logvar)
    d = diagnose(mean, logvar, kl, rng.random(n) * 0.1)
    assert d.passive == [2, 3] and d.active == [0, 1]
    assert d.scores["mean_abs_corr_means_passive"] > 0.9
    assert d.scores["mean_abs_corr_sampled_passive"] < 0.1
    assert any("Bonheme" in w for w in d.warnings)


def test_diagnostics_warn_of_posterior_collapse():
    n = 500
    mean, logvar = np.zeros((n, 4)) + 1e-3, np.zeros((n, 4))
    kl = 0.5 * (mean**2 + np.exp(logvar) - 1 - logvar)
    d = diagnose(mean, logvar, kl, np.ones(n))
    assert d.active == [] and any("Posterior collapse" in w for w in d.warnings)


def test_gaussian_total_correlation_is_zero_for_independent_and_positive_for_dependent():
    from latentlab.analysis.metrics.diagnostics import gaussian_total_correlation

    rng = np.random.default_rng(0)
    z = rng.normal(size=(5000, 3))
    assert gaussian_total_correlation(z) < 0.01
    z[:, 1] = z[:, 0] + 0.1 * z[:, 1]
    assert gaussian_total_correlation(z) > 1.0


# ---------------------------------------------------------------- on the shapes data


def test_trained_beta_vae_beats_an_untrained_network_on_shapes(workspace):
    import latentlab as ll
    from latentlab.analysis.embedding import encode_dataset
    from latentlab.models import build_model

    ds = ll.load_dataset("shapes-2000")
    ck = ll.load_checkpoint("shapes-beta-vae")
    torch.manual_seed(0)
    untrained = build_model(ck.model_name, ck.model.config)
    f = ds.factors.to_numpy()
    trained = flat(evaluate(encode_dataset(ck.model, ds)["mean"], f, ["mig", "factorvae", "betavae"]))
    random = flat(evaluate(encode_dataset(untrained, ds)["mean"], f, ["mig", "factorvae", "betavae"]))
    assert trained["mig.mig"] > 3 * random["mig.mig"]
    assert trained["factorvae.factorvae_score"] > random["factorvae.factorvae_score"] + 0.2
    assert trained["betavae.betavae_score"] > random["betavae.betavae_score"] + 0.15


def test_cli_metrics(workspace, capsys):
    from latentlab.cli import main

    assert main(["metrics", "shapes-beta-vae", "--dataset", "shapes-800", "--metrics", "mig,sap", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["metrics"]) == {"mig", "sap"} and 0 <= out["metrics"]["mig"]["mig"] <= 1
    assert len(out["diagnostics"]["kl_per_dim"]) == 10 and out["diagnostics"]["passive"]
    assert main(["metrics", "digits-vae", "--metrics", "none"]) == 0
    assert "active units" in capsys.readouterr().out
    assert main(["metrics", "digits-vae", "--metrics", "mig"]) == 2
    assert "no ground-truth factors" in capsys.readouterr().err


def test_cli_diagnostics_of_a_model_without_a_prior_show_no_kl(workspace, capsys):
    from latentlab.cli import main

    assert main(["metrics", "digits-topk-sae", "--metrics", "none"]) == 0
    out = capsys.readouterr().out
    assert "topk-sae has no posterior and prior: no KL or active units" in out
    assert "recon_error_mean=" in out and "kl_total" not in out and "active_units" not in out
