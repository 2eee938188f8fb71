"""Training data held on the device in its stored dtype, streamed batches, and
divergence checks deferred to check steps without saving weights trained past
a non-finite loss."""

import numpy as np
import pytest
import torch

from latentlab.training import batches as B
from latentlab.training import trainer as T
from latentlab.data import Dataset
from latentlab.core.errors import TrainingDiverged
from latentlab.training.runs import PeriodicCheckpoint
from latentlab.models import build_model, make_config
from latentlab.training.batches import BatchStream
from latentlab.training.trainer import TrainConfig, Trainer

CPU = torch.device("cpu")


def bars(n: int = 400, seed: int = 0) -> Dataset:
    """Bool 8x8 images of one horizontal and one vertical bar: learnable structure, stored as bool."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 1, 8, 8), dtype=bool)
    rows, cols = rng.integers(0, 8, n), rng.integers(0, 8, n)
    x[np.arange(n), 0, rows, :] = True
    x[np.arange(n), 0, :, cols] = True
    return Dataset(name="bars", x=x, kind="image", labels=rows)


def as_memmap(x: np.ndarray, path) -> np.memmap:
    m = np.lib.format.open_memmap(str(path), mode="w+", dtype=x.dtype, shape=x.shape)
    m[:] = x
    m.flush()
    return np.load(str(path), mmap_mode="r")


def vae(ds: Dataset, seed: int = 0):
    torch.manual_seed(seed)
    return build_model("vae", make_config("vae", ds.item_shape, "bernoulli", latent_dim=4, hidden="32"))


@pytest.mark.parametrize("dtype", ["uint8", "bool", "float32"])
def test_device_batches_equal_as_float(tmp_path, monkeypatch, dtype):
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 256, (300, 1, 6, 6))
    x = {"uint8": raw.astype(np.uint8), "bool": raw > 127, "float32": (raw / 255).astype(np.float32)}[dtype]
    monkeypatch.setattr(B, "UPLOAD_CHUNK_BYTES", 1000)  # many pieces
    for data in (x, as_memmap(x, tmp_path / "x.npy")):
        ds = Dataset(name="d", x=data, kind="image")
        held = B.upload(ds.x, CPU)
        assert held.dtype == torch.from_numpy(x[:0]).dtype  # still compact
        idx = rng.permutation(300)[:64]
        want = ds.as_float(idx)
        got = B.to_float(torch.index_select(held, 0, torch.from_numpy(idx)))
        assert got.dtype == torch.float32
        np.testing.assert_array_equal(got.numpy(), want)
        np.testing.assert_array_equal(B.to_float(torch.from_numpy(ds.rows(idx))).numpy(), want)


def test_resident_and_streamed_batches_are_the_same(tmp_path):
    ds = bars(200)
    mapped = Dataset(name="m", x=as_memmap(ds.x, tmp_path / "b.npy"), kind="image")
    held = BatchStream(ds, 32, CPU, seed=5, resident=True)
    streamed = BatchStream(mapped, 32, CPU, seed=5, resident=False)
    assert held.resident.dtype == torch.bool and streamed.resident is None
    for _ in range(20):  # more than three epochs of 6 full batches
        torch.testing.assert_close(held.next(), streamed.next(), rtol=0, atol=0)


def test_float64_is_held_as_float32():
    x = np.random.default_rng(0).normal(size=(10, 3))
    held = B.upload(x, CPU)
    assert held.dtype == torch.float32
    np.testing.assert_array_equal(held.numpy(), x.astype(np.float32))


def test_residency_on_cuda_follows_free_memory(monkeypatch):
    n, shape = 737_280, (1, 64, 64)  # the full shapes set, without allocating it
    full = Dataset(name="shapes", x=np.broadcast_to(np.zeros((1, *shape), bool), (n, *shape)), kind="image", fingerprint="f")
    assert B.stored_bytes(full) == n * 64 * 64
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (70 * 1024**3, 80 * 1024**3))
    assert B.holds_resident(full, torch.device("cuda"))
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (4 * 1024**3, 80 * 1024**3))
    assert not B.holds_resident(full, torch.device("cuda"))
    monkeypatch.setattr(B, "IN_MEMORY_BYTES", 512 * 1024**2)
    assert not B.holds_resident(full, CPU)  # 3 GB: streamed from its memory map on the CPU


def spy_on_streams(monkeypatch) -> list:
    """The BatchStreams trainers make from now on, collected in the returned list."""
    streams = []

    class Spy(BatchStream):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            streams.append(self)

    monkeypatch.setattr(T, "BatchStream", Spy)
    return streams


def train_bars(monkeypatch, ds: Dataset, steps: int = 300, **cfg):
    streams = spy_on_streams(monkeypatch)
    model = vae(ds)
    st = Trainer(model, ds, TrainConfig(steps=steps, batch_size=32, lr=3e-3, log_every=10, device="cpu", **cfg)).run()
    return st, streams[0], model


def test_bool_images_train_held_and_streamed(tmp_path, monkeypatch):
    ds = bars()
    held, stream, model_a = train_bars(monkeypatch, ds)
    assert stream.is_resident and stream.resident.dtype == torch.bool

    monkeypatch.setattr(B, "IN_MEMORY_BYTES", 0)  # too big to hold: read batches from the memory map
    mapped = Dataset(name="m", x=as_memmap(ds.x, tmp_path / "b.npy"), kind="image")
    streamed, stream, model_b = train_bars(monkeypatch, mapped)
    assert not stream.is_resident and stream.resident is None

    for st in (held, streamed):
        losses = [h["loss"] for h in st.history]
        assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:3])
    assert held.history == streamed.history  # the same batches, the same run
    for a, b in zip(model_a.parameters(), model_b.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_seeded_runs_are_reproducible(monkeypatch):
    ds = bars(200)
    runs = [train_bars(monkeypatch, ds, steps=40, seed=7) for _ in range(2)]
    assert runs[0][0].history == runs[1][0].history
    other = train_bars(monkeypatch, ds, steps=40, seed=8)
    assert other[0].history != runs[0][0].history


def nan_model(ds: Dataset, bad_from: int, bad_to: int | None = None):
    """A VAE whose loss is NaN on steps ``bad_from``..``bad_to`` (1-based; to the end if None)."""
    model = vae(ds)
    plain, calls = model.loss, [0]

    def loss(x):
        calls[0] += 1
        out = plain(x)
        if calls[0] >= bad_from and (bad_to is None or calls[0] <= bad_to):
            out.terms["loss"] = out.loss * float("nan")
            return out._replace(loss=out.terms["loss"])
        return out

    model.loss = loss
    return model


class Saves:
    def __init__(self):
        self.steps, self.finite = [], []

    def __call__(self, trainer):
        self.steps.append(trainer.state.step)
        self.finite.append(all(bool(torch.isfinite(p).all()) for p in trainer.model.parameters()))


@pytest.mark.parametrize("checkpoint_every,found_at,saved", [
    (5, 10, [5]),  # checks on multiples of 5: found at step 10, saved at 5 only
    (3, 9, [3, 6]),  # the checkpoint period adds checks on multiples of 3
    (1, 7, [1, 2, 3, 4, 5, 6]),  # saving every step checks every step
])
def test_deferred_divergence_reports_the_first_bad_step_and_saves_no_bad_weights(checkpoint_every, found_at, saved):
    ds = bars(200)
    save = Saves()
    seen = []

    class Watch(T.BaseCallback):
        def on_step(self, trainer):
            seen.append(trainer.state.step)

    tr = Trainer(nan_model(ds, 7), ds, TrainConfig(steps=40, batch_size=32, log_every=100, device="cpu"),
                 callbacks=[Watch(), PeriodicCheckpoint(save, checkpoint_every)], check_every=5)
    with pytest.raises(TrainingDiverged, match="diverged at step 7 ") as info:
        tr.run()
    assert info.value.step == 7
    assert seen[-1] == found_at - 1  # raised before the check step's callbacks
    assert save.steps == saved and all(save.finite)


def test_a_single_non_finite_step_is_not_forgotten():
    ds = bars(200)
    # NaN loss at step 7 only (its weights stay finite, so later losses are finite again).
    model = vae(ds)
    plain, calls = model.loss, [0]

    def loss(x):
        calls[0] += 1
        out = plain(x)
        return out._replace(loss=out.loss + (float("inf") if calls[0] == 7 else 0.0))

    model.loss = loss
    with pytest.raises(TrainingDiverged) as info:
        Trainer(model, ds, TrainConfig(steps=40, batch_size=32, log_every=100, device="cpu"), check_every=20).run()
    assert info.value.step == 7


def test_divergence_on_the_last_step_stops_before_the_final_save():
    ds = bars(200)
    save = Saves()
    tr = Trainer(nan_model(ds, 12), ds, TrainConfig(steps=12, batch_size=32, log_every=100, device="cpu"),
                 callbacks=[PeriodicCheckpoint(save, 0)], check_every=50)
    with pytest.raises(TrainingDiverged, match="step 12 "):
        tr.run()
    assert save.steps == []


def test_terms_are_floated_on_log_steps_only():
    ds = bars(200)
    st = Trainer(vae(ds), ds, TrainConfig(steps=25, batch_size=32, log_every=10, device="cpu")).run()
    assert [h["step"] for h in st.history] == [1, 10, 20, 25]
    assert all(isinstance(v, float) for v in st.terms.values()) and st.terms == {k: v for k, v in st.history[-1].items() if k != "step"}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_shapes_conv_beta_vae_trains_on_cuda_from_bool_data_on_the_gpu(monkeypatch):
    from latentlab.data.shapes import load_shapes_subset

    ds = load_shapes_subset(20_000)
    assert ds.x.dtype == bool
    streams = spy_on_streams(monkeypatch)
    torch.manual_seed(0)
    model = build_model("beta-vae", make_config("beta-vae", ds.item_shape, "bernoulli", latent_dim=10))
    st = Trainer(model, ds, TrainConfig(steps=400, batch_size=64, log_every=20, device="cuda")).run()
    stream = streams[0]
    assert stream.is_resident and stream.resident.device.type == "cuda" and stream.resident.dtype == torch.bool
    idx = stream.next_indices()
    assert idx.device.type == "cuda"
    np.testing.assert_array_equal(stream.batch(idx).cpu().numpy(), ds.as_float(idx.cpu().numpy()))
    losses = [h["loss"] for h in st.history]
    assert np.all(np.isfinite(losses)) and np.mean(losses[-3:]) < 0.7 * losses[0]
