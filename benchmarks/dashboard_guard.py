"""The four waits a dashboard user notices, measured in Chromium against a real `streamlit run` server and
printed beside their goals. Run it (on an otherwise idle machine) whenever pages, ``latentlab/ui/`` or the
engine's hot paths change:

    python3 benchmarks/dashboard_guard.py                 # all four
    python3 benchmarks/dashboard_guard.py --only first,million,sliders,metrics

1. first:   `streamlit run` (process start) to the first map drawn, empty workspace        goal <= 2 s
2. million: a 1,000,000-point dataset chosen in the sidebar to its map drawn, and the bytes
            the browser received over the websocket from the choice, per point           goal <= 3 s, <= 9 B/pt
3. metrics: the Metrics page on shapes-20k: encode + compute + show (benchmarks/metrics_page.py)  goal <= 60 s
4. sliders: 8 browser sessions moving Traverse sliders at once, p95 of a move to its new picture  goal <= 0.5 s

Exit status 0 whatever the figures: it is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e import map_driver  # noqa: E402
from tests.e2e.server import (CHROMIUM, CHROMIUM_FLAGS, browser_page, choose, dashboard,  # noqa: E402
                              timed_slider_move, wait_for_decoded, wait_for_final_map, wait_idle)

GOALS = {"first": 2.0, "million": 3.0, "million_bytes": 9.0, "metrics": 60.0, "sliders": 0.5}
N_MILLION = 1_000_000


def report(name: str, value: float, goal: float, unit: str, extra: str = "") -> None:
    verdict = "meets" if value <= goal else "MISSES"
    print(f"  {name:<44} {value:8.2f} {unit:<4} goal <= {goal:g} {unit:<4} {verdict}{'  ' + extra if extra else ''}",
          flush=True)


def first_map(runs: int = 3) -> list[float]:
    """Seconds from `streamlit run` to the first map drawn in an open browser, each run on an empty workspace."""
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp, browser_page(1600, 1000) as page:
            home = Path(tmp) / "home"
            home.mkdir()
            t0 = time.perf_counter()
            with dashboard(home) as url:
                page.goto(url)
                map_driver.wait_drawn(page)
                times.append(time.perf_counter() - t0)
    return times


BARE_APP = 'import streamlit as st\nst.title("Bare")\n'


def bare_app(runs: int = 3) -> list[float]:
    """The reference: seconds from `streamlit run` of a one-title app to its title drawn, the floor any Streamlit
    page stands on (server start and the frontend's own load)."""
    from tests.e2e.server import free_port

    times = []
    with tempfile.TemporaryDirectory() as tmp, browser_page(1600, 1000) as page:
        script = Path(tmp) / "bare.py"
        script.write_text(BARE_APP)
        for _ in range(runs):
            port = free_port()
            t0 = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                                     "--server.address", "127.0.0.1", "--server.headless", "true",
                                     "--browser.gatherUsageStats", "false"], cwd=tmp,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                while True:
                    try:
                        page.goto(f"http://127.0.0.1:{port}")
                        break
                    except Exception:  # noqa: BLE001 - not answering yet
                        time.sleep(0.05)
                page.get_by_role("heading", name="Bare").wait_for(timeout=60_000)
                times.append(time.perf_counter() - t0)
            finally:
                proc.terminate()
                proc.wait(10)
    return times


def million_dataset(home: Path) -> None:
    """1,000,000 8-D vectors in 10 labelled clusters, imported as a dataset of embeddings named 'million'."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, N_MILLION)
    x = (rng.normal(scale=5, size=(10, 8))[labels] + rng.normal(size=(N_MILLION, 8))).astype(np.float32)
    np.savez(home.parent / "million.npz", x=x, labels=labels)
    env = {**os.environ, "LATENTLAB_HOME": str(home)}
    code = ("from latentlab.data import import_dataset; import sys; "
            "import_dataset(sys.argv[1], 'million', labels='labels', kind='embedding')")
    subprocess.run([sys.executable, "-c", code, str(home.parent / "million.npz")], env=env, check=True, cwd=ROOT)


def million(runs: int = 2) -> list[tuple[float, float]]:
    """(seconds, bytes per point) from choosing the million-point dataset in the sidebar to its map drawn."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        million_dataset(home)
        for _ in range(runs):
            with dashboard(home) as url, browser_page(1600, 1000) as page:
                received = map_driver.WebsocketBytes(page)
                page.goto(url)
                map_driver.wait_drawn(page)
                wait_idle(page)
                choose(page, "Projection", "pca", sidebar=False)  # UMAP of a million points runs as a job
                map_driver.wait_drawn(page)
                wait_idle(page)
                page.wait_for_timeout(1000)
                mark = received.mark()
                t0 = time.perf_counter()
                choose(page, "Dataset", "million", sidebar=True)
                map_driver.wait_drawn(page, points=N_MILLION, timeout_ms=300_000)
                seconds = time.perf_counter() - t0
                wait_idle(page)
                page.wait_for_timeout(2000)  # anything sent after the draw counts too
                out.append((seconds, received.since(mark) / N_MILLION))
    return out


def slider_session(url: str, moves: int, start: threading.Barrier, times: list, errors: list,
                   prepare=None) -> None:
    """One browser on the Traverse page moving its first slider ``moves`` times once every session is ready
    (``start``), each move's seconds appended to ``times``; ``prepare(page)`` runs first when given (a sign-in)."""
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            if prepare is not None:
                prepare(page)
            page.goto(url + "/traverse")
            wait_for_decoded(page, 300_000)
            wait_idle(page, 300_000)
            start.wait(timeout=900)
            for i in range(moves):
                times.append(timed_slider_move(page, right=i % 2 == 0, timeout_ms=120_000))
                page.wait_for_timeout(150)  # a person's pace between moves
            browser.close()
    except Exception as exc:  # noqa: BLE001 - reported with the figures
        errors.append(repr(exc)[:300])
        try:
            start.abort()
        except threading.BrokenBarrierError:
            pass


def sliders(sessions: int = 8, moves: int = 10) -> tuple[list[float], list[str]]:
    """Slider move to new picture, in seconds, for ``sessions`` browsers moving sliders at the same time."""
    times: list[float] = []
    errors: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        with dashboard(home) as url:
            with browser_page() as page:  # warm the server once, as the first visitor would (its UMAP made)
                page.goto(url)
                wait_for_final_map(page)
                wait_idle(page)
            port = url.rsplit(":", 1)[1]
            server = subprocess.check_output(["pgrep", "-f", f"server.port {port}"]).split()[0].decode()
            watch = CpuWatch(server)
            start = threading.Barrier(sessions, action=watch.mark)  # the moves start: CPU counted from here
            threads = [threading.Thread(target=slider_session, args=(url, moves, start, times, errors))
                       for _ in range(sessions)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            server_s, browsers_s = watch.stop()
    if times:
        print(f"  CPU per slider move: server {server_s / len(times) * 1000:.0f} ms, the browsers "
              f"{browsers_s / len(times) * 1000:.0f} ms (here they share the machine's {os.cpu_count()} cores)")
    return times, errors


class CpuWatch:
    """CPU seconds of the server and of every Chromium process from ``mark()`` to ``stop()``, read from /proc
    every 0.2 s (a browser that exits counts up to its last reading)."""

    def __init__(self, server_pid: str):
        self.server = server_pid
        self.last: dict[str, float] = {}
        self.start: dict[str, float] | None = None
        self.running = True
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    @staticmethod
    def _cpu(pid: str) -> float | None:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    def _poll(self) -> None:
        while self.running:
            found = subprocess.run(["pgrep", "-f", "chromium"], capture_output=True, text=True).stdout.split()
            for pid in [self.server, *found]:
                value = self._cpu(pid)
                if value is not None:
                    self.last[pid] = value
            time.sleep(0.2)

    def mark(self) -> None:
        self.start = dict(self.last)

    def stop(self) -> tuple[float, float]:
        self.running = False
        self.thread.join()
        start = self.start or {}
        used = {pid: value - start.get(pid, 0.0) for pid, value in self.last.items()}
        return used.pop(self.server, 0.0), sum(used.values())


def metrics() -> float | None:
    """encode + compute + show of the Metrics page on shapes-20k, as benchmarks/metrics_page.py measures it."""
    script = ROOT / "benchmarks" / "metrics_page.py"
    if not script.exists():
        return None
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT)
    print(done.stdout.rstrip())
    for line in done.stdout.splitlines():
        words = line.split()
        if words[:1] == ["total"] and len(words) > 1:
            return float(words[1])
    print(done.stderr[-2000:])
    return None


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="first,million,sliders,metrics")
    parser.add_argument("--sessions", type=int, default=8)
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(f"Dashboard guard on {os.cpu_count()} CPUs; Chromium {CHROMIUM}")
    if "first" in only:
        times = first_map()
        bare = bare_app()
        report("first map after `streamlit run` (median)", statistics.median(times), GOALS["first"], "s",
               "runs: " + ", ".join(f"{t:.2f}" for t in times))
        print(f"  {'  reference: a bare one-title Streamlit app':<44} {statistics.median(bare):8.2f} s    "
              "runs: " + ", ".join(f"{t:.2f}" for t in bare), flush=True)
    if "million" in only:
        runs = million()
        report("1,000,000 points chosen -> drawn (median)", statistics.median(t for t, _ in runs), GOALS["million"], "s",
               "runs: " + ", ".join(f"{t:.2f}" for t, _ in runs))
        report("  bytes per point from the choice (max)", max(b for _, b in runs), GOALS["million_bytes"], "B",
               "runs: " + ", ".join(f"{b:.2f}" for _, b in runs))
    if "sliders" in only:
        times, errors = sliders(args.sessions)
        if times:
            report(f"{args.sessions} sessions moving sliders: p95", p95(times), GOALS["sliders"], "s",
                   f"median {statistics.median(times):.2f} s over {len(times)} moves")
        for e in errors:
            print("  a session failed:", e)
    if "metrics" in only:
        total = metrics()
        if total is None:
            print("  metrics on shapes-20k: not measured (benchmarks/metrics_page.py printed no total)")
        else:
            report("metrics on shapes-20k: encode+compute+show", total, GOALS["metrics"], "s")


if __name__ == "__main__":
    main()
