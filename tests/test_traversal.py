import numpy as np
import pytest

import latentlab as ll
from latentlab.core.errors import LatentLabError
from latentlab.core.render import gif_bytes, image_grid
from latentlab.training.trainer import TrainConfig
from latentlab.analysis.decoding.traversal import decode_latents, lerp, slerp, traversal_values


@pytest.fixture
def trained(workspace, tiny_images):
    return ll.train(tiny_images, "vae", {"latent_dim": 3, "hidden": "32"}, TrainConfig(steps=20, batch_size=16)).name, tiny_images


def test_traversal_grid_geometry(trained):
    name, ds = trained
    tr = ll.traverse(name, ds, index=4, dims=[2, 0], steps=5, span=2.0)
    assert tr.items.shape == (2, 5, 1, 8, 8)
    np.testing.assert_allclose(tr.values, np.tile(np.linspace(-2, 2, 5), (2, 1)), atol=1e-6)
    emb = ll.embed(name, ds)
    np.testing.assert_allclose(tr.base, emb.mean[4])
    # The column whose value equals the base's own value decodes the base.
    z = emb.mean[4].copy()
    z[2] = 0.0
    np.testing.assert_allclose(tr.items[0, 2], decode_latents(ll.load_checkpoint(name).model, z)[0], atol=1e-6)
    grid = image_grid(tr.items)
    cell = 8 * 8  # 8x8 images are enlarged 8x
    assert grid.size == (5 * (cell + 2) + 2, 2 * (cell + 2) + 2)


def test_traverse_rejects_bad_dims_and_index(trained):
    name, ds = trained
    with pytest.raises(LatentLabError, match="out of range"):
        ll.traverse(name, ds, dims=[5])
    with pytest.raises(LatentLabError, match="out of range"):
        ll.traverse(name, ds, index=10_000)


def test_interpolation_endpoints_and_slerp(trained):
    name, ds = trained
    ck = ll.load_checkpoint(name)
    emb = ll.embed(name, ds)
    for spherical in (False, True):
        path = ll.interpolate(name, ds, start=1, end=7, steps=6, spherical=spherical)
        assert path.shape == (6, 1, 8, 8)
        np.testing.assert_allclose(path[0], decode_latents(ck.model, emb.mean[1])[0], atol=1e-5)
        np.testing.assert_allclose(path[-1], decode_latents(ck.model, emb.mean[7])[0], atol=1e-5)


def test_slerp_keeps_norm_between_equal_norm_codes():
    a, b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    t = np.linspace(0, 1, 7)
    np.testing.assert_allclose(np.linalg.norm(slerp(a, b, t), axis=1), 1.0, atol=1e-9)
    assert np.linalg.norm(lerp(a, b, t), axis=1)[3] < 0.75


def test_autoencoder_traversals_use_the_codes_statistics():
    center, scale = np.array([1.0, 5.0]), np.array([2.0, 0.5])
    v = traversal_values(3, 1.0, center, scale, [1])
    np.testing.assert_allclose(v, [[4.5, 5.0, 5.5]])


def test_tabular_traversal_is_a_table(workspace, tiny_table):
    r = ll.train(tiny_table, "ae", {"latent_dim": 2}, TrainConfig(steps=5))
    tr = ll.traverse(r.name, tiny_table, dims=[0, 1], steps=4)
    table = tr.to_table(tiny_table.feature_names)
    assert table.shape == (8, 2 + 5) and list(table.columns[:2]) == ["dim", "value"]


def test_gif_has_frames(trained):
    name, ds = trained
    frames = ll.traverse(name, ds, dims=[0], steps=4).items[0]
    data = gif_bytes(frames)
    from PIL import Image
    import io

    assert Image.open(io.BytesIO(data)).n_frames == 6  # forward and back
