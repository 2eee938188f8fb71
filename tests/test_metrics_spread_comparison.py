"""The Metrics page compares the spread and intrinsic dimension of every checkpoint of a dataset side by side, also
for a dataset without ground-truth factors (where the disentanglement metrics do not apply)."""

from latentlab.analysis.metrics import factor_free_names


def test_metrics_page_compares_the_spread_of_every_digits_checkpoint(workspace, monkeypatch):
    from latentlab import jobs
    from tests.apptest import no_exception, start_dashboard

    at = start_dashboard(monkeypatch, "pages/metrics.py")  # digits-vae on digits, which has no factors

    def table():
        return next(df.value for df in at.dataframe if "checkpoint" in df.value.columns).set_index("checkpoint")

    first = table()
    assert len(first) >= 4 and {"digits-vae", "digits-topk-sae"} <= set(first.index)
    assert first.loc["digits-vae", "twonn.twonn"] > 0  # the open model's spread is measured above, so it is there
    assert not any(c.startswith("mig.") for c in first.columns)
    assert any("Not scored yet" in c.value for c in at.caption)

    at.button(key="cmp-score").click().run()
    submitted = jobs.list_jobs()
    assert submitted and all(j.params["names"] == factor_free_names() for j in submitted)
    for job in submitted:
        assert jobs.wait(job.id, timeout=240).state == "succeeded"
    no_exception(at.run())
    done = table()
    for score in ("isoscore.isoscore", "eigen-entropy.eigen_entropy", "avg-cosine.average_cosine",
                  "partition-ratio.partition_ratio", "twonn.twonn", "levina-bickel.levina_bickel"):
        assert done[score].notna().all(), score
    for name in done.index:
        assert 1 <= done.loc[name, "twonn.twonn"] <= done.loc[name, "latent_dim"] + 0.5, name
    assert not any("Not scored yet" in c.value for c in at.caption)
