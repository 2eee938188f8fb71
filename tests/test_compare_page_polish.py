"""The Compare page reads right: passive latents (KL under PASSIVE_KL) marked, listed last and not offered as
matches of active ones; the traversal starts at the most active latent; the selection's inputs are a fixed
random sample; the heatmap's ticks are short; B − A is green where B is better and pink where it is worse."""

import numpy as np
import pytest

import latentlab as ll
from latentlab.analysis.compare.similarity import better_direction, compare_codes
from latentlab.core.rows import row_sample
from latentlab.ui import compare_metrics, compare_view, panels
from tests.apptest import image_captions, start_dashboard
from tests.test_compare_page import PCA

VAE_PASSIVE = {0, 1, 3, 4}  # digits-vae's latents with a mean KL under 0.01 nats (0.0002 to 0.0004)


def test_an_active_latent_is_matched_with_an_active_one_even_when_a_passive_one_correlates_more():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 3))
    b = np.stack([a[:, 0] + 0.01 * rng.normal(size=500), a[:, 0] + 0.8 * rng.normal(size=500),
                  a[:, 1], rng.normal(size=500)], 1)  # b0 copies a0 but is passive; b1 is a0, noisier
    kl_a, kl_b = np.array([0.9, 0.004, 1.2]), np.array([0.003, 0.7, 0.8, 0.5])
    result = compare_codes(a, b, ("a", "b"), kl=(kl_a, kl_b))
    assert list(result.passive(0)) == [False, True, False] and list(result.passive(1)) == [True, False, False, False]
    assert np.argmax(result.correlation[0]) == 0  # the passive copy correlates most
    assert result.best_match[0] == 1 and result.matches(include_passive=True)[0] == 0
    table = result.match_table()
    assert list(table.index) == [2, 0, 1]  # most active first, the passive latent last
    assert list(table["passive_a"]) == [False, False, True] and not table["passive_b"].any()
    plain = compare_codes(a, b, ("a", "b"))  # no KL: nothing is passive, the activity is the codes' variance
    assert not plain.passive(0).any() and plain.measure(0) == "var" and plain.best_match[0] == 0


def test_a_sparse_autoencoder_is_never_matched_with_the_vaes_passive_latents(workspace):
    result = ll.compare("digits-topk-sae", "digits-vae")
    assert set(np.flatnonzero(result.passive(1))) == VAE_PASSIVE and not result.passive(0).any()
    raw = np.argmax(result.correlation, axis=1)
    assert np.isin(raw, list(VAE_PASSIVE)).sum() > 100  # what the plain best match did
    assert not np.isin(result.best_match, list(VAE_PASSIVE)).any()
    assert np.array_equal(result.matches(include_passive=True), raw)
    vae = ll.compare("digits-vae", "digits-topk-sae")
    assert list(vae.order(0)[:4]) == [5, 7, 6, 2] and set(vae.order(0)[4:]) == VAE_PASSIVE


def test_scores_shade_green_where_b_is_better_and_pink_where_worse():
    assert better_direction("recon_error_mean") == -1 and better_direction("mig.mig") == 1
    assert better_direction("dci.disentanglement") == 1 and better_direction("active_units") == 0
    assert better_direction("twonn.twonn") == 0  # an intrinsic dimension is no better high or low
    green, pink = compare_metrics.BETTER, compare_metrics.WORSE
    assert compare_metrics.shade("recon_error_mean", 0.020, 0.002).endswith(green[2])  # B's error 10x lower
    assert compare_metrics.shade("recon_error_mean", 0.020, 0.018).endswith(green[0])  # 10% lower: a little better
    assert compare_metrics.shade("recon_error_mean", 0.020, 0.023).endswith(pink[0])  # 13% higher: a little worse
    assert compare_metrics.shade("mig.mig", 0.30, 0.20).endswith(pink[1])
    assert compare_metrics.shade("mig.mig", 0.30, 0.301) == ""  # under 5%: not shaded
    assert compare_metrics.shade("active_units", 4, 512).endswith(compare_metrics.NEUTRAL)
    assert compare_metrics.shade("kl_total", 3.8, float("nan")) == ""


@pytest.fixture
def app(workspace, monkeypatch):
    return start_dashboard(monkeypatch, "pages/compare.py", ll_map=PCA, **{compare_view.PICK_B: "digits-topk-sae"})


def test_the_match_table_lists_the_passive_latents_last_marked_and_the_traversal_starts_at_the_most_active(app):
    best = app.dataframe[0].value
    latents = list(best["latent of digits-vae"])
    assert latents[0] == "z5 · KL 1.06" and [s.split(" ")[0] for s in latents[:4]] == ["z5", "z7", "z6", "z2"]
    assert all(s.endswith("· passive") for s in latents[4:]) and {int(s.split(" ")[0][1:]) for s in latents[4:]} \
        == VAE_PASSIVE
    assert app.selectbox(key="cmp-latent").value == 5
    assert "digits-vae: z5, -3 … +3 prior units" in image_captions(app)
    assert any("4 passive latents (mean KL under 0.01 nats" in c.value for c in app.caption)
    heatmap = next(c for c in app.get("plotly_chart") if "|Pearson r| of the latents" in c.proto.spec)
    assert '"A:z5"' in heatmap.proto.spec and '"A:z0 (passive)"' in heatmap.proto.spec
    assert "digits-vae:z" not in heatmap.proto.spec and "A · digits-vae" in heatmap.proto.spec  # named once


def test_passive_latents_of_b_are_offered_only_when_asked(workspace, monkeypatch):
    at = start_dashboard(monkeypatch, "pages/compare.py", ll_map=PCA, ll_checkpoint="digits-topk-sae",
                         **{compare_view.PICK_A: "digits-topk-sae", compare_view.PICK_B: "digits-vae"})
    matches = at.dataframe[0].value["best match in digits-vae"]
    assert not matches.str.contains("passive").any()
    assert not {int(m[1:]) for m in matches} & VAE_PASSIVE
    at.checkbox(key="cmp-passive").check().run()
    assert not at.exception, [e.value for e in at.exception]
    matches = at.dataframe[0].value["best match in digits-vae"]
    assert matches.str.endswith("· passive").sum() > 100


def test_the_selection_shows_a_fixed_random_sample_of_its_inputs_and_says_so(app, monkeypatch):
    shown = []
    real = panels.gallery
    monkeypatch.setattr(panels, "gallery", lambda imgs, *a, **k: shown.append(np.asarray(imgs)) or real(imgs, *a, **k))
    rows = np.arange(100, 300)
    app.session_state[compare_view.SELECTION] = {
        "pair": compare_view.pair_key("digits", "digits-vae", "digits-topk-sae", "pca", 0), "rows": rows}
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert "inputs (a fixed random sample of 24 of 200, seed 0)" in image_captions(app)
    ds = ll.load_dataset("digits")
    sample = rows[row_sample(len(rows), 24, 0)]
    assert not np.array_equal(sample, rows[:24])
    assert np.allclose(shown[0], ds.as_float(sample)) and not np.allclose(shown[0], ds.as_float(rows[:24]))
    shown.clear()
    app.run()  # the same sample on every rerun
    assert np.allclose(shown[0], ds.as_float(sample))
