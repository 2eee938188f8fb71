"""``--executor``, ``--ray-address``, ``--cpus-per-run`` and ``--gpus-per-run``: where the commands that start jobs
(train, sweep, embed) run them. Left out, ``LATENTLAB_RAY_ADDRESS`` decides (set: the Ray cluster there; unset:
this machine, as before)."""

from __future__ import annotations

import argparse


def add_executor_flags(p: argparse.ArgumentParser, per_run: bool = True) -> None:
    g = p.add_argument_group("where to run (a Ray cluster: pip install \"latentlab[ray]\")")
    g.add_argument("--executor", choices=["local", "ray"], default=None,
                   help="local: this machine's workers; ray: a Ray cluster (default: ray when LATENTLAB_RAY_ADDRESS "
                        "is set, else local)")
    g.add_argument("--ray-address", default=None, metavar="HOST:PORT",
                   help="the cluster's address, as 'ray start --head' prints it (default: LATENTLAB_RAY_ADDRESS, else "
                        "the cluster started on this machine)")
    what = "run" if per_run else "encoding worker"
    g.add_argument("--cpus-per-run", type=float, default=None, metavar="N",
                   help=f"CPUs Ray reserves for each {what} (default 1)")
    g.add_argument("--gpus-per-run", type=float, default=None, metavar="F",
                   help=f"GPUs Ray reserves for each {what}; a fraction shares one GPU, e.g. 0.25 fits four (default 0)")


def executor_from_args(args) -> dict | None:
    """The executor spec the flags (and the environment) ask for: None for this machine."""
    from latentlab.jobs.executor import resolve_executor

    return resolve_executor(args.executor, args.ray_address, args.cpus_per_run, args.gpus_per_run)
