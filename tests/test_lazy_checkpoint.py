"""A checkpoint read lazily (``read_checkpoint(ref, lazy=True)``, the dashboard's way): its manifest, fingerprint
and weights check at once, its model built on first use, and the dashboard's first map drawn without torch."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from latentlab import lab
from latentlab.checkpoints.format import read_checkpoint
from latentlab.checkpoints.source_protocol import WeightsMismatch
from latentlab.core.errors import LatentLabError

DEMO = "digits-vae"




def test_a_lazy_read_is_the_eager_one_with_its_model_built_on_first_use(workspace):
    eager, lazy = read_checkpoint(DEMO), read_checkpoint(DEMO, lazy=True)
    assert lazy._model is None  # nothing built yet
    assert (lazy.fingerprint, lazy.model_name, lazy.latent_dim, lazy.input_shape) == \
        (eager.fingerprint, eager.model_name, eager.latent_dim, tuple(eager.model.config.input_shape))
    ds = lab.load_dataset("digits")
    emb_eager = lab.embed(eager, ds)
    emb_lazy = lab.embed(lazy, ds)  # the same cache entry, read: still no model
    assert lazy._model is None and emb_lazy.key == emb_eager.key
    x = ds.as_float(np.arange(4))
    import torch

    with torch.no_grad():
        a = lazy.model.encode(torch.from_numpy(x)).mean.numpy()
        b = eager.model.encode(torch.from_numpy(x)).mean.numpy()
    np.testing.assert_array_equal(a, b)
    assert lazy.model is lazy.model  # built once


def test_a_lazy_read_encodes_with_the_model_when_nothing_is_cached(workspace):
    lazy = read_checkpoint(DEMO, lazy=True)
    emb = lab.embed(lazy, "digits")  # an empty workspace: encoded, so the model is built now
    assert lazy._model is not None and emb.mean.shape == (1797, lazy.latent_dim)


def test_swapped_weights_are_refused_when_read_not_when_used(workspace, shipped_copy):
    weights = shipped_copy / f"{DEMO}.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b" ")
    with pytest.raises(WeightsMismatch, match="do not match the weights_sha256"):
        read_checkpoint(DEMO, lazy=True)


def test_weights_changed_after_the_read_fail_the_build_in_one_sentence(workspace, shipped_copy):
    lazy = read_checkpoint(DEMO, lazy=True)
    weights = shipped_copy / f"{DEMO}.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b" ")
    with pytest.raises(LatentLabError, match="do not match the weights_sha256"):
        lazy.model  # noqa: B018


def test_the_manifests_foreign_kind_is_the_models_own():
    from latentlab.checkpoints.manifests import FOREIGN
    from latentlab.models.foreign import KIND

    assert FOREIGN == KIND


def test_the_dashboards_first_map_imports_no_torch(workspace):
    """The Map page's first run on a fresh workspace (the shipped view in its cache) draws the demo's map without
    importing torch: the browser's first map does not wait for it."""
    code = textwrap.dedent("""
        import sys
        from latentlab import lab
        lab.seed_shipped_views()
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file(sys.argv[1], default_timeout=120)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.title[0].value == "Map"
        print("torch" in sys.modules)
    """)
    from latentlab.core.workspace import dashboard_root

    out = subprocess.run([sys.executable, "-c", code, str(dashboard_root() / "dashboard.py")], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[0] == "False"


def test_a_lazy_checkpoint_pickles_with_its_model(workspace):
    import pickle

    lazy = read_checkpoint(DEMO, lazy=True)
    again = pickle.loads(pickle.dumps(lazy))
    assert again.fingerprint == lazy.fingerprint and again._model is not None
    assert again.model.config.latent_dim == lazy.latent_dim
