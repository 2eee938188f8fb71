"""The one exception type for problems a user can fix.

Its message is a single sentence: what was wrong, where, and what to do.
The CLI prints it as one line; the dashboard shows it with ``st.error``.
Anything else that escapes is a bug and keeps its traceback.
"""


class LatentLabError(Exception):
    """A user-facing error with a one-sentence message."""


class TrainingDiverged(LatentLabError):
    """The loss became NaN or infinite during training."""

    def __init__(self, step: int, terms: dict | None = None):
        self.step = step
        self.terms = terms or {}
        super().__init__(
            f"Training diverged at step {step} (the loss became NaN or infinite); "
            "lower the learning rate or the beta and train again."
        )


class JobCancelled(Exception):
    """Raised inside a worker when its job was cancelled."""
