"""Bring your own model: what it costs to encode with a model brought from outside instead of one of ours.

The same shipped model, ``shapes-beta-vae`` (a conv beta-VAE of LatentLab's), encodes the shapes set three ways,
each in a fresh process that only loads its checkpoint and runs ``latentlab.embed`` (the embedding the map, the
clusters and the scores read: codes, log-variances, KL per dimension, and each item's reconstruction error, so
every item is encoded and decoded):

- **native**: the shipped checkpoint itself;
- **--class**: its weights file added with ``latentlab.add_checkpoint(class_path="foreign_bench:ConfigBetaVAE")``,
  a class built from the manifest's config as keyword arguments, the way a user's own class is (LatentLab wraps it
  in ``ForeignModel``, which checks every batch's codes: width, finite values);
- **ONNX**: ``latentlab.export_onnx`` of the checkpoint, added back with ``onnx_encoder``/``onnx_decoder`` and run
  by onnxruntime (CPU).

Each row: the items encoded, seconds for ``embed`` alone (the process's start, imports and checkpoint load are
not counted), items/s, the process's peak resident memory (``ru_maxrss``), the largest difference of its codes
from the native ones, and the machine's 1-minute load average as the embedding starts and ends (a shared
machine's other work shows there). The three share one fresh workspace whose full shapes cache is linked from
``--shapes-cache`` when it holds one (else it is built once, untimed); nothing else is cached between them.
``--n`` encodes the first N items (``embed_sample``), by default all 737,280. Printed as a Markdown table.

    flock /tmp/team/bench.lock python3 benchmarks/foreign_bench.py --n 100000
    flock /tmp/team/bench.lock python3 benchmarks/foreign_bench.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from latentlab.models.vae import BetaVAE  # noqa: E402

SHIPPED = "shapes-beta-vae"
N_SHAPES = 737_280
VARIANTS = {"native": SHIPPED, "--class": "as-class", "ONNX": "as-onnx"}


class ConfigBetaVAE(BetaVAE):
    """The shipped beta-VAE built from keyword arguments (its manifest's model_config), as a user's class is."""

    def __init__(self, **config):
        from latentlab.models.validation import check_config

        super().__init__(check_config(BetaVAE.config_cls, config, "ConfigBetaVAE"))


def child(checkpoint: str, n: int, out: Path) -> None:
    """In a fresh process: load ``checkpoint``, embed the first ``n`` shapes items; print seconds and peak RSS."""
    import resource

    import latentlab as ll

    ck = ll.load_checkpoint(checkpoint)
    ll.load_dataset("shapes")  # the memory map opened before the clock starts
    load = os.getloadavg()[0]  # other work on the machine, which this run shares it with
    t0 = time.perf_counter()
    emb = ll.embed(ck, "shapes") if n >= N_SHAPES else ll.embed_sample(ck, "shapes", rows=np.arange(n))
    seconds = time.perf_counter() - t0
    assert emb.mean.shape == (n, ck.latent_dim) and np.isfinite(emb.recon_error).all()
    np.save(out, emb.mean)
    print(json.dumps({"seconds": seconds, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "load": f"{load:.1f}-{os.getloadavg()[0]:.1f}"}))


def prepare(home: Path, shapes_cache: Path | None) -> None:
    """The workspace: the shapes cache linked in, the shipped model added as a class and as its ONNX export."""
    os.environ["LATENTLAB_HOME"] = str(home)
    if shapes_cache is not None and any(shapes_cache.glob("shapes-v*.npy")):
        (home / "cache").mkdir(parents=True)
        (home / "cache" / "shapes").symlink_to(shapes_cache.resolve(), target_is_directory=True)
    import latentlab as ll

    shipped = ll.load_checkpoint(SHIPPED)
    ll.add_checkpoint("as-class", "shapes", class_path="foreign_bench:ConfigBetaVAE",
                      weights=shipped.path.with_suffix(".safetensors"), config=shipped.manifest["model_config"])
    ll.export_onnx(SHIPPED, home / "onnx")
    ll.add_checkpoint("as-onnx", "shapes", onnx_encoder=home / "onnx" / "encoder.onnx",
                      onnx_decoder=home / "onnx" / "decoder.onnx")


def measure(name: str, checkpoint: str, n: int, home: Path) -> dict:
    env = {**os.environ, "LATENTLAB_HOME": str(home),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), str(ROOT / "benchmarks"), os.environ.get("PYTHONPATH")]))}
    out = home / f"codes-{checkpoint}.npy"
    proc = subprocess.run([sys.executable, __file__, "--child", checkpoint, "--n", str(n), "--out", str(out)],
                          check=False, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed: {proc.stderr[-2000:]}")
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"name": name, "codes": np.load(out), **row}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=N_SHAPES, help="items to encode (the first N of shapes; default all)")
    p.add_argument("--shapes-cache", type=Path, default=Path.home() / ".latentlab" / "cache" / "shapes",
                   help="a folder holding the full shapes cache to link instead of building it")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    n = min(max(1, args.n), N_SHAPES)
    if args.child:
        child(args.child, n, args.out)
        return
    with tempfile.TemporaryDirectory(prefix="foreign-bench-") as tmp:
        home = Path(tmp) / "home"
        t0 = time.perf_counter()
        prepare(home, args.shapes_cache)
        print(f"prepared the workspace in {time.perf_counter() - t0:.0f} s (adds, ONNX export; untimed)", file=sys.stderr)
        rows = [measure(name, ck, n, home) for name, ck in VARIANTS.items()]
    import torch

    native = rows[0]["codes"]
    print(f"\n{n:,} shapes items, {SHIPPED}; CPU, torch {torch.__version__}, {torch.get_num_threads()} threads\n")
    print("| model | items | seconds | items/s | vs native | peak RSS (MiB) | max abs code difference | load average |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        diff = float(np.abs(r["codes"] - native).max())
        print(f"| {r['name']} | {n:,} | {r['seconds']:.1f} | {n / r['seconds']:,.0f} | "
              f"{rows[0]['seconds'] / r['seconds']:.2f}x | {r['peak_mib']:,.0f} | {diff:.1e} | {r['load']} |")


if __name__ == "__main__":
    main()
