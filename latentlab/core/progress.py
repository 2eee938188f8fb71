"""Progress of long work, reported to whoever watches it.

Engine functions that can run for long take ``progress``: a callable
``progress(stage, done, total, unit)``, called as the work advances, e.g.
``progress("encoding", 51_200, 737_280, "items")`` or
``progress("UMAP layout", 40, 200, "epochs")``. A new ``stage`` starts a new
count. Callers pass nothing (``no_progress``), a command-line bar
(``TqdmProgress``) or the job table's reporter (``latentlab.jobs.worker``).
Calls may come often: sinks that do real work wrap themselves in ``Throttled``.
"""

from __future__ import annotations

import time
from typing import Callable

ProgressFn = Callable[[str, int, int, str], None]


def no_progress(stage: str, done: int, total: int, unit: str = "items") -> None:
    """The default sink: report nothing."""


def report(progress: ProgressFn | None) -> ProgressFn:
    """``progress`` itself, or ``no_progress`` for None."""
    return progress or no_progress


class Throttled:
    """Pass calls on at most every ``interval`` seconds, but always a stage's first and last."""

    def __init__(self, sink: ProgressFn, interval: float = 0.5):
        self.sink, self.interval = sink, interval
        self._stage: str | None = None
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int, unit: str = "items") -> None:
        now = time.monotonic()
        if stage != self._stage or done >= total or now - self._last >= self.interval:
            self._stage, self._last = stage, now
            self.sink(stage, done, total, unit)


class TqdmProgress:
    """One tqdm bar per stage on stderr, with rate and ETA; ``close()`` ends the last bar."""

    def __init__(self, disable: bool = False):
        self.disable = disable
        self._bar = None
        self._stage: str | None = None

    def __call__(self, stage: str, done: int, total: int, unit: str = "items") -> None:
        from tqdm.auto import tqdm

        if stage != self._stage:
            self.close()
            self._stage = stage
            self._bar = tqdm(total=total, desc=stage, unit=unit.rstrip("s") or unit, unit_scale=total >= 10_000,
                             disable=self.disable, dynamic_ncols=True, leave=True)
        bar = self._bar
        if bar.total != total:
            bar.total = total
        bar.update(max(0, done - bar.n))
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar, self._stage = None, None

    def __enter__(self) -> "TqdmProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
