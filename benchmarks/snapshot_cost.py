"""What training snapshots cost a run at the default settings (the goal: at most 5% of its time).

Each case trains twice in a fresh workspace, with snapshots (the default schedule and 2,000-item probe) and
without, and prints both wall times beside the time spent inside the snapshots themselves (timed around each
one), as a share of the run with them. The direct share is the figure to read on a busy machine: the difference
of the two runs' times is shown too, but it moves with whatever else the CPU is doing.

    flock /tmp/ll-bench.lock python benchmarks/snapshot_cost.py [--quick]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

CASES = [  # (dataset, model, settings, training), the command line's and the dashboard's defaults
    ("digits", "vae", {}, {"epochs": 10}),  # latentlab train's default length: 150 steps
    ("digits", "vae", {}, {"epochs": 20}),  # the Train page's default length: 300 steps
    ("shapes-20k", "vae", {}, {"steps": 300}),  # 64x64 images, the convolutional networks
]


def timed_run(dataset, model, params, training, snapshots: bool) -> tuple[float, float, int, int]:
    """(run seconds, seconds inside snapshots, snapshots taken, steps) of one run in a fresh workspace."""
    from latentlab import lab
    from latentlab.training import snapshots as snap

    spent = [0.0, 0]
    original = snap.SnapshotRecorder.snapshot

    def counted(self, trainer):
        t = time.perf_counter()
        original(self, trainer)
        spent[0] += time.perf_counter() - t
        spent[1] += 1

    snap.SnapshotRecorder.snapshot = counted
    try:
        with tempfile.TemporaryDirectory() as home:
            os.environ["LATENTLAB_HOME"] = home
            cfg = lab.TrainConfig(**training, snapshots=snapshots)
            t = time.perf_counter()
            result = lab.train(dataset, model, params, cfg, name="bench")
            return time.perf_counter() - t, spent[0], spent[1], result.step
    finally:
        snap.SnapshotRecorder.snapshot = original


def main() -> None:
    import torch

    from latentlab import lab

    torch.set_num_threads(2)
    cases = CASES[:1] if "--quick" in sys.argv else CASES
    print(f"{'run':34s} {'steps':>6s} {'snaps':>6s} {'without':>9s} {'with':>9s} {'in snapshots':>13s} {'share':>7s} {'diff':>7s}")
    for dataset, model, params, training in cases:
        lab.load_dataset(dataset)  # generated or read once, outside the timings
        timed_run(dataset, model, params, {"steps": 3}, True)  # warm: first-call costs out of the timings
        off, _, _, steps = timed_run(dataset, model, params, training, False)
        on, inside, taken, _ = timed_run(dataset, model, params, training, True)
        length = ", ".join(f"{k} {v}" for k, v in training.items())
        print(f"{dataset + ' ' + model + ' (' + length + ')':34s} {steps:6d} {taken:6d} {off:8.1f}s {on:8.1f}s "
              f"{inside:12.2f}s {100 * inside / on:6.1f}% {100 * (on - off) / off:+6.1f}%")


if __name__ == "__main__":
    main()
