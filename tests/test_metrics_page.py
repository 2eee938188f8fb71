"""The Metrics page's wait and tables: an ETA from per-metric costs that does not climb when a costly metric
starts, a status that names what runs, one row per metric, and the comparison's columns by their names."""

from types import SimpleNamespace

import numpy as np
import pytest

from tests.apptest import open_page, start_dashboard

FACTOR_METRICS = ["mig", "dci", "dci-lasso", "sap", "factorvae", "betavae", "modularity", "infomec"]


class FakeDataset:
    name = "fake"

    def __init__(self, factors):
        self.factors = SimpleNamespace(to_numpy=lambda: factors)
        self.n = len(factors)

    def __len__(self):
        return self.n


def replay_scoring(monkeypatch, slowdown: dict[str, float]) -> list[tuple[float, str, int, int]]:
    """Run ``score_embedding`` on a fake clock where each metric takes its cost estimate times ``slowdown[name]``
    seconds; returns the progress reports (clock, stage, done, total)."""
    from latentlab.analysis.metrics import scoring as cached_scores
    from latentlab.analysis.metrics.cost import costs_of

    clock = [0.0]
    rng = np.random.default_rng(0)
    factors = np.stack([rng.integers(c, size=10_000) for c in (3, 6, 40, 32, 32)], 1)
    codes = rng.normal(size=(10_000, 10)).astype(np.float32)
    costs = costs_of(FACTOR_METRICS, codes, factors)

    def fake(name):
        def run(codes, factors, seed=0):
            clock[0] += costs[name] * slowdown[name]
            return cached_scores.MetricResult({name: 0.5})
        return run

    monkeypatch.setattr(cached_scores, "METRICS", {name: fake(name) for name in FACTOR_METRICS})
    monkeypatch.setattr(cached_scores, "_now", lambda: clock[0])
    monkeypatch.setattr(cached_scores, "load_factor", lambda: 1.0)  # the prior knows nothing of the slowdown
    emb = SimpleNamespace(key="fake", mean=codes, positions=lambda rows: rows)
    ds = FakeDataset(factors)
    reports = []
    cached_scores.score_embedding(emb, ds, FACTOR_METRICS, n=10_000, seed=0,
                                  progress=lambda stage, done, total, unit: reports.append((clock[0], stage, done, total)))
    return reports


def shown_etas(reports) -> list[tuple[float, float]]:
    """(time, ETA) as the page's bar shows them, once a second, from the job's fields after each report."""
    from latentlab.analysis.metrics.cost import eta_now

    end = reports[-1][0]
    shown, t = [], 0.0
    while t < end:
        at, stage, done, total = [r for r in reports if r[0] <= t][-1]
        shown.append((t, eta_now(total - done, t - at)))
        t += 1.0
    return shown


@pytest.mark.parametrize("machine", [1.0, 2.5])
def test_eta_from_metric_costs_never_rises_past_twice_its_first_estimate(monkeypatch, workspace, machine):
    """DCI runs 1.5x its estimate, the cheap ones half theirs, on a machine ``machine`` times slower than
    the estimates assume: the ETA counts down while DCI runs and stays under twice the first one."""
    slowdown = {name: machine * (1.5 if name == "dci" else 0.5) for name in FACTOR_METRICS}
    reports = replay_scoring(monkeypatch, slowdown)
    assert list(dict.fromkeys(r[1] for r in reports)) == [f"scoring {n}" for n in FACTOR_METRICS]
    assert reports[-1][2] == reports[-1][3]  # the last report fills the bar
    etas = [eta for _, eta in shown_etas(reports)]
    assert len(etas) > 5 and max(etas) <= 2 * etas[0]
    # The naive ETA, (elapsed / metrics done) x metrics left, climbs many times over on the same run.
    starts = [r[0] for r in reports][::2] + [reports[-1][0]]  # each metric's start report, and the end
    naive = [starts[i] / i * (len(FACTOR_METRICS) - i) for i in range(1, len(FACTOR_METRICS)) if starts[i] > 0]
    assert max(naive) > 4 * naive[0]


def test_the_status_names_the_running_metric_instead_of_a_count(monkeypatch):
    from latentlab.ui.jobs import metrics_status

    job = SimpleNamespace(id=7, state="running", stage=None, step=0, total=0, stage_started=None)
    assert "0/0" not in metrics_status(job, 100.0)[1] and "starting" in metrics_status(job, 100.0)[1]
    job.stage, job.step, job.total, job.stage_started = "scoring factorvae", 12, 42, 100.0
    fraction, text = metrics_status(job, 110.0)
    assert "FactorVAE" in text and "20s left" in text and 0.5 < fraction < 0.6
    queued = SimpleNamespace(id=8, state="queued", stage=None, step=0, total=0, stage_started=None)
    assert "waiting" in metrics_status(queued, 0.0)[1]


@pytest.fixture
def shapes_pair(workspace):
    """A small NPZ of shapes with factors, and two tiny models trained on it, one of them scored."""
    import latentlab as ll
    from latentlab.data import import_dataset, load_dataset
    from latentlab.training.trainer import TrainConfig

    small = load_dataset("shapes-300")
    workspace.mkdir(parents=True, exist_ok=True)
    np.savez(workspace / "tiny.npz", x=small.x, factors=small.factors.to_numpy())
    import_dataset(workspace / "tiny.npz", "tiny-shapes")
    for beta in (1.0, 4.0):
        ll.train("tiny-shapes", "beta-vae", {"latent_dim": 3, "beta": beta}, TrainConfig(steps=2, batch_size=16),
                 name=f"tiny-beta{beta:g}")
    ll.score("tiny-beta1", "tiny-shapes", ["mig", "dci", "factorvae"], n=300, seed=0)
    return ll


def test_results_are_one_row_per_metric_and_the_comparison_names_its_columns(monkeypatch, shapes_pair):
    from latentlab.analysis.metrics.scoring import factor_free_names

    shapes_pair.score("tiny-beta1", "tiny-shapes", factor_free_names(), n=300, seed=0)
    at = start_dashboard(monkeypatch, ll_dataset="tiny-shapes", ll_checkpoint="tiny-beta1")
    open_page(at, "pages/metrics.py")
    at.multiselect(key="m-names").set_value(["mig", "dci", "factorvae"]).run()
    assert not at.exception
    results = at.dataframe[0].value
    assert list(results.columns) == ["Metric", "Score", "Other scores"]
    assert list(results["Metric"]) == ["MIG", "DCI disentanglement", "FactorVAE score"]  # one row each
    assert results["Score"].between(0, 1).all()
    assert results["Other scores"][0] == "" and results["Other scores"][1].startswith("completeness 0.")
    assert "informativeness" in results["Other scores"][1] and "active latents" in results["Other scores"][2]
    table = at.dataframe[-1].value
    assert list(table["Checkpoint"]) == ["tiny-beta1", "tiny-beta4"]
    assert {"MIG", "DCI disentanglement", "FactorVAE score", "IsoScore", "TwoNN dimension"} <= set(table.columns)
    assert not any("." in c for c in table.columns)  # no "mig.mig", "factorvae.factorvae_score"
    assert table["MIG"][1] == "" and table["IsoScore"][1] == ""  # an unscored checkpoint's cells are empty
    assert 0 <= float(table["MIG"][0]) <= 1 and "None" not in table.to_string()
    assert any("not scored yet (tiny-beta4)" in c.value for c in at.caption)
