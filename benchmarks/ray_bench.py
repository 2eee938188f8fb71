"""Jobs on a Ray cluster beside this machine's runner: the overhead of Ray for a sweep, and sharded encoding.

On one machine, a two-node Ray cluster (``ray.cluster_utils.Cluster`` on 127.0.0.1, one CPU per node):

1. a sweep of ``--runs`` short training runs (digits, VAE), wall time from submission to the last run's end, by
   the local runner (``LATENTLAB_MAX_WORKERS`` = 2, one worker per core) and on Ray (one CPU per run), repeated
   ``--repeats`` times alternately; the target is Ray at most 10% slower;
2. encoding ``--items`` shapes items (``shapes-Nk``) with the shipped ``shapes-beta-vae``: the local path
   (``lab.embed`` in a fresh process), the sharded path through Ray Data (``ray_embed.encode_on_ray``) and the
   same shards through a plain Ray actor pool (``ray.util.ActorPool``) to measure Ray Data's own overhead; items/s,
   peak RSS of each process (sampled from /proc), and whether the sharded result equals the local one bit for bit.

Every thread count is pinned to one per process (``OMP_NUM_THREADS=1``) except the local encoder's, which gets the
machine's cores as ``lab.embed`` would. No GPU here: the GPU-fraction case (four runs at 0.25 GPU) needs one.

    python3 benchmarks/ray_bench.py [--runs 8] [--steps 300] [--items 200000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = {"num_cpus": 1, "object_store_memory": 200 * 1024 ** 2}


class PeakRSS(threading.Thread):
    """Samples the peak resident memory (VmHWM) of every process whose command line matches, until stopped."""

    def __init__(self, *needles: str, every: float = 0.5):
        super().__init__(daemon=True)
        self.needles, self.every, self.peaks = needles, every, {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(self.every):
            for proc in Path("/proc").iterdir():
                if not proc.name.isdigit():
                    continue
                try:
                    cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                    if not any(n in cmd for n in self.needles):
                        continue
                    hwm = next(int(line.split()[1]) for line in (proc / "status").read_text().splitlines()
                               if line.startswith("VmHWM"))
                except (OSError, StopIteration):
                    continue
                title, peak = self.peaks.get(int(proc.name), ("", 0))
                busy = title if "IDLE" in cmd else cmd.split()[0]  # a worker's title: its last task, not its idling
                self.peaks[int(proc.name)] = (busy or cmd.split()[0], max(peak, hwm))

    def report(self) -> str:
        return ", ".join(f"{title} {kb / 1024:,.0f} MiB" for _, (title, kb) in sorted(self.peaks.items())) or "-"


def sweep(runs: int, steps: int, executor) -> float:
    from latentlab import jobs
    from latentlab.training.trainer import TrainConfig

    t0 = time.perf_counter()
    _, ids = jobs.submit_sweep("digits", "vae", {"seed": list(range(runs))}, {"latent_dim": 4},
                               TrainConfig(steps=steps, batch_size=64, checkpoint_every=100), executor=executor)
    ended = [jobs.wait(i, timeout=1800, poll=0.05) for i in ids]
    wall = time.perf_counter() - t0
    bad = [j for j in ended if j.state != "succeeded"]
    if bad:
        raise SystemExit(f"sweep failed: {[(j.id, j.state, j.error) for j in bad]}")
    return wall


def encode_locally(dataset: str, checkpoint: str) -> tuple[float, float, float]:
    """(wall s, encoding s, peak RSS MiB) of lab.embed in a fresh process."""
    code = f"""
import json, resource, time
t0 = time.perf_counter()
from latentlab import lab
ds = lab.as_dataset({dataset!r})
t1 = time.perf_counter()
lab.embed({checkpoint!r}, ds)
t2 = time.perf_counter()
print(json.dumps([t2 - t0, t2 - t1, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))
"""
    env = {**os.environ, "OMP_NUM_THREADS": str(os.cpu_count() or 1)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    return tuple(json.loads(out.stdout.strip().splitlines()[-1]))


def encode_with_actor_pool(checkpoint: str, dataset: str, shard_items: int) -> str:
    """The same shards and the same ``ShardEncoder``, through ``ray.util.ActorPool`` instead of Ray Data."""
    import numpy as np
    import ray
    from ray.util import ActorPool

    from latentlab import lab
    from latentlab.analysis.embedding import embedding_key
    from latentlab.core.array_cache import cached_arrays
    from latentlab.core.workspace import home
    from latentlab.jobs.ray_embed import ShardEncoder, assemble, plan_shards, shard_folder

    ck = lab.load_checkpoint(checkpoint)
    ds = lab.dataset_for(ck, dataset)
    key = embedding_key(ck.fingerprint, ds)
    folder = shard_folder(key)
    folder.mkdir(parents=True, exist_ok=True)
    shards = plan_shards(len(ds), shard_items)
    actor = ray.remote(ShardEncoder).options(num_cpus=1)
    pool = ActorPool([actor.remote(str(home()), checkpoint, dataset, ck.fingerprint, str(folder)) for _ in range(2)])
    batches = [{"start": np.array([a]), "stop": np.array([b])} for a, b in shards]
    list(pool.map_unordered(lambda a, batch: a.__call__.remote(batch), batches))
    cached_arrays("embed", key, lambda: assemble(folder, shards, len(ds)))
    shutil.rmtree(folder, ignore_errors=True)
    return key


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--items", type=int, default=200_000)
    ap.add_argument("--checkpoint", default="shapes-beta-vae")
    ap.add_argument("--skip-sweep", action="store_true")
    ap.add_argument("--skip-encoding", action="store_true")
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    os.environ.update(LATENTLAB_HOME=str(home), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", LATENTLAB_MAX_WORKERS="2",
                      LATENTLAB_RUNNER_IDLE_S="5", PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import ray
    from ray.cluster_utils import Cluster

    from latentlab.jobs.executor import resolve_executor

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start (shared with other work)")
    t0 = time.perf_counter()
    cluster = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False})
    cluster.add_node(**NODE)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False)
    print(f"two-node cluster up in {time.perf_counter() - t0:.1f} s")
    spec = resolve_executor("ray", cluster.address, cpus_per_run=1)
    try:
        if not args.skip_sweep:
            print(f"\nsweep of {args.runs} runs x {args.steps} steps (digits, vae)")
            local, on_ray = [], []
            for r in range(args.repeats):
                local.append(sweep(args.runs, args.steps, None))
                on_ray.append(sweep(args.runs, args.steps, spec))
                print(f"  repeat {r + 1}: local runner {local[-1]:6.1f} s   Ray {on_ray[-1]:6.1f} s")
            best_local, best_ray = min(local), min(on_ray)
            print(f"  best: local {best_local:.1f} s, Ray {best_ray:.1f} s, Ray / local = {best_ray / best_local:.2f} "
                  f"(target <= 1.10); median ratio {np.median(np.array(on_ray) / np.array(local)):.2f}")
        if not args.skip_encoding:
            from latentlab import lab
            from latentlab.analysis.embedding import embedding_key
            from latentlab.core.array_cache import cache_file
            from latentlab.jobs.ray_embed import SHARD_ITEMS, encode_on_ray

            dataset = f"shapes-{args.items // 1000}k" if args.items % 1000 == 0 else f"shapes-{args.items}"
            ck = lab.load_checkpoint(args.checkpoint)
            key = embedding_key(ck.fingerprint, lab.as_dataset(dataset))
            path = cache_file("embed", key)
            print(f"\nencoding {args.items:,} shapes items with {args.checkpoint} (shards of {SHARD_ITEMS:,})")
            wall, enc, rss = encode_locally(dataset, args.checkpoint)
            print(f"  local path    {wall:6.1f} s ({enc:.1f} s encoding after {wall - enc:.1f} s making the data): "
                  f"{args.items / wall:,.0f} items/s overall, {args.items / enc:,.0f} while encoding; peak RSS {rss:,.0f} MiB")
            with np.load(path) as z:
                local = {k: z[k] for k in z.files}
            path.unlink()
            for label, run in (("Ray Data", lambda: encode_on_ray(args.checkpoint, dataset)),
                               ("actor pool", lambda: encode_with_actor_pool(args.checkpoint, dataset, SHARD_ITEMS))):
                sampler = PeakRSS("ShardEncoder")
                sampler.start()
                t = time.perf_counter()
                run()
                wall = time.perf_counter() - t
                sampler.stop.set()
                sampler.join()
                with np.load(path) as z:
                    same = all(np.array_equal(z[k], local[k]) for k in local)
                path.unlink()
                print(f"  {label:12s}  {wall:6.1f} s: {args.items / wall:,.0f} items/s; identical to local: {same}; "
                      f"peak RSS of the encoding workers: {sampler.report()}; of this process (the Ray driver) "
                      f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
        print("\nGPU fractions (four runs at --gpus-per-run 0.25 on one GPU): not measured, this machine has no GPU.")
    finally:
        ray.shutdown()
        cluster.shutdown()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
