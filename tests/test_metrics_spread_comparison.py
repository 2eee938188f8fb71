"""The Metrics page compares the spread and intrinsic dimension of every checkpoint of a dataset side by side, also
for a dataset without ground-truth factors (where the disentanglement metrics do not apply)."""

from latentlab.analysis.metrics import factor_free_names


def test_metrics_page_compares_the_spread_of_every_digits_checkpoint(workspace, monkeypatch):
    import pandas as pd

    from latentlab import jobs
    from tests.apptest import no_exception, start_dashboard

    at = start_dashboard(monkeypatch, "pages/metrics.py")  # digits-vae on digits, which has no factors

    def table():
        shown = next(df.value for df in at.dataframe if "Checkpoint" in df.value.columns).set_index("Checkpoint")
        return shown.apply(lambda c: c if c.name == "Model" else pd.to_numeric(c.where(c != "")))  # "": unscored

    first = table()
    assert len(first) >= 4 and {"digits-vae", "digits-topk-sae"} <= set(first.index)
    assert first.loc["digits-vae", "TwoNN dimension"] > 0  # the open model's spread is measured above, so it is there
    assert "MIG" not in first.columns
    assert any("not scored yet" in c.value for c in at.caption)

    at.button(key="cmp-score").click().run()
    submitted = jobs.list_jobs()
    assert submitted and all(j.params["names"] == factor_free_names() for j in submitted)
    for job in submitted:
        assert jobs.wait(job.id, timeout=240).state == "succeeded"
    no_exception(at.run())
    done = table()
    for score in ("IsoScore", "eigenvalue entropy", "average cosine", "I(V)", "TwoNN dimension", "MLE dimension"):
        assert done[score].notna().all(), score
    for name in done.index:
        assert 1 <= done.loc[name, "TwoNN dimension"] <= done.loc[name, "Latents"] + 0.5, name
    assert not any("not scored yet" in c.value for c in at.caption)
