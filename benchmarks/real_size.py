"""The engine at real size on this machine: wall time and peak resident memory of each command
on the full shapes set (737,280 images), each in a fresh process, as a user would run them.

    python benchmarks/real_size.py                 # everything (about 15-20 minutes on 2 CPU cores)
    python benchmarks/real_size.py --skip embed    # leave steps out (embed, project, cluster, metrics, untrained)

The reference column holds the figures measured on the same kind of machine before this version
(from the issue that asked for bounded memory); steps run in a fresh workspace with empty caches,
except that project and cluster read the embedding the embed step cached, as they would in use
(metrics run first, so they show the cost of encoding only the scored items).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_GB = 6.0
REFERENCE = {  # seconds, GB; None where the earlier version did not finish or was not measured
    "embed": (570.0, 16.7),  # encoding inside the dashboard server
    "project": (None, None),  # UMAP unfinished after 49 minutes
    "metrics": (383.0, 13.7),
    "untrained": (None, 21.0),
}


def run(step: str, argv: list[str], env: dict) -> tuple[float, float, str]:
    """(seconds, peak RSS in GB, last line of output) of one command in a fresh process."""
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "latentlab", *argv]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{step} failed:\n{proc.stderr[-3000:]}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.strip()]
    return seconds, rss_kb / 1024**2, (lines[0] if lines else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", action="append", default=[], choices=["embed", "project", "cluster", "metrics", "untrained"])
    parser.add_argument("--home", help="workspace to use (default: a fresh temporary one)")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    home = Path(args.home or tmp.name)
    env = {**os.environ, "LATENTLAB_HOME": str(home)}
    out = home / "out"
    out.mkdir(parents=True, exist_ok=True)
    steps = {
        "metrics": ["metrics", "shapes-beta-vae", "--dataset", "shapes", "--metrics", "mig"],
        "untrained": ["metrics", "untrained", "--dataset", "shapes", "--metrics", "mig"],
        "embed": ["embed", "shapes-beta-vae", "--dataset", "shapes", "--out", str(out / "emb.npz")],
        "project": ["project", "shapes-beta-vae", "--dataset", "shapes", "--method", "umap", "--out", str(out / "map.csv")],
        "cluster": ["cluster", "shapes-beta-vae", "--dataset", "shapes", "--method", "kmeans", "--k", "3", "--out",
                    str(out / "clusters.csv")],
    }
    print(f"Full shapes set (737,280 x 1 x 64 x 64) with the shipped shapes beta-VAE; workspace {home}")
    subprocess.run([sys.executable, "-c", "import latentlab.data as d; d.load_dataset('shapes')"], env=env, check=True)
    if "untrained" not in args.skip:
        subprocess.run([sys.executable, "-m", "latentlab", "train", "--dataset", "shapes-1k", "--model", "beta-vae",
                        "--steps", "1", "--name", "untrained", "--json"], env=env, check=True, capture_output=True)
    print(f"{'step':<10} {'seconds':>9} {'peak GB':>8}   {'reference s':>11} {'ref GB':>7}   within {LIMIT_GB:g} GB   output")
    for step, argv in steps.items():
        if step in args.skip:
            continue
        seconds, gb, line = run(step, argv, env)
        ref_s, ref_gb = REFERENCE.get(step, (None, None))
        fmt = lambda v, spec: format("-" if v is None else v, spec if v is not None else ">" + spec.split(".")[0])  # noqa: E731
        print(f"{step:<10} {seconds:9.1f} {gb:8.2f}   {fmt(ref_s, '11.0f')} {fmt(ref_gb, '7.1f')}   "
              f"{'yes' if gb <= LIMIT_GB else 'NO':<15} {line[:90]}", flush=True)


if __name__ == "__main__":
    main()
