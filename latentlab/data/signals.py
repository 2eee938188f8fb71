"""``signals``: a procedural set of EEG-like signals with known factors, the signal analogue of ``shapes``.

Each item is 1 s of a 3-channel recording at 128 Hz, shape (3, 128): an ERP-like Gaussian bump plus an
oscillation plus white noise. Five factors, each taking a few discrete values, in a full factorial grid
of 32 x 4 x 4 x 8 x 8 = 32,768 items (the flat index is the factors' ``unravel_index`` in this order):

- ``latency``   32 values: the bump's peak, 0.2 to 0.8 s (like dSprites' 32 positions);
- ``width``      4 values: the bump's standard deviation, 20 to 80 ms;
- ``amplitude``  4 values: the bump's height, 1 to 2.5;
- ``frequency``  8 values: the oscillation's frequency, 4 to 24 Hz (whole cycles in the 1 s window, so each
  is one exact bin of the window's DFT);
- ``phase``      8 values: the oscillation's phase at t = 0, 0 to 7/4 pi (cyclic, like dSprites' orientation).

The channels mix the two sources with fixed weights, as scalp sites see an ERP and a rhythm in different
proportions: ``Cz`` holds the bump alone, ``Pz`` both, ``Oz`` mostly the oscillation (weights below). The
noise (standard deviation 0.1 per sample) is drawn once for the whole set from a fixed seed, so the set is
deterministic; it is the one part of an item that no factor controls. Labels are the oscillation's EEG band
(theta below 8 Hz, alpha 8-12 Hz, beta above), for colouring.

The set (48 MiB of float32) is written once to the workspace cache and memory-mapped, like ``shapes``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from latentlab.core.workspace import atomic_path, subdir, write_json_atomic
from latentlab.data.dataset import Dataset

VERSION = 1
FACTOR_NAMES = ("latency", "width", "amplitude", "frequency", "phase")
FACTOR_SIZES = (32, 4, 4, 8, 8)
N_TOTAL = int(np.prod(FACTOR_SIZES))  # 32,768
RATE = 128  # samples per second
LENGTH = 128  # samples per item: 1 s
CHANNEL_NAMES = ("Cz", "Pz", "Oz")
BUMP_WEIGHTS = np.array([1.0, 0.6, 0.25], np.float32)  # (C,) how much of the bump each channel sees
OSCILLATION_WEIGHTS = np.array([0.0, 0.5, 1.0], np.float32)  # (C,) and how much of the oscillation
OSCILLATION_AMPLITUDE = 0.8
NOISE_SD = 0.1
NOISE_SEED = 2024  # fixed: the set is the same on every machine

FACTOR_VALUES = {
    "latency": np.linspace(0.2, 0.8, FACTOR_SIZES[0]),  # seconds
    "width": np.linspace(0.02, 0.08, FACTOR_SIZES[1]),  # seconds (the Gaussian's standard deviation)
    "amplitude": np.linspace(1.0, 2.5, FACTOR_SIZES[2]),
    "frequency": np.array([4, 6, 8, 10, 12, 16, 20, 24], float),  # Hz
    "phase": np.linspace(0.0, 2 * np.pi, FACTOR_SIZES[4], endpoint=False),  # radians
}


def times() -> np.ndarray:
    """The sample times in seconds: (128,)."""
    return (np.arange(LENGTH) / RATE).astype(np.float32)


def factors_of(index: np.ndarray) -> np.ndarray:
    """Integer factor codes (N, 5) of flat indices, in ``FACTOR_NAMES`` order."""
    return np.stack(np.unravel_index(np.asarray(index), FACTOR_SIZES), axis=1).astype(np.int64)


def band_of(frequency_hz: np.ndarray) -> np.ndarray:
    """EEG band names of frequencies (N,) in Hz: theta (< 8), alpha (8-12), beta (> 12)."""
    f = np.asarray(frequency_hz)
    return np.where(f < 8, "theta", np.where(f <= 12, "alpha", "beta"))


def render(codes: np.ndarray, noise: np.ndarray | None = None) -> np.ndarray:
    """Signals (N, 3, 128) float32 of factor codes (N, 5), plus ``noise`` (N, 3, 128) when given.

    Vectorised over items: the bump and the oscillation are (N, T) curves, mixed into channels by the
    (C,) weights.
    """
    codes = np.asarray(codes, np.int64)
    value = {name: FACTOR_VALUES[name][codes[:, k]][:, None] for k, name in enumerate(FACTOR_NAMES)}  # each (N, 1)
    t = times().astype(np.float64)[None, :]  # (1, T)
    bump = value["amplitude"] * np.exp(-0.5 * ((t - value["latency"]) / value["width"]) ** 2)  # (N, T)
    wave = OSCILLATION_AMPLITUDE * np.sin(2 * np.pi * value["frequency"] * t + value["phase"])  # (N, T)
    x = bump[:, None, :] * BUMP_WEIGHTS[None, :, None] + wave[:, None, :] * OSCILLATION_WEIGHTS[None, :, None]
    if noise is not None:
        x = x + noise
    return x.astype(np.float32)  # (N, C, T)


def full_noise() -> np.ndarray:
    """The set's noise, (32768, 3, 128) float32, from the fixed seed."""
    rng = np.random.default_rng(NOISE_SEED)
    return (NOISE_SD * rng.standard_normal((N_TOTAL, len(CHANNEL_NAMES), LENGTH))).astype(np.float32)


def generate() -> np.ndarray:
    """All 32,768 signals (N, 3, 128) float32, in flat-index order."""
    return render(factors_of(np.arange(N_TOTAL)), full_noise())


def load_signals() -> Dataset:
    """The whole set, memory-mapped from the workspace cache (built once, 48 MiB, in well under a second)."""
    folder = subdir("cache") / "signals"
    folder.mkdir(exist_ok=True)
    path, meta = folder / f"signals-v{VERSION}.npy", folder / f"signals-v{VERSION}.json"
    if not (path.exists() and meta.exists()):
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.save(fh, generate())
        write_json_atomic(meta, {"version": VERSION, "n": N_TOTAL})
    x = np.load(path, mmap_mode="r")
    codes = factors_of(np.arange(N_TOTAL))
    return Dataset(
        name="signals",
        x=x,
        kind="signal",
        labels=band_of(FACTOR_VALUES["frequency"][codes[:, 3]]),
        factors=pd.DataFrame(codes, columns=list(FACTOR_NAMES)),
        fingerprint=f"signals-v{VERSION}",
        description="Procedural EEG-like signals: 32,768 items of 3 channels x 128 samples (1 s at 128 Hz), an ERP "
                    "bump (latency, width, amplitude) plus an oscillation (frequency, phase) plus noise; 5 factors.",
        label_name="band",
        channel_names=list(CHANNEL_NAMES),
        times=times(),
    )
