"""The command line on a signals model: `latentlab traverse` and `latentlab interpolate` write the decoded curves as a
PNG of small multiples or as a long CSV of their values (one row per curve, channel and sample)."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import latentlab as ll
from latentlab.cli import main
from latentlab.core.curve_render import curve_grid
from tests.signal_models import trained_signals


@pytest.fixture
def signal_model(workspace):
    return trained_signals(200, steps=10, batch_size=50, seed=1)


def test_traverse_writes_the_decoded_curves(signal_model, tmp_path):
    main(["traverse", "sig-vae", "--index", "4", "--dims", "0,2", "--steps", "5", "--out", str(tmp_path / "t.csv")])
    table = pd.read_csv(tmp_path / "t.csv")
    expected = ll.traverse("sig-vae", "sig", index=4, dims=[0, 2], steps=5)  # (2, 5, 3, 128)
    assert list(table.columns) == ["dim", "step", "latent_value", "channel", "time", "value"]
    assert len(table) == 2 * 5 * 3 * 128
    curve = table.query("dim == 2 and step == 3 and channel == 'Oz'")
    np.testing.assert_allclose(curve["value"], expected.items[1, 3, 2], atol=1e-6)
    np.testing.assert_allclose(curve["time"], signal_model.times)
    assert curve["latent_value"].unique().tolist() == [pytest.approx(expected.values[1, 3])]

    main(["traverse", "sig-vae", "--index", "4", "--dims", "0,2", "--steps", "5", "--out", str(tmp_path / "t.png")])
    picture = Image.open(tmp_path / "t.png")
    assert picture.size == curve_grid(expected.items).size
    assert np.array_equal(np.asarray(picture.convert("RGB")), np.asarray(curve_grid(expected.items).convert("RGB")))


def test_interpolate_writes_the_path_as_curves(signal_model, tmp_path):
    main(["interpolate", "sig-vae", "--from", "0", "--to", "7", "--steps", "4", "--out", str(tmp_path / "i.csv")])
    table = pd.read_csv(tmp_path / "i.csv")
    path = ll.interpolate("sig-vae", "sig", start=0, end=7, steps=4)  # (4, 3, 128)
    assert len(table) == 4 * 3 * 128
    np.testing.assert_allclose(table.query("step == 3 and channel == 'Cz'")["value"], path[3, 0], atol=1e-6)
    main(["interpolate", "sig-vae", "--from", "0", "--to", "7", "--steps", "4", "--out", str(tmp_path / "i.png")])
    assert Image.open(tmp_path / "i.png").size == curve_grid(path[None]).size


def test_a_signal_traversal_refuses_a_gif(signal_model, tmp_path, capsys):
    assert main(["traverse", "sig-vae", "--dims", "0", "--out", str(tmp_path / "t.gif")]) == 2
    assert capsys.readouterr().err.strip().endswith("expected a file ending in .png or .csv.") and not (tmp_path / "t.gif").exists()
