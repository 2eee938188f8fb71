"""Writing a figure or a shared map: the output path checked first, the file written whole or not at all."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

from latentlab.core.errors import LatentLabError
from latentlab.figures.style import DEFAULT_DPI, FORMATS


def check_out(path, allowed: tuple[str, ...] = FORMATS) -> tuple[Path, str]:
    """The output path and its format (its extension), or one sentence on what is wrong with it."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in allowed:
        raise LatentLabError(f"The output '{path}' must end in {', '.join('.' + a for a in allowed)}, not "
                             f"'{path.suffix or 'no extension'}'.", param="out", value=str(path))
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise LatentLabError(f"The folder '{folder}' of the output does not exist; create it first.", param="out",
                             value=str(path))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise LatentLabError(f"The folder '{folder}' of the output is not writable.", param="out", value=str(path))
    return path, fmt


def write_bytes(path: Path, data: bytes) -> None:
    """``data`` into ``path`` through a temporary file beside it and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=".latentlab-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def figure_bytes(fig, fmt: str, dpi: int = DEFAULT_DPI) -> bytes:
    """A Figure as PDF, SVG or PNG bytes; ``dpi`` sets the PNG's resolution and the points' raster in PDF/SVG.
    PDF and SVG carry no creation date, so the same figure gives the same bytes."""
    from latentlab.figures.style import styled

    buf = io.BytesIO()
    metadata = {"pdf": {"CreationDate": None, "Creator": "LatentLab"}, "svg": {"Date": None, "Creator": "LatentLab"}}
    with styled(getattr(fig, "_latentlab_style", "paper")):
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata.get(fmt))
    return buf.getvalue()


def save_figure(fig, out, dpi: int = DEFAULT_DPI) -> Path:
    """Write ``fig`` to ``out`` (.pdf, .svg or .png, by its extension); returns the path."""
    path, fmt = check_out(out)
    write_bytes(path, figure_bytes(fig, fmt, dpi))
    return path
