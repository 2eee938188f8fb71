"""Which alignment keeps a forming latent space's maps steadiest, at equal quality: the three of
``latentlab.analysis.projection.aligned`` on the snapshots of real runs.

Each run trains in a fresh workspace with snapshots (the digits VAE and the digits beta-VAE, ``--steps`` steps,
a snapshot every ``--every`` steps, the digits' 1,797 items as the probe); then each method maps every snapshot:

- ``procrustes`` (the default): each map starts from the one before, then is Procrustes-aligned onto it;
- ``aligned-umap``: umap-learn's ``AlignedUMAP`` over all frames at once (the field's reference);
- ``independent``: one UMAP per snapshot, Procrustes-aligned afterwards (the baseline).

Printed per run and method: the seconds, how often a point lands among its old neighbours on the next map
(``neighbour_keep``, k = 10; higher is steadier), the mean shift of a point between maps (in map radii), and the
maps' quality (the share of each item's 10 nearest neighbours in its codes kept on the map, averaged over frames).

    python3 benchmarks/formation_alignment.py [--steps 1200] [--every 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RUNS = [("digits-vae-run", "vae", {"latent_dim": 8}), ("digits-beta4-run", "vae", {"latent_dim": 8, "beta": 4.0})]
METHODS = ["procrustes", "aligned-umap", "independent"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--every", type=int, default=100)
    args = parser.parse_args()
    os.environ["LATENTLAB_HOME"] = tempfile.mkdtemp(prefix="ll-align-")

    import latentlab as ll
    from latentlab.analysis.dynamics import snapshot_record
    from latentlab.analysis.projection.aligned import aligned_maps, mean_shift, neighbour_keep, sequence_quality

    print(f"{'run':<18} {'method':<13} {'frames':>6} {'seconds':>8} {'keep':>6} {'shift':>6} {'quality':>8}")
    for name, model, params in RUNS:
        ll.train("digits", model, params, ll.TrainConfig(steps=args.steps, snapshot_every=args.every), name=name)
        frames = snapshot_record(name)[2].all_codes()
        for method in METHODS:
            t = time.perf_counter()
            maps = aligned_maps(frames, method, seed=0)
            seconds = time.perf_counter() - t
            print(f"{name:<18} {method:<13} {len(frames):>6} {seconds:>8.1f} {neighbour_keep(maps):>6.3f} "
                  f"{mean_shift(maps):>6.3f} {sequence_quality(frames, maps):>8.3f}", flush=True)


if __name__ == "__main__":
    main()
