"""What a metric costs, and how long a set of them still needs: an ETA from per-metric cost estimates.

Metrics differ by two orders of magnitude in cost (DCI's boosted trees take most of a run; MIG a fraction of a
second), so an ETA from the share of metrics done (1 of 8 done after MIG's second, "7 more seconds") rises
tenfold once DCI starts. Here each metric has a cost estimate in seconds of an idle 2-core CPU, from its own
work count (items, latents, classes per factor), and the run's observed speed scales them:

- ``metric_cost(name, n, n_latents, classes)``: the estimate for one metric;
- ``remaining_seconds(done_cost, elapsed, left_cost)``: the time the metrics not done yet need, at the speed
  the finished ones ran at (the machine's load stands in for that speed before any has finished);
- ``eta_now(reported_eta, since)``: what to show between two reports, counting down, never below a floor.

The figures come from ``benchmarks/metrics_page.py`` on shapes-20k (10,000 items, 10 latents, factors of 3, 6, 40,
32 and 32 values; DCI grows 113 trees a stage there); ``tests/test_metrics_page.py`` replays a run with uneven
costs on a fake clock.
"""

from __future__ import annotations

import os

import numpy as np

ITEMS_REF, LATENTS_REF = 10_000, 10


def _trees(classes) -> int:
    """Boosted trees per stage over all factors: one per class, one for a two-valued factor."""
    return int(sum(1 if c <= 2 else c for c in classes if c >= 2))


# Seconds per metric at ITEMS_REF items and LATENTS_REF latents, and how that grows with the factors' classes.
_PER_METRIC = {
    "mig": lambda classes: 0.02 * len(classes),
    "dci": lambda classes: 0.1 * _trees(classes),
    "dci-lasso": lambda classes: 0.027 * sum(classes),
    "sap": lambda classes: 0.1 * len(classes),
    "factorvae": lambda classes: 0.2,
    "betavae": lambda classes: 0.1 + 0.0005 * sum(classes),
    "modularity": lambda classes: 0.05 + 0.015 * sum(classes),
    "infomec": lambda classes: 0.05 + 0.014 * sum(classes),
}
_FACTOR_FREE = 0.05  # spread and intrinsic dimension: matrix products and a nearest-neighbour search


def metric_cost(name: str, n: int, n_latents: int, classes) -> float:
    """Estimated seconds of ``name`` on ``n`` items of ``n_latents`` latents, factors with ``classes`` values each
    (an idle 2-core CPU). Unknown metrics (a plug-in's) count as one second."""
    scale = (n / ITEMS_REF) * (n_latents / LATENTS_REF)
    if name == "dci":
        scale = (min(n * 0.8, 8000) / (ITEMS_REF * 0.8)) * (n_latents / LATENTS_REF)  # trained on up to 8,000
    per = _PER_METRIC.get(name)
    if classes is None:
        base = _FACTOR_FREE
    else:
        base = per(list(classes)) if per is not None else 1.0
    return max(0.01, base * scale)


def costs_of(names: list[str], codes: np.ndarray, factors: np.ndarray | None) -> dict[str, float]:
    """Each metric's estimated seconds on these codes (N, D) and factors (N, K)."""
    from latentlab.analysis.metrics import factor_free_names

    free = set(factor_free_names(names))
    classes = None if factors is None else [len(np.unique(f)) for f in np.asarray(factors).T]
    return {name: metric_cost(name, len(codes), codes.shape[1], None if name in free else classes) for name in names}


def load_factor() -> float:
    """How much slower than idle this machine runs now: the run queue per core (at least 1)."""
    try:
        return max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
    except OSError:
        return 1.0


PRIOR_WEIGHT = 0.5  # seconds of cost the prior speed counts for, against what the run has measured


def remaining_seconds(done_cost: float, elapsed: float, left_cost: float, prior: float = 1.0) -> float:
    """Seconds the metrics still to run need: ``left_cost`` (estimated seconds) at the observed speed, the
    ``elapsed`` seconds the finished ones (``done_cost`` estimated) took, blended with the ``prior`` slowdown
    while little has been measured."""
    speed = (elapsed + prior * PRIOR_WEIGHT) / (done_cost + PRIOR_WEIGHT)
    return left_cost * speed


def eta_now(reported_eta: float, since: float, floor: float = 1.0) -> float:
    """The ETA ``since`` seconds after a report of ``reported_eta``: counted down, never under ``floor``."""
    return max(floor, reported_eta - since)
