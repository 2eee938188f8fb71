"""The workspace folder (``LATENTLAB_HOME``) and atomic file writes.

Layout::

    $LATENTLAB_HOME/            default ~/.latentlab
        datasets/NAME.npz       imported data  + NAME.json manifest
        checkpoints/NAME.*      trained models (.safetensors + .json)
        cache/KIND/KEY.npz      derived results keyed by their inputs
        jobs.sqlite             the background job table
        runs/JOB/               job logs

A server with sign-in (``latentlab.core.people``) adds, beside that single-person layout::

        people/KEY/             one person's workspace, the same layout (KEY: a hash of issuer and subject)
        library/datasets/, library/checkpoints/   what an administrator published, read-only for all

``home()`` is then the signed-in person's folder: the dashboard registers a resolver (``set_resolver``) that
reads the running page's identity, and ``using(root)`` sets it for a block (the item route, the admin's
listings). A job's worker gets its owner's folder as its ``LATENTLAB_HOME``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from contextvars import ContextVar
from pathlib import Path
from typing import Callable, Iterator

from latentlab.core.quotas import PEOPLE

TMP_PREFIX = ".tmp-"
LIBRARY = "library"

_chosen: ContextVar[Path | None] = ContextVar("latentlab_workspace", default=None)
_resolver: Callable[[], Path | None] | None = None


def base() -> Path:
    """The folder ``LATENTLAB_HOME`` names (default ``~/.latentlab``), created on first use: the whole workspace
    of a single person, the root of everyone's on a server with sign-in."""
    root = Path(os.environ.get("LATENTLAB_HOME") or Path.home() / ".latentlab").expanduser()
    root.mkdir(parents=True, exist_ok=True)
    return root


def home() -> Path:
    """The workspace root, created on first use: the folder ``using`` chose for this block, else the one the
    registered resolver names (the signed-in person's), else ``base()``."""
    root = _chosen.get()
    if root is None and _resolver is not None:
        root = _resolver()
    if root is None:
        return base()
    root.mkdir(parents=True, exist_ok=True)
    return root


def has_resolver() -> bool:
    """Whether a resolver is registered (``set_resolver``)."""
    return _resolver is not None


def set_resolver(resolver: Callable[[], Path | None] | None) -> None:
    """Register the function that names the workspace of whoever the running code serves (None: ``base()``);
    the dashboard registers one when sign-in is configured. It may raise ``LatentLabError`` to refuse."""
    global _resolver
    _resolver = resolver


@contextlib.contextmanager
def using(root: str | os.PathLike) -> Iterator[Path]:
    """Make ``root`` the workspace of this thread (and the tasks it starts) for the block."""
    token = _chosen.set(Path(root))
    try:
        yield Path(root)
    finally:
        _chosen.reset(token)


def person_key(issuer: str, subject: str) -> str:
    """The folder name of a person: a hash of their identity provider and their subject there, the two claims
    that never change hands (an e-mail address can)."""
    return hashlib.sha256(f"{issuer}\0{subject}".encode()).hexdigest()[:24]


def person_root(key: str) -> Path:
    return base() / PEOPLE / key


def library_root() -> Path:
    return base() / LIBRARY


def in_person_workspace(root: Path | None = None) -> bool:
    """Whether ``root`` (default ``home()``) is one person's folder on a server with sign-in."""
    return (root or home()).parent.name == PEOPLE


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
        if os.environ.get("LATENTLAB_LIMITS"):  # a server with sign-in: a person's writes count to their limit
            from latentlab.core.quotas import check_write

            check_write(tmp_path, target, home())
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
