"""A quantized model's views: sliders and grids step through codebooks, the Metrics page shows them."""

import numpy as np
import pytest

from tests.apptest import decoded_at, open_page, start_dashboard, traverse_sliders

import latentlab as ll
from latentlab import lab
from latentlab.analysis.metrics.diagnostics import codebook_usage
from latentlab.training.trainer import TrainConfig

@pytest.fixture
def qlae(workspace):
    ll.train("digits", "qlae", {"latent_dim": 4, "values_per_latent": 5}, TrainConfig(steps=60, batch_size=64),
             name="digits-qlae")
    return lab.load_checkpoint("digits-qlae")


def test_traversal_grid_rows_are_each_latents_codebook(qlae):
    codebook = qlae.model.codebook_values()
    assert codebook.shape == (4, 5) and (np.diff(codebook, axis=1) > 0).all()
    t = lab.traverse(qlae, dims=[2, 0], steps=3, span=1.0)  # steps and span do not apply to a quantized model
    np.testing.assert_array_equal(t.values, codebook[[2, 0]])
    assert t.items.shape == (2, 5, 1, 8, 8)


def test_a_traversal_without_an_item_starts_from_the_code_of_the_item_nearest_the_codes_mean(qlae):
    emb = lab.embed(qlae)
    codebook = qlae.model.codebook_values()
    base = lab.base_latent(qlae, emb, None)
    assert all(base[d] in codebook[d] for d in range(len(codebook)))  # a code the decoder has seen
    distance = ((emb.mean - emb.mean.mean(0)) ** 2).sum(1)
    assert ((base - emb.mean.mean(0)) ** 2).sum() == pytest.approx(distance.min(), rel=1e-5)


def test_codes_between_codebook_values_decode_as_their_nearest_ones(qlae):
    import torch

    model = qlae.model
    codebook = torch.from_numpy(qlae.model.codebook_values())
    snapped = codebook[:, [0, 2, 4, 1]].T.contiguous()  # (4 items, 4 latents) of codebook values
    nudged = snapped + 0.2 * (codebook[:, 1:] - codebook[:, :-1]).min(1).values  # off the codebook, nearest unchanged
    with torch.no_grad():
        torch.testing.assert_close(model.decode(nudged), model.decode(snapped))


def test_codebook_usage_counts_every_item_at_its_nearest_value():
    codebook = np.array([[-1.0, 0.0, 1.0], [0.0, 0.5, 2.0]], np.float32)
    codes = np.array([[-1.0, 2.0], [0.0, 2.0], [1.0, 0.0], [-0.9, 0.4]], np.float32)
    usage = codebook_usage(codes, codebook)
    np.testing.assert_allclose(usage, [[0.5, 0.25, 0.25], [0.25, 0.25, 0.5]])


@pytest.fixture
def app(qlae, monkeypatch):
    return start_dashboard(monkeypatch, ll_checkpoint="digits-qlae")


def test_traverse_sliders_step_through_the_codebook_and_say_so(app, qlae):
    open_page(app, "pages/traverse.py")
    codebook = qlae.model.codebook_values()
    data = traverse_sliders(app)
    assert len(data["latents"]) == 4 and not [s for s in app.slider if s.label.startswith("z")]
    for row in data["latents"]:
        np.testing.assert_allclose(row["values"], codebook[row["d"]], rtol=1e-6)  # each slider steps through these
    assert any("codebook values" in c.value for c in app.caption)
    assert not [s for s in app.slider if s.label.startswith("Slider and grid range")]  # a codebook has no span
    first = data["latents"][0]
    values = first["values"]
    moved = list(data["base"])
    moved[first["d"]] = values[-1] if abs(moved[first["d"]] - values[-1]) > 1e-6 else values[0]
    assert decoded_at(data["url"], moved) != decoded_at(data["url"], data["base"])
    grid = next(im for im in app.get("image") if im.proto.imgs[0].caption.startswith("rows:"))
    assert "codebook values" in grid.proto.imgs[0].caption


def test_metrics_page_shows_each_latents_codebook_and_no_kl(app, monkeypatch):
    from latentlab.analysis.metrics import diagnostics
    from latentlab.ui import loaders

    calls = []
    real = diagnostics.codebook_usage
    monkeypatch.setattr(diagnostics, "codebook_usage", lambda codes, book: calls.append(len(codes)) or real(codes, book))
    loaders._codebook_usage.clear()
    open_page(app, "pages/metrics.py")
    app.run()  # a rerun (any click) reads the usage it counted the first time
    assert len(calls) == 1
    assert any(h.value == "Codebooks" for h in app.subheader)
    table = next(df.value for df in app.dataframe if "values used" in df.value.columns)
    assert list(table["latent"]) == ["z0", "z1", "z2", "z3"]
    assert not [m for m in app.metric if m.label in ("KL total (nats)", "active units")]
    assert any("no posterior or prior" in c.value for c in app.caption)


def test_the_metrics_page_says_why_a_quantized_code_has_no_intrinsic_dimension_and_goes_on(app):
    open_page(app, "pages/metrics.py")
    assert not app.exception and not app.error
    assert any("distinct items" in c.value for c in app.caption)
    values = {m.label: m.value for m in app.metric}
    assert values["IsoScore"] != "n/a" and "n/a" in values.values()
