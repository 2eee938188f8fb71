"""Limits on what users may bring, with defaults, each overridable by an
environment variable ``LATENTLAB_LIMIT_<NAME>`` (e.g. ``LATENTLAB_LIMIT_MAX_ROWS``).

They are enforced by the readers on the server side, whatever the browser sent.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULTS = {
    "max_file_bytes": 1024**3,  # 1 GiB per uploaded or imported file
    "max_rows": 2_000_000,  # rows of a table / items of an array
    "max_columns": 10_000,
    "max_items": 2_000_000,
    "max_zip_members": 50_000,
    "max_zip_total_bytes": 2 * 1024**3,  # uncompressed, counted while reading
    "max_zip_member_bytes": 64 * 1024**2,
    "max_zip_ratio": 100,  # uncompressed / compressed, per member
    "max_image_pixels": 4096 * 4096,
    "max_checkpoint_bytes": 512 * 1024**2,
    "max_onnx_bytes": 1024**3,  # an ONNX model file with its external-data files
    "max_latent_dim": 1024,
    "max_hidden_units": 16_384,
    "max_text_chars": 10_000,  # characters kept of one document (a longer one is cut, and counted)
    "max_signal_channels": 1_024,  # channels of one signal
    "max_signal_values": 256 * 1024**2,  # items x channels x samples of a signal dataset (1 GiB of float32)
}


def limit(name: str) -> int:
    env = os.environ.get(f"LATENTLAB_LIMIT_{name.upper()}")
    if env:
        try:
            return int(float(env))
        except ValueError:
            pass
    return DEFAULTS[name]


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def checked_file(path, suffixes, accepted: str) -> tuple[Path, str]:
    """``path`` as a Path and its lower-case suffix, once it is an existing, non-empty file of one of
    ``suffixes`` within the ``max_file_bytes`` limit; else one LatentLabError sentence (``accepted`` names
    the file types to use instead)."""
    from latentlab.core.errors import LatentLabError

    path = Path(path)
    if not path.is_file():
        raise LatentLabError(f"{path}: no such file; check the path.")
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        raise LatentLabError(f"{path.name}: unsupported file type '{suffix or '(none)'}'{accepted}.")
    size = path.stat().st_size
    if size == 0:
        raise LatentLabError(f"{path.name}: the file is empty; choose a file with data in it.")
    if size > limit("max_file_bytes"):
        raise LatentLabError(f"{path.name}: {human_bytes(size)} is over the upload limit of "
                             f"{human_bytes(limit('max_file_bytes'))}.")
    return path, suffix
