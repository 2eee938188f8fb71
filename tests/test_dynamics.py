"""A run's formation: aligned maps over its snapshots (steadier than independent maps at equal quality), the
Python and command-line faces (JSON frames, an animated GIF) and their bad input."""

import json

import numpy as np
import pytest
from PIL import Image

import latentlab as ll
from latentlab.analysis.projection.aligned import (aligned_maps, neighbour_keep, procrustes_onto,
                                                   sequence_quality)
from latentlab.checkpoints.format import checkpoint_path
from latentlab.cli import main
from latentlab.training.trainer import TrainConfig


def drifting_codes(n=240, frames=4, dim=6, groups=4, seed=0):
    """Codes of ``n`` items in ``groups`` patches (each a 2-D sheet) that move apart a little more at each frame,
    with fresh jitter each time (a latent space forming): each frame's neighbourhoods are close to the frame
    before's, and an independent map is free to place the patches anew."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(groups, dim)) * 4
    group = rng.integers(0, groups, n)
    sheet = rng.uniform(-1, 1, size=(n, 2)) @ rng.normal(size=(2, dim))
    return [(sheet + (0.4 + 0.6 * t / frames) * centres[group] + 0.05 * rng.normal(size=(n, dim))).astype(np.float32)
            for t in range(frames)]


def test_procrustes_onto_recovers_a_rotated_scaled_copy():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=(50, 2))
    turn = np.array([[0.0, -1.0], [1.0, 0.0]])
    assert np.allclose(procrustes_onto(3 * ref @ turn + 5, ref), ref, atol=1e-4)


def test_aligned_sequence_keeps_neighbours_better_than_independent_maps_at_equal_quality():
    frames = drifting_codes()
    aligned, independent = aligned_maps(frames, "procrustes"), aligned_maps(frames, "independent")
    keep_a, keep_i = neighbour_keep(aligned), neighbour_keep(independent)
    assert keep_a > 1.4 * keep_i and keep_a - keep_i > 0.1, (keep_a, keep_i)  # 0.39 and 0.21 when written
    assert sequence_quality(frames, aligned) > sequence_quality(frames, independent) - 0.05


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("LATENTLAB_HOME", str(home))
    ll.train("digits", "vae", {"latent_dim": 3, "hidden": "32"}, TrainConfig(steps=24, snapshot_every=8), name="formed")
    ll.train("digits", "ae", {"latent_dim": 2, "hidden": "16"}, TrainConfig(steps=4, snapshots=False), name="bare")
    yield home
    mp.undo()


def test_dynamics_frames_in_python_and_json(run, capsys):
    dyn = ll.dynamics("formed")
    assert dyn.steps == [0, 8, 16, 24] and len(dyn.maps) == 4
    assert all(m.shape == (len(dyn.probe), 2) for m in dyn.maps)
    assert set(dyn.colours) >= {"label", "final cluster"} and dyn.series("kl_per_dim").shape == (4, 3)
    assert main(["dynamics", "formed", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [f["step"] for f in out["frames"]] == [0, 8, 16, 24]
    assert np.allclose(out["frames"][2]["xy"], dyn.maps[2], atol=1e-3)
    assert len(out["frames"][0]["kl_per_dim"]) == 3 and "active_units" in out["frames"][0]


def test_dynamics_gif_has_a_frame_per_snapshot(run, tmp_path, capsys):
    out = tmp_path / "frames.gif"
    assert main(["dynamics", "formed", "--out", str(out)]) == 0
    with Image.open(out) as gif:
        assert gif.n_frames == 4 and gif.size == (420, 420)
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("argv, words", [
    (["dynamics", "bare", "--out", "X.gif"], "recorded without snapshots"),
    (["dynamics", "formed", "--out", "X.png"], "--out"),
    (["dynamics", "missing", "--out", "X.gif"], "not found"),
])
def test_bad_input_is_one_sentence_exit_2_and_writes_nothing(run, tmp_path, capsys, argv, words):
    argv = [a.replace("X.", str(tmp_path / "f.")) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err
    assert list(tmp_path.iterdir()) == []


def test_a_checkpoint_brought_from_outside_is_refused(run, capsys):
    manifest = json.loads(checkpoint_path("bare").read_text())
    checkpoint_path("outside").write_text(json.dumps({**manifest, "name": "outside", "model": "foreign"}))
    assert main(["dynamics", "outside", "--json"]) == 2
    assert "brought from outside" in capsys.readouterr().err
