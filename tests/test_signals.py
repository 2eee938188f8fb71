"""Signals as items: the built-in ``signals`` set's factors, imports of arrays and long tables, and refusals."""

import numpy as np
import pandas as pd
import pytest

from latentlab.core.errors import LatentLabError
from latentlab.data import load_dataset, signals
from latentlab.data.registry import import_signal_dataset


def codes(**fixed):
    """One code per item (N, 5): the named factors as given (arrays or ints), the others 0."""
    n = max(len(np.atleast_1d(v)) for v in fixed.values())
    out = np.zeros((n, 5), np.int64)
    for k, name in enumerate(signals.FACTOR_NAMES):
        out[:, k] = np.broadcast_to(fixed.get(name, 0), n)
    return out


def test_the_set_is_a_full_factorial_grid_with_its_factor_table(workspace):
    ds = load_dataset("signals")
    assert ds.kind == "signal" and ds.x.shape == (32_768, 3, 128) and ds.x.dtype == np.float32
    assert list(ds.factors.columns) == list(signals.FACTOR_NAMES)
    assert ds.factors.drop_duplicates().shape[0] == 32_768  # every combination once
    assert [ds.factors[c].nunique() for c in ds.factors] == list(signals.FACTOR_SIZES)
    assert ds.channel_names == ["Cz", "Pz", "Oz"] and np.allclose(np.diff(ds.times), 1 / 128)
    rows = np.array([0, 777, 32_767])
    noise = signals.full_noise()[rows]
    np.testing.assert_array_equal(ds.x[rows], signals.render(ds.factors.to_numpy()[rows], noise))
    assert 0.09 < float(noise.std()) < 0.11
    again = load_dataset("signals")  # from the cache
    np.testing.assert_array_equal(again.x[rows], ds.x[rows])


def test_latency_moves_the_bump_and_frequency_is_the_spectral_peak():
    lat = np.arange(signals.FACTOR_SIZES[0])
    x = signals.render(codes(latency=lat, width=1, amplitude=3))  # noise-free
    peaks = x[:, 0].argmax(1) / signals.RATE  # Cz: the bump alone
    np.testing.assert_allclose(peaks, signals.FACTOR_VALUES["latency"][lat], atol=1.01 / signals.RATE)
    freq = np.arange(signals.FACTOR_SIZES[3])
    y = signals.render(codes(frequency=freq, phase=3, latency=5))
    spectrum = np.abs(np.fft.rfft(y[:, 2], axis=1))  # Oz: mostly the oscillation
    assert (spectrum[:, 1:].argmax(1) + 1 == signals.FACTOR_VALUES["frequency"][freq]).all()  # 1 s: bin k is k Hz


def test_width_amplitude_and_phase_do_what_they_say():
    amp = np.arange(4)
    x = signals.render(codes(amplitude=amp, latency=15))
    np.testing.assert_allclose(x[:, 0].max(1), signals.FACTOR_VALUES["amplitude"], rtol=1e-2)  # peak between samples
    w = signals.render(codes(width=np.arange(4), latency=15))[:, 0]
    above_half = (w > 0.5 * w.max(1, keepdims=True)).sum(1) / signals.RATE  # full width at half maximum
    np.testing.assert_allclose(above_half, 2.3548 * signals.FACTOR_VALUES["width"], atol=1.5 / signals.RATE)
    p = signals.render(codes(phase=np.arange(8), frequency=0, latency=31, width=0))[:, 2, 0]  # t = 0 on Oz
    np.testing.assert_allclose(p, signals.OSCILLATION_AMPLITUDE * np.sin(signals.FACTOR_VALUES["phase"]), atol=1e-4)


def test_an_npz_of_signals_round_trips_exactly_with_labels_factors_times_and_channels(workspace, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 2, 50)).astype(np.float32)
    path = tmp_path / "eeg.npz"
    np.savez(path, x=x, labels=np.array(list("aabbcc")), factors=np.arange(12).reshape(6, 2),
             times=np.linspace(-0.1, 0.39, 50), channels=np.array(["C3", "C4"]))
    import_signal_dataset(path, "eeg")
    ds = load_dataset("eeg")  # from the workspace
    assert ds.kind == "signal" and ds.channel_names == ["C3", "C4"]
    np.testing.assert_array_equal(ds.x, x)
    assert ds.labels.tolist() == list("aabbcc") and ds.factors.to_numpy().tolist() == np.arange(12).reshape(6, 2).tolist()
    np.testing.assert_allclose(ds.times, np.linspace(-0.1, 0.39, 50))
    flat = tmp_path / "one.npy"
    np.save(flat, x[:, 0])
    one = import_signal_dataset(flat, "one", standardise=True)
    assert one.x.shape == (6, 1, 50) and abs(float(one.x.mean())) < 1e-6 and abs(float(one.x.std()) - 1) < 1e-5
    np.testing.assert_allclose(one.x[:, 0] * one.feature_scale[0] + one.feature_mean[0], x[:, 0], atol=1e-5)


def long_table(n=3, t=4, channels=("a", "b")):
    rows = []
    for i in range(n):
        for k in range(t):
            rows.append({"subject": f"s{i}", "ms": 10 * k, **{c: i + 0.25 * k + j for j, c in enumerate(channels)},
                         "group": "x" if i < 2 else "y", "cond": i % 2})
    return pd.DataFrame(rows)


def test_a_long_csv_becomes_items_in_first_seen_order(workspace, tmp_path):
    frame = long_table().sample(frac=1.0, random_state=0)  # rows in any order
    frame.to_csv(tmp_path / "long.csv", index=False)
    ds = import_signal_dataset(tmp_path / "long.csv", "long", id="subject", time="ms", channels=["b", "a"],
                               labels="group", factors=["cond"])
    first = list(dict.fromkeys(frame["subject"]))
    assert ds.x.shape == (3, 2, 4) and ds.channel_names == ["b", "a"] and ds.times.tolist() == [0, 10, 20, 30]
    for row, subject in enumerate(first):
        i = int(subject[1:])
        np.testing.assert_array_equal(ds.x[row, 1], i + 0.25 * np.arange(4))  # channel a, exactly
        np.testing.assert_array_equal(ds.x[row, 0], i + 1 + 0.25 * np.arange(4))
        assert ds.labels[row] == ("x" if i < 2 else "y") and ds.factors["cond"][row] == i % 2
    long_table().to_parquet(tmp_path / "long.parquet")
    pq = import_signal_dataset(tmp_path / "long.parquet", "longpq", id="subject", time="ms", channels=["a"])
    assert pq.x.shape == (3, 1, 4)


@pytest.mark.parametrize("edit,message", [
    (lambda f: f.drop(index=5), r"item 's1' has 3 samples but item 's0' has 4.*ragged"),
    (lambda f: f.assign(ms=np.where(f.index == 6, 25, f["ms"])), r"item 's1' is sampled at other times"),
    (lambda f: pd.concat([f, f.iloc[[2]]], ignore_index=True), r"row 13 repeats time 20 of item 's0'"),
    (lambda f: f.assign(a=f["a"].astype(object).where(f.index != 4, "high")), r"row 5, channel column 'a' holds 'high'"),
    (lambda f: f.assign(b=np.where(f.index == 7, np.nan, f["b"])), r"row 8, channel column 'b' holds 'nan'"),
    (lambda f: f.assign(b=np.where(f.index == 7, np.inf, f["b"])), r"row 8, channel column 'b' holds 'inf'"),
    (lambda f: f.assign(group=np.where(f.index == 1, "z", f["group"])), r"'group' changes within item 's0'"),
])
def test_hostile_long_tables_are_refused_naming_what_and_where(workspace, tmp_path, edit, message):
    edit(long_table()).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(LatentLabError, match=message):
        import_signal_dataset(tmp_path / "bad.csv", "bad", id="subject", time="ms", channels=["a", "b"], labels="group")
    assert not (workspace / "datasets" / "bad.json").exists()


def test_hostile_arrays_and_absurd_sizes_are_refused(workspace, tmp_path, monkeypatch):
    def refused(array, message, **kw):
        np.save(tmp_path / "x.npy", array)
        with pytest.raises(LatentLabError, match=message):
            import_signal_dataset(tmp_path / "x.npy", "x", **kw)

    x = np.zeros((4, 2, 16), np.float32)
    refused(np.where(np.arange(16) == 9, np.nan, x), r"item 0, channel 0, sample 9 holds nan")
    refused(np.array(["a", "b"]), r"not numeric")
    refused(np.zeros((4, 2, 3, 16)), r"\(items, samples\) or \(items, channels, samples\)")
    refused(np.zeros((1, 16)), r"at least two items of at least two samples")
    refused(x, r"`id`, `time`.*long table", id="subject")
    monkeypatch.setenv("LATENTLAB_LIMIT_MAX_SIGNAL_VALUES", "100")
    refused(x, r"4 items x 2 channels x 16 samples = 128 values is over the limit of 100")
    monkeypatch.setenv("LATENTLAB_LIMIT_MAX_SIGNAL_CHANNELS", "1")
    refused(x, r"2 channels is over the limit of 1")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(LatentLabError, match="pickled data"):
        import_signal_dataset(tmp_path / "obj.npy", "obj")
    long_table().to_csv(tmp_path / "long.csv", index=False)
    with pytest.raises(LatentLabError, match=r"needs its item and time columns named"):
        import_signal_dataset(tmp_path / "long.csv", "long")
    with pytest.raises(LatentLabError, match=r"no column named 'when'"):
        import_signal_dataset(tmp_path / "long.csv", "long", id="subject", time="when")
