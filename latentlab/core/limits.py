"""Limits on what users may bring, with defaults, each overridable by an
environment variable ``LATENTLAB_LIMIT_<NAME>`` (e.g. ``LATENTLAB_LIMIT_MAX_ROWS``).

They are enforced by the readers on the server side, whatever the browser sent.
"""

from __future__ import annotations

import os

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
    "max_latent_dim": 1024,
    "max_hidden_units": 16_384,
    "max_text_chars": 10_000,  # characters kept of one document (a longer one is cut, and counted)
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
