"""The ``pca`` projector against scikit-learn's ``PCA``, side by side, each in a fresh process as a page meets it
(the import counted): seconds, peak memory, and the largest difference between the two maps.

Data: scikit-learn's digits (1,797 x 64 pixels, real), and ``--points`` x ``--dims`` Gaussian vectors with a
decaying spectrum (the size a user brings). scikit-learn runs with ``svd_solver="auto"`` (its ``covariance_eigh``
for tall data) on the same float32 array.

    python3 benchmarks/pca_projection.py --points 1000000 --dims 16
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
import numpy as np
X = np.load(sys.argv[2])
t = time.perf_counter()
if sys.argv[1] == "latentlab":
    from latentlab.analysis.projection.methods import PCAProjector
    xy = PCAProjector(n_components=2).fit_transform(X)
else:
    from sklearn.decomposition import PCA
    xy = PCA(n_components=2).fit_transform(X)
seconds = time.perf_counter() - t
np.save(sys.argv[3], xy.astype(np.float64))
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))  # this process's
print(json.dumps({"s": seconds, "peak MB": peak / 1024}))
"""


def one(which: str, data: Path, out: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, which, str(data), str(out)], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--dims", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(0)
    sets = {"digits (1,797 x 64)": load_digits().data.astype(np.float32),
            f"gaussian ({args.points:,} x {args.dims})":
                (rng.normal(size=(args.points, args.dims)) * np.geomspace(3, 0.1, args.dims)).astype(np.float32)}
    print("| data | projector | seconds (import + fit, median) | peak MB | largest |difference| / largest |value| |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for label, X in sets.items():
            data = Path(tmp) / "x.npy"
            np.save(data, X)
            maps = {}
            for which in ("scikit-learn", "latentlab"):
                runs = [one(which, data, Path(tmp) / f"{which}.npy") for _ in range(args.repeats)]
                maps[which] = np.load(Path(tmp) / f"{which}.npy")
                diff = "" if which == "scikit-learn" else \
                    f"{np.abs(maps[which] - maps['scikit-learn']).max() / np.abs(maps['scikit-learn']).max():.1e}"
                print(f"| {label} | {which} | {np.median([r['s'] for r in runs]):.3f} | "
                      f"{max(r['peak MB'] for r in runs):.0f} | {diff} |", flush=True)


if __name__ == "__main__":
    main()
