"""The shared library of a server with sign-in: datasets and checkpoints an administrator published.

``$LATENTLAB_HOME/library/{datasets,checkpoints}`` holds them, read-only (mode 0444). Each person sees them
in their own folders as hard links (``link_into``, at each sign-in), so every listing and loader reads them
where it reads that person's own files, without a copy; a person's own file of the same name wins, and
deleting or re-saving one replaces only that person's link, never the library's file. Linked files do not
count towards the person's stored bytes (``quotas.usage_bytes`` counts only files with one link). The demo
checkpoints that come with the project stay where they are, visible to everyone as today.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path

from latentlab.core.errors import LatentLabError
from latentlab.core.workspace import TMP_PREFIX, atomic_path, library_root

KINDS = ("datasets", "checkpoints")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# A dataset's or checkpoint's files: its manifest first, so a reader never sees a manifest without its arrays.
SUFFIXES = {"datasets": (".npz", ".texts.parquet", ".encoder.npz", ".json"),
            "checkpoints": (".safetensors", ".json")}


def _files(folder: Path, kind: str, name: str) -> list[Path]:
    return [folder / f"{name}{s}" for s in SUFFIXES[kind] if (folder / f"{name}{s}").is_file()]


def publish(person_root: Path, kind: str, name: str) -> list[Path]:
    """Copy a person's dataset or checkpoint ``name`` into the library (replacing an older one of that name);
    returns the library's files. One sentence when there is no such item."""
    if kind not in KINDS:
        raise LatentLabError(f"Publish 'datasets' or 'checkpoints', not '{kind}'.")
    if not NAME_RE.match(name) or ".." in name:
        raise LatentLabError(f"'{name}' is not a dataset or checkpoint name (letters, digits, '.', '_', '-').")
    found = _files(person_root / kind, kind, name)
    if not any(p.suffix == ".json" for p in found) or len(found) < 2:
        raise LatentLabError(f"This person has no {kind[:-1]} named '{name}'; run 'latentlab admin users' and "
                             "check the name on their Data page.")
    target = library_root() / kind
    copied = []
    for src in found:
        with atomic_path(target / src.name) as tmp:
            shutil.copyfile(src, tmp)
        os.chmod(target / src.name, 0o444)
        copied.append(target / src.name)
    return copied


def published() -> dict[str, list[str]]:
    """The library's dataset and checkpoint names."""
    out = {}
    for kind in KINDS:
        folder = library_root() / kind
        out[kind] = sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
    return out


def link_into(person_root: Path) -> int:
    """Show the library in a person's folders: link each published file the person has no file of that name
    for (a copy where the file system cannot link). Returns how many were added."""
    added = 0
    for kind in KINDS:
        source = library_root() / kind
        if not source.is_dir():
            continue
        dest = person_root / kind
        dest.mkdir(parents=True, exist_ok=True)
        for manifest in source.glob("*.json"):
            files = _files(source, kind, manifest.stem)
            if any((dest / f.name).exists() for f in files):
                continue  # the person's own item of that name wins, whole
            for f in files:  # the manifest last, as published
                tmp = dest / f"{TMP_PREFIX}{f.name}"
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
                try:
                    os.link(f, tmp)
                except OSError:
                    shutil.copyfile(f, tmp)
                os.replace(tmp, dest / f.name)
                added += 1
    return added
