"""The one exception type for problems a user can fix.

Its message is a single sentence: what was wrong, where, and what to do. The engine speaks in parameters,
not in flags: a message names a setting by its parameter name between backticks (`` `ray_address` ``) and
says which with ``param=``; ``str(exc)`` is then the plain sentence a Python caller reads. Each face words the
names its own way with ``worded``: the CLI as ``--ray-address``, the dashboard as the control's label.
Anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

import re
from typing import Callable

_NAME = re.compile(r"`([a-z][a-z0-9_]*)`")
_UNSET = object()


class LatentLabError(Exception):
    """A user-facing error with a one-sentence message.

    ``param`` is the parameter to fix (``"ray_address"``), ``value`` the bad value when there is one; the
    message may name other parameters too, each between backticks (``also`` lists them).
    """

    def __init__(self, message: str = "", *, param: str | None = None, value=_UNSET, also: tuple[str, ...] = ()):
        self.template = message
        self.param = param
        self.value = None if value is _UNSET else value
        self.has_value = value is not _UNSET
        self.params = tuple(p for p in (param, *also) if p)
        super().__init__(message)

    def worded(self, name: Callable[[str], str | None] | None = None) -> str:
        """The message with each named parameter worded by ``name`` (a flag, a label); a parameter ``name``
        does not know (it returns None), or every one without ``name``, stays as the plain name in backticks."""
        if name is None or not self.params:
            return self.template

        def one(match: re.Match) -> str:
            key = match.group(1)
            shown = name(key) if key in self.params else None
            return shown if shown else match.group(0)

        return _NAME.sub(one, self.template)


def parameters_in_words(text: str) -> str:
    """A message kept as text (a failed job's) with each parameter it names between backticks written in words
    (`` `ray_address` `` as "ray address"), for a face that has no flag or control to name."""
    return _NAME.sub(lambda m: m.group(1).replace("_", " "), text)


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
