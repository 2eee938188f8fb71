"""Start-up of the ``latentlab`` command line: wall time of ``latentlab --help``, ``latentlab jobs list`` and
``latentlab datasets``, each the median of ``--runs`` fresh processes, beside the goal (0.3 s for ``--help`` and
``jobs list``) and beside ``python3 -c pass``, the floor any Python command stands on.

Run it on an otherwise idle machine (the load average is printed first)::

    python3 benchmarks/cli_startup.py [--runs 5]

The commands run in a fresh, empty workspace (``LATENTLAB_HOME`` in a temporary folder), through the installed
``latentlab`` script when there is one, else ``python3 -m latentlab``. ``--source DIR`` times another copy of the
package instead (``python3 -m latentlab`` with ``DIR`` first on ``PYTHONPATH``), e.g. an older commit's, unpacked by
``git archive COMMIT latentlab | tar -x -C DIR``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

GOAL_S = 0.3


def wall(cmd: list[str], env: dict, runs: int) -> float:
    """Median wall seconds of ``runs`` fresh processes of ``cmd`` (one unmeasured run first warms the disk cache)."""
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per command (the median is shown)")
    parser.add_argument("--source", metavar="DIR", help="time the latentlab package in DIR instead of the installed one")
    args = parser.parse_args()
    script = shutil.which("latentlab")
    base = [script] if script and not args.source else [sys.executable, "-m", "latentlab"]
    where = f" (PYTHONPATH={args.source})" if args.source else ""
    print(f"load average {os.getloadavg()[0]:.2f}; {args.runs} runs each, median wall time; {' '.join(base)}{where}")
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "LATENTLAB_HOME": home}
        if args.source:
            env["PYTHONPATH"] = os.pathsep.join([args.source, *filter(None, [os.environ.get("PYTHONPATH")])])
        floor = wall([sys.executable, "-c", "pass"], env, args.runs)
        print(f"{'command':<24} {'wall s':>7} {'goal s':>7} {'over floor s':>13}")
        print(f"{'python3 -c pass':<24} {floor:7.3f} {'':>7} {'':>13}")
        for argv, goal in ((["--help"], GOAL_S), (["jobs", "list"], GOAL_S), (["datasets"], None)):
            t = wall(base + argv, env, args.runs)
            verdict = "" if goal is None else ("  ok" if t <= goal else "  over the goal")
            goal_text = f"{goal:7.1f}" if goal is not None else f"{'-':>7}"
            print(f"{'latentlab ' + ' '.join(argv):<24} {t:7.3f} {goal_text} {t - floor:13.3f}{verdict}")


if __name__ == "__main__":
    main()
