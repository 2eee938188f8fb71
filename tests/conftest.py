import os

import numpy as np
import pytest
import torch

# Keep the suite quick and reproducible on a 2-core machine.
torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A fresh, empty LATENTLAB_HOME for one test."""
    home = tmp_path / "home"
    monkeypatch.setenv("LATENTLAB_HOME", str(home))
    return home


@pytest.fixture
def tiny_images():
    """A small labelled image dataset: 60 random 8x8 blobs in two classes."""
    from latentlab.data import Dataset

    rng = np.random.default_rng(0)
    x = rng.random((60, 1, 8, 8)).astype(np.float32)
    x[:30, :, :4] += 0.5
    return Dataset(name="tiny-images", x=np.clip(x, 0, 1), kind="image", labels=np.repeat([0, 1], 30))


@pytest.fixture
def tiny_table():
    from latentlab.data import Dataset

    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 5)).astype(np.float32)
    x[:40] += 2.0
    return Dataset(name="tiny-table", x=x, kind="tabular", labels=np.repeat(["a", "b"], 40),
                   feature_names=[f"f{i}" for i in range(5)])


@pytest.fixture
def shipped_copy(tmp_path, monkeypatch):
    """A copy of the shipped checkpoints' folder (demo checkpoints and their views), used as the shipped folder."""
    import shutil

    from latentlab.core.workspace import shipped_checkpoints_dir

    folder = tmp_path / "shipped"
    shutil.copytree(shipped_checkpoints_dir(), folder)
    monkeypatch.setenv("LATENTLAB_SHIPPED_CHECKPOINTS", str(folder))
    return folder
