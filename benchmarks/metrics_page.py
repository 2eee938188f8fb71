"""The Metrics page's wait on shapes-20k, as a new user meets it: encode, compute, show; and its ETA.

``python benchmarks/metrics_page.py`` makes, in a fresh workspace, the calls the page makes for the shapes-20k
dataset and a shipped checkpoint (default shapes-beta-vae) with its default metrics (every factor metric, 10,000
items, seed 0):

1. encode: the ``embed`` job the page starts for the 20,000 images (submit to success, worker start included);
2. compute: the ``metrics`` job behind "Compute metrics", polled every 0.25 s as the page's bar is, recording
   the ETA the bar shows (``latentlab.ui.jobs.metrics_status``'s arithmetic) and when each metric started;
3. show: what the page's rerun reads afterwards: the embedding, spread and diagnostics, the scores, the results
   table and the comparison of the dataset's three checkpoints (read from the cache, nothing encoded).

It prints each figure beside the goal (encode + compute + show <= 60 s on the idle 2-core machine; an ETA that
never rises more than 2x above its first estimate) and the load average, since other work on the machine
slows every figure.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

GOAL_S = 60.0
GOAL_ETA_RISE = 2.0


def _wait(job_id: int, on_poll=None):
    from latentlab import jobs

    while True:
        job = jobs.get(job_id)
        if on_poll is not None:
            on_poll(job)
        if job.state in jobs.FINISHED:
            return job
        time.sleep(0.25)


def run(checkpoint: str, dataset: str, n: int, seed: int) -> dict:
    from latentlab import jobs, lab
    from latentlab.analysis.metrics.scoring import STAGE, factor_free_names, read_scores
    from latentlab.analysis.embedding import embedding_key
    from latentlab.analysis.metrics import METRICS
    from latentlab.analysis.metrics.cost import eta_now

    names = [m for m in METRICS if not METRICS.entry(m).factor_free]
    out = {"load_before": os.getloadavg()[0]}

    t = time.perf_counter()
    job = _wait(jobs.submit("embed", {"checkpoint": checkpoint, "dataset": dataset}))
    assert job.state == "succeeded", job.error
    out["encode"] = time.perf_counter() - t

    t = time.perf_counter()
    ds, ck = lab.load_dataset(dataset), lab.load_checkpoint(checkpoint)
    emb = lab.embed(ck, ds)
    lab.score_embedding(emb, ds, factor_free_names(), n=min(n, len(ds)), seed=0)  # the spread section
    lab.diagnose_embedding(emb)
    out["page_before"] = time.perf_counter() - t

    etas, stages = [], {}
    first_report = []

    def on_poll(job):
        now = time.time()
        if job.stage and not first_report:
            first_report.append(now - job.created)
        if job.stage and job.stage.startswith(f"{STAGE} "):
            stages.setdefault(job.stage[len(STAGE) + 1:], job.stage_started)
            etas.append(eta_now(job.total - job.step, now - job.stage_started))

    t = time.perf_counter()
    request = {"checkpoint": checkpoint, "dataset": dataset, "names": names, "n": n, "seed": seed}
    job = _wait(jobs.submit("metrics", request, name=f"metrics {checkpoint}"), on_poll)
    assert job.state == "succeeded", job.error
    out["compute"] = time.perf_counter() - t
    out["to_first_report"] = first_report[0] if first_report else float("nan")
    starts = sorted(stages.items(), key=lambda kv: kv[1]) + [("end", job.finished)]
    out["per_metric"] = {name: starts[i + 1][1] - at for i, (name, at) in enumerate(starts[:-1])}

    t = time.perf_counter()
    emb = lab.embed(ck, ds)
    results = lab.score_embedding(emb, ds, names, n, seed)
    from latentlab.ui.metrics_view import score_table

    score_table(results)
    from latentlab.checkpoints.format import list_checkpoints

    for row in [r for r in list_checkpoints() if r["dataset"] == dataset]:
        read_scores(embedding_key(lab.load_checkpoint(row["name"]).fingerprint, ds), names + factor_free_names(), n, seed)
    out["show"] = time.perf_counter() - t
    out["etas"] = etas
    out["scoring"] = job.finished - min(stages.values()) if stages else float("nan")
    out["scores"] = {f"{name}.{k}": round(v, 3) for name, r in results.items() for k, v in r.scores.items()
                     if "[" not in k}
    out["load_after"] = os.getloadavg()[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="shapes-beta-vae")
    parser.add_argument("--dataset", default="shapes-20k")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["LATENTLAB_HOME"] = home
        os.environ.setdefault("LATENTLAB_RUNNER_IDLE_S", "5")
        r = run(args.checkpoint, args.dataset, args.n, args.seed)
    total = r["encode"] + r["page_before"] + r["compute"] + r["show"]
    etas = r["etas"]
    rise = max(etas) / etas[0] if etas else float("nan")
    print(f"Metrics page on {args.dataset} with {args.checkpoint}: every factor metric on {args.n:,} items "
          f"(load average {r['load_before']:.1f} before, {r['load_after']:.1f} after, {os.cpu_count()} CPUs)")
    print(f"  encode (embed job, submit to success)     {r['encode']:6.1f} s")
    print(f"  page before the scores (spread, diagnose) {r['page_before']:6.1f} s")
    print(f"  compute (metrics job, submit to success)  {r['compute']:6.1f} s   first progress after "
          f"{r['to_first_report']:.1f} s (worker start, imports, reading the codes)")
    for name, seconds in r["per_metric"].items():
        print(f"      {name:<11} {seconds:6.1f} s")
    print("      (a metric that ends between two polls, 0.25 s apart, is counted in the one before it)")
    print(f"  show (scores, results table, comparison)  {r['show']:6.1f} s")
    print(f"  total                                     {total:6.1f} s   goal <= {GOAL_S:.0f} s: "
          f"{'met' if total <= GOAL_S else 'missed'}")
    if etas:
        print(f"  ETA: first {etas[0]:.0f} s, highest {max(etas):.0f} s ({rise:.2f}x the first; goal <= "
              f"{GOAL_ETA_RISE:.0f}x: {'met' if rise <= GOAL_ETA_RISE else 'missed'}); the scoring took "
              f"{r['scoring']:.0f} s")
    print(f"  scores: {r['scores']}")


if __name__ == "__main__":
    main()
