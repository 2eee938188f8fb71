"""Small pieces the command-line modules share: output, file checks, value parsing."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from latentlab.core.errors import LatentLabError
from latentlab.core.params import parse_value


def ints(text: str) -> list[int]:
    try:
        return [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got '{text}'") from None


def emit(args, obj, text: str | None = None) -> None:
    if getattr(args, "json", False):
        print(json.dumps(obj, indent=2, default=str))
    elif text is not None:
        print(text)


def table(rows: list[dict], columns: list[str]) -> str:
    if not rows:
        return "(none)"
    cells = [[("" if r.get(c) is None else (f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c]))) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def check_out(path: str, suffixes: tuple[str, ...]) -> Path:
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise LatentLabError(f"--out {path}: expected a file ending in {' or '.join(suffixes)}.")
    if not out.parent.exists():
        raise LatentLabError(f"--out {path}: the folder {out.parent} does not exist; create it first.")
    return out


def kv(pairs: list[str] | None) -> dict:
    """``--param name=value`` pairs; numbers are parsed, other values stay strings."""
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise LatentLabError(f"--param {pair}: expected NAME=VALUE.")
        k, v = pair.split("=", 1)
        out[k.strip().replace("-", "_")] = parse_value(v)
    return out


def write_csv(df, out, **kwargs) -> None:
    """``df.to_csv(out, **kwargs)`` through a temporary file, so that a failed write leaves no partial file."""
    from latentlab.core.workspace import atomic_path

    with atomic_path(out) as tmp:
        df.to_csv(tmp, **kwargs)
