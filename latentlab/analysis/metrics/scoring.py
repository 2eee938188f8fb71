"""Score an embedding: disentanglement metrics on a dataset's ground-truth
factors and latent diagnostics, cached on disk like every derived result.

``latentlab.lab`` scores checkpoints with these (``lab.score``, ``lab.diagnose``);
this module does not know checkpoints."""

from __future__ import annotations

import time

import numpy as np

from latentlab.analysis.metrics import METRICS, Diagnostics, MetricResult, diagnose, factor_free_names, parse_names
from latentlab.analysis.metrics.cost import costs_of, load_factor, remaining_seconds
from latentlab.core.array_cache import cache_file, cached_arrays, is_cached
from latentlab.core.errors import LatentLabError
from latentlab.core.progress import ProgressFn, report
from latentlab.core.rows import row_sample
from latentlab.core.workspace import digest

DEFAULT_ITEMS = 10_000


def _pack(result: MetricResult) -> dict[str, np.ndarray]:
    out = {f"score:{k}": np.asarray(v, dtype=np.float64) for k, v in result.scores.items()}
    out.update({f"matrix:{k}": np.asarray(v) for k, v in result.matrices.items()})
    if result.notes:
        out["notes"] = np.asarray(result.notes)  # a unicode array: stored without pickle
    return out


def _unpack(arrays: dict[str, np.ndarray]) -> MetricResult:
    scores = {k[6:]: float(v) for k, v in arrays.items() if k.startswith("score:")}
    matrices = {k[7:]: v for k, v in arrays.items() if k.startswith("matrix:")}
    return MetricResult(scores, matrices, notes=str(arrays["notes"]) if "notes" in arrays else "")


METRICS_VERSION = 4  # raised when an estimator changes, so no earlier result is served from the cache


def metric_key(emb_key: str, name: str, n: int, seed: int) -> str:
    return digest("metric", METRICS_VERSION, emb_key, name, n, seed)


_now = time.monotonic  # the clock a run's progress is timed with (a fake one in tests)
STAGE = "scoring"  # a run's progress: "scoring NAME" while NAME runs, in seconds elapsed of seconds expected


def score_embedding(emb, ds, names=None, n: int = DEFAULT_ITEMS, seed: int = 0,
                    progress: ProgressFn | None = None) -> dict[str, MetricResult]:
    """Metrics of an embedding (whole, or one covering the scored sample), each cached: the disentanglement metrics
    against the dataset's factors, the factor-free ones (spread, intrinsic dimension) on the codes alone. With no
    ``names``, a dataset without factors gets the factor-free ones.

    ``progress`` hears ``("scoring NAME", seconds elapsed, seconds expected in all, "s")`` as each metric starts
    and ends; the expected total comes from per-metric cost estimates (``metrics.cost``) at the speed measured so
    far."""
    chosen = parse_names(factor_free_names() if names is None and ds.factors is None else names)
    needing = [name for name in chosen if name not in factor_free_names(chosen)]
    if ds.factors is None and needing:
        raise LatentLabError(f"Dataset '{ds.name}' has no ground-truth factors, so {', '.join(needing)} cannot be "
                             f"computed; these metrics can: {', '.join(factor_free_names())}.")
    out = read_scores(emb.key, chosen, n, seed, partial=True)
    missing = [name for name in chosen if name not in out]
    if not missing:
        return {name: out[name] for name in chosen}
    progress = report(progress)
    idx = row_sample(len(ds), n, seed)
    codes = emb.mean[emb.positions(idx)]
    factors = None if ds.factors is None else ds.factors.to_numpy()[idx]
    costs = costs_of(missing, codes, factors)
    prior, start, done_cost = load_factor(), _now(), 0.0
    for i, name in enumerate(missing):
        elapsed = _now() - start
        left = remaining_seconds(done_cost, elapsed, sum(costs[m] for m in missing[i:]), prior)
        expected = max(round(elapsed + left), round(elapsed) + 1)
        progress(f"{STAGE} {name}", round(elapsed), expected, "s")
        arrays = cached_arrays("metrics", metric_key(emb.key, name, n, seed),
                               lambda name=name: _pack(METRICS[name](codes, factors, seed=seed)))
        out[name] = _unpack(arrays)
        done_cost += costs[name]
        finished = round(_now() - start)  # where a command line's bar for this metric ends; the last one fills it
        progress(f"{STAGE} {name}", finished, finished if i == len(missing) - 1 else max(expected, finished + 1), "s")
    return {name: out[name] for name in chosen}


def read_scores(emb_key: str, names, n: int = DEFAULT_ITEMS, seed: int = 0,
                partial: bool = False) -> dict[str, MetricResult] | None:
    """The cached results of ``names`` for the embedding keyed ``emb_key`` (no codes needed, nothing computed):
    all of them, or None when one is missing; with ``partial``, those there are."""
    out = {}
    for name in parse_names(names):
        path = cache_file("metrics", metric_key(emb_key, name, n, seed))
        try:
            with np.load(path, allow_pickle=False) as z:
                out[name] = _unpack({k: z[k] for k in z.files})
        except (OSError, ValueError, EOFError):  # not computed yet, or a damaged entry (recomputed when scored)
            if not partial:
                return None
    return out


def scores_cached(emb, names=None, n: int = DEFAULT_ITEMS, seed: int = 0) -> bool:
    """Whether every metric of ``names`` (default: all) is cached for this embedding."""
    return all(is_cached("metrics", metric_key(emb.key, name, n, seed)) for name in parse_names(names))


def diagnose_embedding(emb, seed: int = 0) -> Diagnostics:
    if not emb.has_model:
        raise LatentLabError("Latent diagnostics need a model's embedding; this dataset's vectors have no model behind them.")
    return diagnose(emb.mean, emb.logvar, emb.kl, emb.recon_error, seed=seed)
