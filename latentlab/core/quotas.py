"""Per-person limits on a server with sign-in: running jobs, stored bytes, upload size.

The server sets them once at start (``Limits.install``), as JSON in ``LATENTLAB_LIMITS``, so the job runner
and its workers, which inherit the server's environment, apply the same ones. Without that variable (the
command line, a server without sign-in) no limit applies. A write that would take a person past their
stored-bytes limit is refused before its file is moved into place (``workspace.atomic_path``), so nothing is
half-written; derived results (``cache/``) and logs (``runs/``) count towards the usage but are never refused,
since a page needs them to draw. The upload limit is Streamlit's own ``server.maxUploadSize`` (set by
``latentlab.ui.auth.serve_shared``), which refuses a larger file before any of it is written.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from latentlab.core.errors import LatentLabError

ENV = "LATENTLAB_LIMITS"
PEOPLE = "people"  # $LATENTLAB_HOME/people/KEY: one person's workspace (``latentlab.core.workspace``)
MB = 1024**2
NEVER_REFUSED = ("cache", "runs")  # derived results and logs: counted, never refused


@dataclass(frozen=True)
class Limits:
    """Per person; None is no limit."""

    max_running_jobs: int | None = 2
    max_stored_mb: float | None = 2048
    max_upload_mb: float | None = 200

    @classmethod
    def from_mapping(cls, values: dict) -> "Limits":
        """The limits a server's ``[latentlab]`` secrets section sets (missing keys keep their defaults)."""
        fields = {k: values[k] for k in asdict(cls()) if k in values}
        for key, value in fields.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                raise LatentLabError(f"The server's limit {key} must be a number of at least 0 (got {value!r}).")
        return cls(**fields)

    def install(self) -> None:
        """Make these the limits of this process and of the jobs it starts."""
        os.environ[ENV] = json.dumps(asdict(self))


def current(root: Path) -> Limits | None:
    """The limits in force for workspace ``root``: None outside a person's folder on a server."""
    raw = os.environ.get(ENV)
    if not raw or root.parent.name != PEOPLE:
        return None
    try:
        return Limits(**json.loads(raw))
    except (TypeError, ValueError):
        return Limits()


def usage_bytes(root: Path) -> int:
    """Bytes a person's folder holds; files linked from the shared library (more than one link) are not theirs."""
    total = 0
    for dirpath, _, files in os.walk(root):
        for name in files:
            try:
                st = os.stat(os.path.join(dirpath, name), follow_symlinks=False)
            except OSError:
                continue
            if st.st_nlink == 1:
                total += st.st_size
    return total


def _size(n: float) -> str:
    return f"{n / 1024**3:.1f} GB" if n >= 1024**3 else f"{n / MB:.0f} MB"


def check_write(tmp: Path, target: Path, root: Path) -> None:
    """Refuse (removing nothing but ``tmp``, which ``atomic_path`` then deletes) a write into workspace ``root``
    that takes the person's stored bytes past their limit."""
    limits = current(root)
    if limits is None or limits.max_stored_mb is None:
        return
    try:
        top = Path(target).resolve().relative_to(root.resolve()).parts[0]
    except (ValueError, IndexError):
        return
    if top in NEVER_REFUSED:
        return
    adding = tmp.stat().st_size - (target.stat().st_size if target.exists() else 0)
    used = usage_bytes(root) - tmp.stat().st_size  # the temporary already lies in the folder
    cap = limits.max_stored_mb * MB
    if adding > 0 and used + adding > cap:
        raise LatentLabError(
            f"Saving {target.name} would bring your stored files to {_size(used + adding)}, past this server's "
            f"limit of {_size(cap)} per person; delete datasets or checkpoints you no longer need on the Data page.",
            param="max_stored_mb")


def check_job_slot(active: int, root: Path) -> None:
    """Refuse a new job in workspace ``root`` when the person already has ``active`` queued or running jobs, the
    most allowed."""
    limits = current(root)
    if limits is None or limits.max_running_jobs is None or active < limits.max_running_jobs:
        return
    raise LatentLabError(
        f"You have {active} jobs queued or running, the most this server allows per person; wait for one to "
        "finish or cancel one, then start this again.")

