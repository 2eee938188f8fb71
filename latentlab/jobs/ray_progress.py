"""A training run on a Ray worker reporting its progress to the driver's ``ProgressBoard`` actor
(``latentlab.jobs.ray_tasks``), as ``worker.JobReporter`` reports a local run's to the job table."""

from __future__ import annotations

import time

from latentlab.training.trainer import BaseCallback

REPORT_EVERY_S = 0.5


class BoardReporter(BaseCallback):
    """The training callback that posts progress to the board at most every ``REPORT_EVERY_S`` and at the end."""

    def __init__(self, board, job_id: int):
        self.board, self.job_id = board, job_id
        self.sent, self.last = 0, 0.0

    def _post(self, trainer) -> None:
        st = trainer.state
        rows = [{k: float(v) if k != "step" else int(v) for k, v in h.items()} for h in st.history[self.sent:]]
        self.board.post.remote(self.job_id, "progress", {"step": st.step, "total": st.total,
                                                          "terms": {k: float(v) for k, v in st.terms.items()},
                                                          "history": rows})
        self.sent, self.last = len(st.history), time.time()

    def on_start(self, trainer) -> None:
        self._post(trainer)

    def on_step(self, trainer) -> None:
        if time.time() - self.last >= REPORT_EVERY_S or trainer.state.step == trainer.state.total:
            self._post(trainer)
