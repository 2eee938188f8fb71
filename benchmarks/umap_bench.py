"""UMAP at real size: the torch backend against umap-learn, in one run.

Rows, printed side by side:

* umap-learn, full fit on 70,000 codes (unseeded, so its parallel numba path:
  its fastest configuration); skipped with a message where it is not installed;
* the torch backend on the same 70,000 codes;
* the torch backend on the large set (``--n-large``, default all 737,280);
* with ``--device cuda``, also 1,000,000 codes (targets on an H100: 70k in
  1 s, 1M in 10 s).

Each row gives wall time, trustworthiness at 15 neighbours
(``sklearn.manifold.trustworthiness``) on a fixed 10,000-point sample of its
input, and, for the large CPU row, peak RSS (``resource.getrusage``) taken
right after the fit, before anything else grows the process.

The codes stand in for a trained encoder's latent means on the ``shapes``
dataset: each image's factors (shape as a scaled one-hot, scale, orientation
as cos/sin, x, y) pass through a fixed random two-layer tanh network
(9 -> 32 -> 10, seed 1234) plus Gaussian noise of 0.03, giving 10-D float32
codes on a smooth 5-factor manifold. Beyond 737,280 points, factor
combinations repeat with fresh noise.

    python benchmarks/umap_bench.py                      # CPU: 70k both ways, then 737,280
    python benchmarks/umap_bench.py --skip-large
    python benchmarks/umap_bench.py --device cuda        # adds 1,000,000 on the GPU
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from latentlab.data.shapes import N_TOTAL, factors_of  # noqa: E402
from latentlab.analysis.projection.umap_torch import umap  # noqa: E402

N_REF = 70_000
N_SAMPLE = 10_000
BUDGET_S, BUDGET_GB = 600, 6.0


def codes(n: int, seed: int = 0) -> np.ndarray:
    """(n, 10) float32 stand-in latent codes of the shapes dataset (see the module docstring)."""
    rng = np.random.default_rng(seed)
    if n <= N_TOTAL:
        index = np.sort(rng.choice(N_TOTAL, n, replace=False)) if n < N_TOTAL else np.arange(N_TOTAL)
    else:
        index = np.concatenate([np.arange(N_TOTAL), rng.integers(0, N_TOTAL, n - N_TOTAL)])
    f = factors_of(index).astype(np.float32)
    angle = f[:, 2] * (2 * np.pi / 40)
    feats = np.column_stack([np.eye(3, dtype=np.float32)[f[:, 0].astype(int)] * 1.5, f[:, 1] / 5,
                             np.cos(angle), np.sin(angle), f[:, 3] / 31, f[:, 4] / 31])
    net = np.random.default_rng(1234)  # the same map for every n and seed
    w1 = net.normal(size=(feats.shape[1], 32)).astype(np.float32)
    b1 = net.normal(size=32).astype(np.float32)
    w2 = (net.normal(size=(32, 10)) / np.sqrt(32)).astype(np.float32)
    z = np.tanh(feats @ w1 + b1) @ w2
    return (z + rng.normal(scale=0.03, size=z.shape)).astype(np.float32)


def trust(X: np.ndarray, Y: np.ndarray) -> float:
    """Trustworthiness at 15 neighbours on a fixed 10,000-point sample."""
    from sklearn.manifold import trustworthiness

    s = np.random.default_rng(7).choice(len(X), min(N_SAMPLE, len(X)), replace=False)
    return float(trustworthiness(X[s], Y[s], n_neighbors=15))


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def stage_timer():
    """A progress sink that records each stage's wall time."""
    starts, times = {}, {}

    def progress(stage, done, total, unit):
        now = time.perf_counter()
        starts.setdefault(stage, now)
        if done >= total:
            times[stage] = now - starts[stage]
    return progress, times


def run_torch(X: np.ndarray, device: str) -> dict:
    progress, stages = stage_timer()
    t = time.perf_counter()
    Y = umap(X, random_state=0, device=device, progress=progress)
    if device == "cuda":
        torch.cuda.synchronize()
    wall = time.perf_counter() - t
    return {"time": wall, "rss": peak_rss_gb(), "stages": stages, "Y": Y}


def run_umap_learn(X: np.ndarray) -> dict | None:
    try:
        import umap as umap_learn
    except ImportError:
        print("umap-learn is not installed here: its row is skipped.")
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        Y = umap_learn.UMAP(n_neighbors=15, min_dist=0.1).fit_transform(X)
    return {"time": time.perf_counter() - t, "Y": Y}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-large", type=int, default=N_TOTAL)
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--codes", help="real codes instead: an .npz with a 'mean' array, e.g. from `latentlab embed --out`; "
                                    "the large row maps all of them, the 70,000-point rows a fixed sample")
    args = ap.parse_args()
    if args.codes:
        with np.load(args.codes) as z:
            real = z["mean"].astype(np.float32)
        args.n_large = len(real)

        def make_codes(n: int, seed: int = 0) -> np.ndarray:
            if n >= len(real):
                return real
            return real[np.sort(np.random.default_rng(seed).choice(len(real), size=n, replace=False))]
    else:
        make_codes = codes
    dev = args.device
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {dev}"
          + (f" ({torch.cuda.get_device_name()})" if dev == "cuda" else ""))
    if dev == "cuda":
        umap(make_codes(2_000, seed=1), device="cuda", n_epochs=10)  # CUDA context and kernels, not timed

    rows = []
    # the large fit first, so its peak RSS is not the 70k rows' or the trustworthiness scratch
    large = []
    if not args.skip_large:
        large.append(args.n_large)
    if dev == "cuda" and 1_000_000 not in large:
        large.append(1_000_000)
    for n in large:
        X = make_codes(n)
        r = run_torch(X, dev)
        print(f"torch {dev} {n:,}: {r['time']:.1f} s, stages {_fmt(r['stages'])}, peak RSS {r['rss']:.2f} GiB", flush=True)
        rows.append((f"torch {dev}", n, r["time"], r["rss"], trust(X, r.pop("Y"))))
        del X

    X = make_codes(N_REF)
    r = run_torch(X, dev)
    print(f"torch {dev} {N_REF:,}: {r['time']:.1f} s, stages {_fmt(r['stages'])}", flush=True)
    rows.insert(0, (f"torch {dev}", N_REF, r["time"], None, trust(X, r["Y"])))
    ref = run_umap_learn(X)
    if ref is not None:
        rows.insert(0, ("umap-learn", N_REF, ref["time"], None, trust(X, ref["Y"])))

    print(f"\n{'backend':<14}{'points':>11}{'time s':>9}{'peak RSS GiB':>13}{'trust@15':>10}")
    for name, n, t, rss, tw in rows:
        print(f"{name:<14}{n:>11,}{t:>9.1f}{'' if rss is None else f'{rss:.2f}':>13}{tw:>10.4f}")
    if ref is not None:
        ref_t, ref_tw = rows[0][2], rows[0][4]
        print(f"\nagainst umap-learn on {N_REF:,} (trust {ref_tw:.4f}, {ref_t:.1f} s):")
        for name, n, t, rss, tw in rows[1:]:
            print(f"  {name} {n:,}: time x{t / ref_t:.2f}, trust {tw - ref_tw:+.4f} (limit -0.02)")
    for name, n, t, rss, tw in rows:
        if name.startswith("torch cpu") and n > N_REF:
            print(f"large CPU budget: {t:.0f} of {BUDGET_S} s, {rss:.2f} of {BUDGET_GB} GiB peak RSS")


def _fmt(stages: dict) -> str:
    return ", ".join(f"{k} {v:.1f} s" for k, v in stages.items())


if __name__ == "__main__":
    main()
