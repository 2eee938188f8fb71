"""Time for the full metric set on 10,000 shapes samples."""

from __future__ import annotations

import time


def main(n: int = 10_000) -> None:
    import latentlab as ll
    from latentlab.embedding import encode_dataset
    from latentlab.metrics import METRICS

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


if __name__ == "__main__":
    main()
