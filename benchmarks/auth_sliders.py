"""What sign-in costs a loaded server: 8 browser sessions moving Traverse sliders at once, each signed in as
a different person (each in their own workspace), against the same load on the same dashboard without sign-in.
The figure is the ratio of the two p95s of a slider move (key press to its new decoded picture).

    python3 benchmarks/auth_sliders.py                  # 8 sessions, 10 moves each, both servers
    python3 benchmarks/auth_sliders.py --sessions 4 --moves 6

Goal: the signed-in p95 within 1.2x of the one without sign-in. Exit status 0 whatever the figures: it is a
measurement, not a test. The reference run (no sign-in) is the same code path as benchmarks/dashboard_guard.py's
sliders, measured here side by side so both see the same machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from dashboard_guard import slider_session  # noqa: E402
from tests.e2e.auth_server import PEOPLE, project, sign_in, signed_in_dashboard  # noqa: E402
from tests.e2e.server import (browser_page, dashboard, free_port,  # noqa: E402
                              wait_for_decoded)

GOAL_RATIO = 1.2


def load(url: str, people: list[str | None], moves: int) -> tuple[list[float], list[str]]:
    """Slider moves, in seconds, of one session per entry of ``people`` (None: no sign-in), all at once."""
    times: list[float] = []
    errors: list[str] = []
    start = threading.Barrier(len(people))
    threads = [threading.Thread(target=slider_session, args=(url, moves, start, times, errors),
                                kwargs={"prepare": None if p is None else (lambda page, p=p: sign_in(page, url, p))}) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, errors


def without_sign_in(sessions: int, moves: int) -> tuple[list[float], list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        with dashboard(home) as url:
            with browser_page() as page:  # one visit first, as a server's first visitor would
                page.goto(url + "/traverse")
                wait_for_decoded(page, 300_000)
            return load(url, [None] * sessions, moves)


def with_sign_in(sessions: int, moves: int) -> tuple[list[float], list[str]]:
    import oidc_provider_mock as oidc_mock

    people = list(PEOPLE)[:sessions]
    users = [oidc_mock.User(sub=sub, claims={"name": PEOPLE[sub]}) for sub in people]
    with tempfile.TemporaryDirectory() as tmp, oidc_mock.run_server_in_thread(port=0, user_claims=users) as provider:
        port = free_port()
        folder = project(Path(tmp) / "project", port, provider.server_port)
        with signed_in_dashboard(folder, Path(tmp) / "home", port) as url:
            with browser_page() as page:
                sign_in(page, url, people[0])
                page.goto(url + "/traverse")
                wait_for_decoded(page, 300_000)
            return load(url, people, moves)


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=8, choices=range(1, len(PEOPLE) + 1))
    parser.add_argument("--moves", type=int, default=10)
    args = parser.parse_args()
    print(f"Sign-in under load on {os.cpu_count()} CPUs: {args.sessions} sessions x {args.moves} slider moves", flush=True)
    results = {}
    for label, run in (("without sign-in (reference)", without_sign_in), ("signed in, a workspace each", with_sign_in)):
        times, errors = run(args.sessions, args.moves)
        for e in errors:
            print("  a session failed:", e)
        if times:
            results[label] = p95(times)
            print(f"  {label:<32} p95 {p95(times):6.3f} s  median {statistics.median(times):6.3f} s  "
                  f"over {len(times)} moves", flush=True)
    if len(results) == 2:
        ratio = results["signed in, a workspace each"] / results["without sign-in (reference)"]
        verdict = "meets" if ratio <= GOAL_RATIO else "MISSES"
        print(f"  p95 ratio signed-in / reference: {ratio:.2f}x  goal <= {GOAL_RATIO}x  {verdict}")


if __name__ == "__main__":
    main()
