"""The workspace folder (``LATENTLAB_HOME``) and atomic file writes.

Layout::

    $LATENTLAB_HOME/            default ~/.latentlab
        datasets/NAME.npz       imported data  + NAME.json manifest
        checkpoints/NAME.*      trained models (.safetensors + .json)
        cache/KIND/KEY.npz      derived results keyed by their inputs
        jobs.sqlite             the background job table
        runs/JOB/               job logs
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Iterator

TMP_PREFIX = ".tmp-"


def home() -> Path:
    """The workspace root, created on first use."""
    root = Path(os.environ.get("LATENTLAB_HOME") or Path.home() / ".latentlab").expanduser()
    root.mkdir(parents=True, exist_ok=True)
    return root


def subdir(name: str) -> Path:
    path = home() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def dashboard_root() -> Path:
    """The folder with the dashboard (app.py, dashboard.py, pages/) and the demo checkpoints: the copy an
    installed package carries (``latentlab/_dashboard``, made by setup.py), else the source checkout."""
    package = Path(__file__).resolve().parent.parent  # latentlab/
    packaged = package / "_dashboard"
    return packaged if (packaged / "app.py").is_file() else package.parent


def shipped_checkpoints_dir() -> Path:
    """The demo checkpoints that come with the project (``checkpoints/``)."""
    env = os.environ.get("LATENTLAB_SHIPPED_CHECKPOINTS")
    if env:
        return Path(env)
    return dashboard_root() / "checkpoints"


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it into place on success.

    A crash at any point leaves either the old file or the new one, never a
    half-written file; the temporary is removed on error.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, 0o644)  # mkstemp makes 0600; results are meant to be shared
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def write_json_atomic(target: str | os.PathLike, obj) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str))


def remove_stale_temporaries(folder: str | os.PathLike) -> int:
    """Delete temporaries left by writers that were killed mid-write."""
    removed = 0
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    for path in folder.glob(TMP_PREFIX + "*"):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += 1
    return removed


def digest(*parts) -> str:
    """A short stable hash of JSON-able parts, used as a cache key."""
    h = hashlib.sha256()
    for part in parts:
        h.update(json.dumps(part, sort_keys=True, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()[:20]


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
