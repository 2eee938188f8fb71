"""A traversal's downloads read on their own: the grid as a figure with each row's latent and KL and the values
on the columns, the GIF enlarged with each frame's latent and value on it; the same from
``latentlab traverse --labels``, and the bare grid without it."""

import io

import numpy as np
import pytest
from PIL import Image

import latentlab as ll
from latentlab.cli import main
from latentlab.core.render import GIF_MIN_SIDE, PAPER, image_grid, labelled_gif, labelled_traversal, latent_labels
from tests.apptest import open_page, start_dashboard


def frames_of(data: bytes) -> list[np.ndarray]:
    gif = Image.open(io.BytesIO(data))
    out = []
    for t in range(gif.n_frames):
        gif.seek(t)
        out.append(np.asarray(gif.convert("RGB")))
    return out


def find(big: np.ndarray, small: np.ndarray) -> tuple[int, int] | None:
    """Where ``small`` (h, w, 3) sits pixel for pixel inside ``big``, or None."""
    h, w = small.shape[:2]
    ys, xs = np.nonzero((big[: big.shape[0] - h + 1, : big.shape[1] - w + 1] == small[0, 0]).all(-1))
    for y, x in zip(ys, xs):
        if np.array_equal(big[y:y + h, x:x + w], small):
            return int(y), int(x)
    return None


def ink(region: np.ndarray) -> int:
    """Pixels that are not the figure's white paper."""
    return int((region != np.array(PAPER)).any(-1).sum())


@pytest.fixture
def digits_grid():
    rng = np.random.default_rng(0)
    return rng.random((3, 5, 1, 8, 8)).astype(np.float32)  # 3 latents x 5 steps of 8x8 images


def test_the_labelled_grid_holds_the_bare_grid_beside_a_label_band_and_a_value_header(digits_grid):
    values = np.tile(np.linspace(-3, 3, 5), (3, 1))
    labels = latent_labels([5, 7, 0], np.array([0.0003, 0, 0, 0, 0, 1.06, 0, 1.05]), "KL", {0})
    assert labels == [["z5", "KL 1.06"], ["z7", "KL 1.05"], ["z0", "KL 0.000", "passive"]]
    figure = np.asarray(labelled_traversal(digits_grid, labels, values, "model · from the prior mean", {2}))
    bare = np.asarray(image_grid(digits_grid).convert("RGB"))
    assert figure.shape[0] > bare.shape[0] and figure.shape[1] > bare.shape[1]
    y, x = find(figure, bare)
    assert x > 20 and y > 20  # room for the row labels on the left and the title and values on top
    for r in range(3):  # each row's label is written left of its cells
        top = y + 2 + r * 66
        assert ink(figure[top:top + 64, :x]) > 50
    header = figure[y - 16:y, x:x + bare.shape[1]]
    assert all(ink(header[:, 2 + c * 66:2 + c * 66 + 64]) > 10 for c in range(5))  # a value over every column
    assert ink(figure[:y - 16, :]) > 100  # the title


def test_rows_with_their_own_values_get_a_line_of_values_each(digits_grid):
    shared = labelled_traversal(digits_grid, [["z0"], ["z1"], ["z2"]], np.tile(np.linspace(-1, 1, 5), (3, 1)))
    own = labelled_traversal(digits_grid, [["z0"], ["z1"], ["z2"]], np.linspace(-1, 1, 15).reshape(3, 5))
    assert own.height > shared.height and own.width == shared.width
    figure = np.asarray(own)
    row = np.asarray(image_grid(digits_grid[:1]).convert("RGB"))[:66]  # the first row of cells and its frame
    y, x = find(figure, row)
    assert ink(figure[y + 66:y + 66 + 12, x:x + row.shape[1]]) > 20  # its values under it


def test_the_gif_is_enlarged_and_each_frame_names_its_latent_and_value(digits_grid):
    captions = [f"z5 = {v:+.2f}" for v in np.linspace(-3, 3, 5)]
    data = labelled_gif(digits_grid[0], captions, "model · z5 · KL 1.06")
    frames = frames_of(data)
    assert len(frames) == 2 * 5 - 2  # there and back
    height, width = frames[0].shape[:2]
    assert width >= GIF_MIN_SIDE and height > GIF_MIN_SIDE  # the picture, then its caption band
    picture = frames[0][:GIF_MIN_SIDE, :GIF_MIN_SIDE]
    cell = np.kron(np.asarray(image_grid(digits_grid[0, :1], pad=0, scale=1)), np.ones((32, 32), np.uint8))
    assert np.abs(picture[..., 0].astype(int) - cell).max() <= 8  # nearest-neighbour, up to the GIF's palette
    band = [f[GIF_MIN_SIDE:] for f in frames]
    assert all(ink(b) > 200 for b in band)
    assert not np.array_equal(band[0], band[2])  # the value and the marker move with the frame
    assert np.array_equal(band[1], band[-1])  # and come back


def test_the_command_line_writes_the_labelled_figure_with_labels_and_the_bare_grid_without(workspace, tmp_path):
    assert main(["traverse", "digits-vae", "--dims", "5,0", "--steps", "5", "--out", str(tmp_path / "bare.png")]) == 0
    assert main(["traverse", "digits-vae", "--dims", "5,0", "--steps", "5", "--labels",
                 "--out", str(tmp_path / "t.png")]) == 0
    bare = np.asarray(Image.open(tmp_path / "bare.png").convert("RGB"))
    assert bare.shape[:2] == (2 * 66 + 2, 5 * 66 + 2)
    figure = np.asarray(Image.open(tmp_path / "t.png").convert("RGB"))
    y, x = find(figure, bare)
    assert ink(figure[y:y + 66, :x]) > 50 and ink(figure[y + 66:y + 132, :x]) > 50  # z5 and z0 named
    tr = ll.traverse("digits-vae", dims=[5, 0], steps=5)
    expected = labelled_traversal(tr.items, latent_labels([5, 0], ll.embed("digits-vae").activity(), "KL", {0}),
                                  tr.values, "digits-vae · from the prior mean; columns: the latent's value", {1})
    assert np.array_equal(figure, np.asarray(expected))
    assert main(["traverse", "digits-vae", "--dims", "5", "--labels", "--out", str(tmp_path / "t.gif")]) == 0
    frames = frames_of((tmp_path / "t.gif").read_bytes())
    assert len(frames) == 2 * 9 - 2 and frames[0].shape[1] >= GIF_MIN_SIDE


def test_the_traverse_page_downloads_the_labelled_grid_and_gif(workspace, monkeypatch):
    from streamlit.delta_generator import DeltaGenerator

    sent = {}  # label -> the data given to the button: drawn when it is clicked
    real = DeltaGenerator.download_button
    monkeypatch.setattr(DeltaGenerator, "download_button",
                        lambda self, label, data, *a, **k: sent.__setitem__(label, data) or real(self, label, data, *a, **k))
    app = open_page(start_dashboard(monkeypatch), "pages/traverse.py")
    dims = app.multiselect(key="trav-dims").value
    assert {"Download grid (PNG)", "Download GIF"} <= {b.label for b in app.get("download_button")}
    assert callable(sent["Download grid (PNG)"]) and callable(sent["Download GIF"])  # nothing drawn until clicked
    figure = Image.open(io.BytesIO(sent["Download grid (PNG)"]()))
    steps = app.slider(key="trav-steps").value
    assert figure.width > steps * 66 + 2 and figure.height > len(dims) * 66 + 2  # the bare grid and its labels
    frames = frames_of(sent["Download GIF"]())
    assert len(frames) == 2 * steps - 2 and min(frames[0].shape[:2]) >= GIF_MIN_SIDE
    assert ink(frames[0][GIF_MIN_SIDE:]) > 200  # the latent and its value under the picture


def test_a_signal_traversal_with_labels_holds_the_curves_beside_the_row_labels(workspace, tmp_path):
    from latentlab.core.curve_render import curve_grid
    from tests.signal_models import trained_signals

    trained_signals(200, steps=10, batch_size=50, seed=1)
    assert main(["traverse", "sig-vae", "--dims", "0,2", "--steps", "5", "--labels", "--out", str(tmp_path / "t.png")]) == 0
    figure = np.asarray(Image.open(tmp_path / "t.png").convert("RGB"))
    bare = np.asarray(curve_grid(ll.traverse("sig-vae", "sig", dims=[0, 2], steps=5).items).convert("RGB"))
    y, x = find(figure, bare)
    assert ink(figure[y:y + 75, :x]) > 50 and ink(figure[y + 75:y + 150, :x]) > 50  # z0 and z2 named
    assert ink(figure[y - 14:y, x:]) > 50  # the values over the columns
