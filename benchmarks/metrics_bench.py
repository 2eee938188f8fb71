"""Time for the full metric set on 10,000 shapes samples; DCI's trees beside the reference's.

``python benchmarks/metrics_bench.py`` times every metric with its defaults.
``--reference`` also fits the reference's classifier for DCI (scikit-learn's
``GradientBoostingClassifier()``, as google-research/disentanglement_lib does)
on the same split and prints both sets of scores and times (about four minutes).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def reference_dci(codes: np.ndarray, factors: np.ndarray, seed: int = 0) -> dict[str, float]:
    """DCI with scikit-learn's boosted trees on LatentLab's split and scoring."""
    from sklearn.ensemble import GradientBoostingClassifier

    from latentlab.analysis.metrics.base import check_inputs, split
    from latentlab.analysis.metrics.dci import _dci_scores, _per_factor

    codes, factors = check_inputs(codes, factors)
    train, test = split(len(codes), 8000, 2000, seed)

    def fit(y):
        model = GradientBoostingClassifier().fit(codes[train], y[train])
        return model.feature_importances_, float(model.score(codes[test], y[test]))

    importance, accuracy = _per_factor(factors, train, codes.shape[1], fit)
    return _dci_scores(importance, accuracy)


def main(n: int = 10_000, reference: bool = False) -> None:
    import latentlab as ll
    from latentlab.analysis.embedding import encode_dataset
    from latentlab.analysis.metrics import METRICS

    ds = ll.load_dataset(f"shapes-{n}")
    ck = ll.load_checkpoint("shapes-beta-vae")
    t = time.perf_counter()
    codes = encode_dataset(ck.model, ds)["mean"]
    encode = time.perf_counter() - t
    factors = ds.factors.to_numpy()
    times, scores = {}, {}
    for name, fn in METRICS.items():
        t = time.perf_counter()
        result = fn(codes, factors, seed=0)
        times[name] = time.perf_counter() - t
        scores[name] = {k: round(v, 3) for k, v in result.scores.items() if "[" not in k}
    total = sum(times.values())
    print(f"Metrics of shapes-beta-vae on {n:,} shapes samples (encoding took {encode:.1f} s)")
    for name in METRICS:
        print(f"  {name:<11} {times[name]:7.2f} s  {times[name] / total:5.1%}   {scores[name]}")
    print(f"  {'all':<11} {total:7.2f} s")
    if reference:
        t = time.perf_counter()
        ref = reference_dci(codes, factors)
        ref_time = time.perf_counter() - t
        print("DCI, reference classifier (scikit-learn GradientBoostingClassifier(), 100 stages)")
        print(f"  reference   {ref_time:7.2f} s   {({k: round(v, 3) for k, v in ref.items()})}")
        print(f"  latentlab   {times['dci']:7.2f} s   {scores['dci']}   {ref_time / times['dci']:.1f}x faster")
        print("  largest difference: " + f"{max(abs(ref[k] - scores['dci'][k]) for k in ref):.4f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--reference", action="store_true", help="also fit the reference's DCI classifier")
    args = parser.parse_args()
    main(args.n, args.reference)
