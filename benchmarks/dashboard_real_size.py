"""The dashboard on the full shapes set, as a user meets it: choose `shapes` and the shapes beta-VAE on
the Map page of a fresh server and wait for the map. Prints the server's resident memory (idle on the
digits demo, then its peak while the jobs run and the map is drawn), each job's time and peak memory
(from /proc while it runs), and how long another page takes to open while a job runs. Needs Chromium.

    python benchmarks/dashboard_real_size.py [--home DIR]

The workspace is fresh except for the shapes memory map, which is linked from --shapes-cache (build it
once with `python -c "import latentlab as ll; ll.load_dataset('shapes')"`). The last screen is saved as
test-artifacts/shapes-map.png.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.server import browser_page, dashboard, wait_for_map, wait_idle  # noqa: E402


def rss_gb(pid: int, field: str = "VmRSS") -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        return None
    return None


def server_pid(port_url: str) -> int:
    port = port_url.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if "streamlit run" in cmd and f"--server.port {port}" in cmd:
                return int(proc.name)
    raise RuntimeError("server process not found")


class Watch(threading.Thread):
    """Samples the server's RSS and every running job's peak RSS once a second."""

    def __init__(self, pid: int, home: Path):
        super().__init__(daemon=True)
        self.pid, self.home = pid, home
        self.server_peak = 0.0
        self.jobs: dict[int, dict] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        os.environ["LATENTLAB_HOME"] = str(self.home)
        from latentlab import jobs

        while not self.stop.wait(1.0):
            self.server_peak = max(self.server_peak, rss_gb(self.pid) or 0.0)
            for job in jobs.list_jobs():
                row = self.jobs.setdefault(job.id, {"kind": job.kind, "peak": 0.0, "job": job})
                row["job"] = job
                if job.state == "running" and job.pid:
                    row["peak"] = max(row["peak"], rss_gb(job.pid, "VmHWM") or 0.0)


def choose(page, label: str, option: str) -> None:
    page.locator(f"section[data-testid='stSidebar'] div[data-testid='stSelectbox']:has-text('{label}')").first.click()
    page.get_by_role("option", name=option, exact=True).first.click()
    wait_idle(page)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="workspace (default: a fresh temporary one)")
    parser.add_argument("--shapes-cache", default=str(Path(os.environ.get("LATENTLAB_HOME", Path.home() / ".latentlab")) / "cache" / "shapes"))
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    home = Path(args.home or Path(tmp.name) / "home")
    (home / "cache").mkdir(parents=True, exist_ok=True)
    if Path(args.shapes_cache).is_dir() and not (home / "cache" / "shapes").exists():
        (home / "cache" / "shapes").symlink_to(Path(args.shapes_cache).resolve())
    with dashboard(home) as url, browser_page() as page:
        page.goto(url)
        wait_for_map(page)
        pid = server_pid(url)
        idle = rss_gb(pid)
        print(f"server idle on the digits map: {idle:.2f} GB resident")
        watch = Watch(pid, home)
        watch.start()
        t0 = time.perf_counter()
        choose(page, "Checkpoint", "shapes-beta-vae · beta-vae · shapes-20k")  # brings the dataset it was trained on
        choose(page, "Dataset", "shapes")  # the full set: the checkpoint fits it, so it stays
        page.get_by_role("button", name="Encode 737,280 items").click()
        page.wait_for_selector("text=background job", timeout=300_000)
        # Another page while the encoding job runs: the server answers at once.
        t1 = time.perf_counter()
        page.get_by_role("link", name="Data").first.click()
        page.wait_for_selector("h1:has-text('Data')", timeout=60_000)
        wait_idle(page)
        print(f"Data page opened in {time.perf_counter() - t1:.2f} s while the encoding job ran")
        page.get_by_role("link", name="Map").first.click()
        wait_for_map(page, timeout_ms=3_600_000)
        total = time.perf_counter() - t0
        wait_idle(page)
        time.sleep(2)
        watch.stop.set()
        watch.join()
        after = rss_gb(pid)
        print(f"map of 737,280 points drawn {total:.0f} s after choosing shapes")
        print(f"server: idle {idle:.2f} GB, peak {watch.server_peak:.2f} GB (+{watch.server_peak - idle:.2f} GB), "
              f"after {after:.2f} GB")
        for job_id, row in sorted(watch.jobs.items()):
            job = row["job"]
            secs = (job.finished or time.time()) - (job.started or job.created)
            print(f"job {job_id} ({row['kind']}): {job.state} in {secs:.0f} s, peak {row['peak']:.2f} GB resident")
        shot = Path(__file__).resolve().parents[1] / "test-artifacts" / "shapes-map.png"
        shot.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(shot))
        print(f"screenshot: {shot}")


if __name__ == "__main__":
    main()
