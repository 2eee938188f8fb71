"""Traversals along directions (centroid to centroid, principal components, probes) and interventions."""

import numpy as np
import pandas as pd
import pytest

import latentlab as ll
from latentlab import lab
from latentlab.cli import main
from latentlab.analysis.decoding.directions import make_direction, parse
from latentlab.core.errors import LatentLabError
from latentlab.analysis.decoding.traversal import decode_latents


def test_a_centroid_path_decodes_one_centroid_at_each_end():
    ck = lab.load_checkpoint("digits-vae")
    ds = lab.dataset_for(ck)
    t = ll.traverse(ck, direction="centroid:3-7", steps=6)
    codes = ll.embed(ck).mean
    labels = np.asarray(ds.labels)
    c3, c7 = codes[labels == 3].mean(0), codes[labels == 7].mean(0)
    np.testing.assert_allclose(t.items[0, 0], decode_latents(ck.model, c3)[0], atol=1e-5)
    np.testing.assert_allclose(t.items[0, -1], decode_latents(ck.model, c7)[0], atol=1e-5)
    np.testing.assert_allclose(t.values[0], np.linspace(0, 1, 6), atol=1e-6)
    assert t.items.shape == (1, 6, 1, 8, 8) and t.dims == []


def test_pca_and_probe_directions_point_where_the_data_varies():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(3000, 4)) * [0.1, 3.0, 0.1, 0.1]  # nearly all the variance on axis 1
    pc = make_direction("pca:0", codes)
    assert abs(pc.vector[1]) > 0.99 and pc.scale == pytest.approx(3.0, rel=0.05)
    factor = pd.DataFrame({"size": codes[:, 1] * 2 + rng.normal(scale=0.1, size=3000)})
    probe = make_direction("probe:size", codes, factors=factor)
    assert probe.vector[1] > 0.99  # increasing the factor = moving up axis 1
    labels = np.where(codes[:, 1] > 0, "big", "small")
    cls = make_direction("probe:label=big", codes, labels=labels)
    assert cls.vector[1] > 0.95
    base = np.zeros(4, np.float32)
    path, travel = pc.path(base, steps=5, span=2.0)
    np.testing.assert_allclose(travel, [-2, -1, 0, 1, 2])
    np.testing.assert_allclose(path[-1], base + 2 * pc.scale * pc.vector, rtol=1e-5)


@pytest.mark.parametrize("spec,match", [("centroid:3", "Cannot read"), ("pca:x", "Cannot read"), ("axis:2", "Cannot read"),
                                        ("pca:9", "out of range"), ("centroid:3-11", "No label 11"),
                                        ("probe:label=zebra", "No label zebra"), ("probe:height", "no factors")])
def test_bad_directions_are_one_clear_sentence(spec, match):
    codes = np.random.default_rng(0).normal(size=(100, 3))
    labels = np.arange(100) % 5
    with pytest.raises(LatentLabError, match=match):
        make_direction(spec, codes, labels=labels)


def test_parse_reads_every_kind():
    assert parse("centroid:3-7") == ("centroid", ("3", "7"))
    assert parse("pca:2") == ("pca", (2,))
    assert parse("probe:label=4") == ("probe", ("label", "4"))
    assert parse("probe:pos_x") == ("probe", ("pos_x", None))


def test_cli_traverses_along_a_direction_to_png_and_gif(tmp_path, capsys):
    from PIL import Image

    assert main(["traverse", "digits-vae", "--direction", "centroid:3-7", "--steps", "5", "--out", str(tmp_path / "a.png")]) == 0
    assert Image.open(tmp_path / "a.png").size[0] > Image.open(tmp_path / "a.png").size[1]  # one row of 5
    assert main(["traverse", "digits-vae", "--direction", "pca:0", "--out", str(tmp_path / "a.gif")]) == 0
    assert Image.open(tmp_path / "a.gif").n_frames == 2 * 9 - 2  # there and back
    assert main(["traverse", "digits-vae", "--direction", "probe:label=12", "--out", str(tmp_path / "b.png")]) != 0
    assert "No digit 12" in capsys.readouterr().err and not (tmp_path / "b.png").exists()


def test_intervening_on_the_position_x_latent_moves_mostly_the_x_probe():
    ck = lab.load_checkpoint("shapes-beta-tcvae")
    mig = ll.score(ck, names=["mig"], n=3000)["mig"].matrices["mi_normalised"]
    factors = list(lab.dataset_for(ck).factors.columns)
    x_latent = int(mig[:, factors.index("pos_x")].argmax())
    result = ll.intervene(ck, dims=[x_latent, int(np.argsort(-mig.max(1))[-1])], n=128, probe_items=1500)
    row = pd.Series(result.factor_effect[0], index=result.factor_names).dropna()
    assert row.idxmax() == "pos_x"
    assert result.output_effect.shape == (2, 1, 64, 64)
    assert result.output_effect[0].mean() > 3 * result.output_effect[1].mean()  # an informative latent vs the least


def test_interventions_along_a_direction_and_without_factors():
    result = ll.intervene("digits-vae", dims=[0], directions=["centroid:0-1"], n=64, probe_items=800)
    assert result.targets == ["z0", "centroid:0-1"] and result.factor_names == ["digit"]
    assert result.factor_effect.shape == (2, 1) and np.all((result.factor_effect >= 0) & (result.factor_effect <= 1))
    frame = result.to_frame()
    assert list(frame.columns) == ["target", "mean_output_change", "digit"]


def test_cli_intervene_writes_the_effect_table_and_maps(tmp_path, capsys):
    import json

    from PIL import Image

    out, maps = tmp_path / "effects.csv", tmp_path / "maps.png"
    assert main(["intervene", "digits-vae", "--dims", "0,1", "--direction", "pca:0", "--n", "32", "--maps", str(maps),
                 "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["targets"] == ["z0", "z1", "pca:0"] and report["factors"] == ["digit"]
    table = pd.read_csv(out)
    assert list(table["target"]) == ["z0", "z1", "pca:0"] and "digit" in table.columns
    assert Image.open(maps).size[0] > 2 * Image.open(maps).size[1]  # a row of three maps
    assert main(["intervene", "digits-vae", "--dims", "9", "--out", str(tmp_path / "bad.csv")]) != 0
    assert "z9 is out of range" in capsys.readouterr().err and not (tmp_path / "bad.csv").exists()
