"""``shapes``: a procedural equivalent of dSprites (Matthey et al. 2017).

64x64 binary images of a square, an ellipse and a heart over 6 scales x
40 orientations x 32 x-positions x 32 y-positions = 737,280 images, in the
same factor order as dSprites (shape, scale, orientation, pos_x, pos_y).

Each (shape, scale, orientation) sprite is rasterised once into a 32x32 patch
with 4x4 supersampling; an image is that patch pasted with its centre at pixel
(16 + pos_x, 16 + pos_y), so every factor value maps to one exact image and
the set is deterministic. The full set is written once, in chunks, to a
memory-mapped file in the workspace cache; subsets are rendered directly.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from latentlab.data.dataset import Dataset
from latentlab.core.workspace import atomic_path, subdir, write_json_atomic

VERSION = 1
FACTOR_NAMES = ("shape", "scale", "orientation", "pos_x", "pos_y")
FACTOR_SIZES = (3, 6, 40, 32, 32)
N_TOTAL = int(np.prod(FACTOR_SIZES))  # 737,280
SHAPE_NAMES = ("square", "ellipse", "heart")
PATCH = 32
BASE_RADIUS = 10.0  # pixels at scale 1; the largest rotated square fits the 64px canvas


def _inside(shape: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    if shape == 0:
        return np.maximum(np.abs(u), np.abs(v)) <= 0.8
    if shape == 1:
        return (u / 1.0) ** 2 + (v / 0.5) ** 2 <= 1.0
    # heart: (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0, scaled to the unit box, point down
    x, y = u * 1.15, -v * 1.15 + 0.15
    return (x**2 + y**2 - 1.0) ** 3 - x**2 * y**3 <= 0.0


@lru_cache(maxsize=1)
def sprite_bank() -> np.ndarray:
    """All 720 sprites as a (3, 6, 40, 32, 32) bool array."""
    ss = 4
    coords = (np.arange(PATCH * ss) + 0.5) / ss - PATCH / 2  # pixel centres, patch centre at 16
    yy, xx = np.meshgrid(coords, coords, indexing="ij")
    scales = np.linspace(0.5, 1.0, FACTOR_SIZES[1])
    angles = np.linspace(0.0, 2 * np.pi, FACTOR_SIZES[2], endpoint=False)
    bank = np.zeros((*FACTOR_SIZES[:3], PATCH, PATCH), dtype=bool)
    for s in range(3):
        for k, scale in enumerate(scales):
            r = BASE_RADIUS * scale
            for a, angle in enumerate(angles):
                c, sn = np.cos(angle), np.sin(angle)
                u = (c * xx + sn * yy) / r
                v = (-sn * xx + c * yy) / r
                fine = _inside(s, u, v).reshape(PATCH, ss, PATCH, ss)
                bank[s, k, a] = fine.mean(axis=(1, 3)) >= 0.5
    return bank


def factors_of(index: np.ndarray) -> np.ndarray:
    """Factor values (N, 5) for flat indices in dSprites order."""
    return np.stack(np.unravel_index(np.asarray(index), FACTOR_SIZES), axis=1).astype(np.int16)


def render(index: np.ndarray) -> np.ndarray:
    """Render images for flat indices: (N, 1, 64, 64) bool."""
    f = factors_of(index)
    bank = sprite_bank()
    out = np.zeros((len(f), 1, 64, 64), dtype=bool)
    rows = np.arange(PATCH)
    for i, (s, k, a, px, py) in enumerate(f):
        out[i, 0, py + rows[:, None], px + rows[None, :]] = bank[s, k, a]
    return out


def sprite_positions(sprite: np.ndarray) -> np.ndarray:
    """One sprite at all 32x32 positions, in flat-index order: (1024, 64, 64) bool.

    The images are 64x64 windows of one padded canvas, so no image is drawn twice.
    """
    canvas = np.zeros((64 + PATCH - 1, 64 + PATCH - 1), dtype=bool)
    canvas[PATCH - 1 : 2 * PATCH - 1, PATCH - 1 : 2 * PATCH - 1] = sprite
    win = np.lib.stride_tricks.sliding_window_view(canvas, (64, 64))[::-1, ::-1]  # (pos_y, pos_x, 64, 64)
    return win.transpose(1, 0, 2, 3).reshape(-1, 64, 64)  # flat order is pos_x, then pos_y


def _write_full(path) -> None:
    """Write the .npy file with plain writes, one sprite's 1,024 images at a time.

    A writable memory map would count every written page in the process's
    resident memory (3 GB); file writes leave them to the page cache.
    """
    bank = sprite_bank().reshape(-1, PATCH, PATCH)
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(bool)), "fortran_order": False, "shape": (N_TOTAL, 1, 64, 64)}
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.lib.format.write_array_header_1_0(fh, header)
            for sprite in bank:
                fh.write(np.ascontiguousarray(sprite_positions(sprite)).tobytes())


def _factor_frame(index: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(factors_of(index).astype(np.int64), columns=list(FACTOR_NAMES))


def load_shapes_full() -> Dataset:
    """All 737,280 images, memory-mapped from the workspace cache (built once, ~3 GB)."""
    folder = subdir("cache") / "shapes"
    folder.mkdir(exist_ok=True)
    path = folder / f"shapes-v{VERSION}.npy"
    meta = folder / f"shapes-v{VERSION}.json"
    if not (path.exists() and meta.exists()):
        _write_full(path)
        write_json_atomic(meta, {"version": VERSION, "n": N_TOTAL})
    x = np.load(path, mmap_mode="r")
    index = np.arange(N_TOTAL)
    return Dataset(
        name="shapes",
        x=x,
        kind="image",
        labels=np.asarray(SHAPE_NAMES)[factors_of(index)[:, 0]],
        factors=_factor_frame(index),
        fingerprint=f"shapes-v{VERSION}-full",
        description="Procedural dSprites: 737,280 64x64 binary images with 5 ground-truth factors.",
        label_name="shape",
    )


def load_shapes_subset(n: int, seed: int = 0, name: str | None = None) -> Dataset:
    """A fixed random subset of ``n`` images, rendered directly (no full cache needed)."""
    rng = np.random.default_rng(seed)
    index = np.sort(rng.choice(N_TOTAL, size=min(n, N_TOTAL), replace=False))
    return Dataset(
        name=name or (f"shapes-{n // 1000}k" if n % 1000 == 0 else f"shapes-{n}"),
        x=render(index),
        kind="image",
        labels=np.asarray(SHAPE_NAMES)[factors_of(index)[:, 0]],
        factors=_factor_frame(index),
        fingerprint=f"shapes-v{VERSION}-n{n}-s{seed}",
        description=f"A fixed random subset ({n:,} images, seed {seed}) of the procedural dSprites set.",
        label_name="shape",
    )
