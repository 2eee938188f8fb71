"""A ZIP of PNG/JPEG images -> an image dataset, safely.

Members are never extracted by their own paths: each is read by name into
memory. Members with absolute paths, ``..`` parts or symlink modes, and
non-image members, are skipped and reported. The member count, each member's
and the total uncompressed size (counted while reading, not taken from the
headers) and each member's compression ratio are capped. Images are opened
with a PNG/JPEG allow-list and a pixel cap, so a decompression bomb is an
error, not an allocation.

Labels: a ``labels.csv`` (file name, label) if present, else the name of the
folder an image is in. Mixed sizes: every image is resized to the most common
size (bilinear), and the description says how many were resized. Images are
stored as grey levels, or RGB when any image has colour.
"""

from __future__ import annotations

import io
import stat
import warnings
import zipfile
from collections import Counter
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from latentlab.data.dataset import Dataset
from latentlab.core.limits import human_bytes, limit
from latentlab.core.errors import LatentLabError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}
CHUNK = 1 << 20


def _unsafe(info: zipfile.ZipInfo) -> str | None:
    name = info.filename.replace("\\", "/")
    p = PurePosixPath(name)
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    if ".." in p.parts:
        return "'..' in path"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "symbolic link"
    return None


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, src: str, budget: list[int]) -> bytes:
    """Read one member, counting real bytes against the per-member, total and ratio caps."""
    cap = min(limit("max_zip_member_bytes"), budget[0])
    ratio_cap = max(info.compress_size, 1024) * limit("max_zip_ratio")
    out = bytearray()
    with zf.open(info) as fh:
        while True:
            block = fh.read(CHUNK)
            if not block:
                break
            out += block
            if len(out) > cap:
                what = "the archive's total" if budget[0] < limit("max_zip_member_bytes") else "one member's"
                raise LatentLabError(f"{src}: member '{info.filename}' expands past {what} limit of {human_bytes(cap)}; "
                                     "this looks like a zip bomb and was refused.")
            if len(out) > ratio_cap:
                raise LatentLabError(f"{src}: member '{info.filename}' expands more than {limit('max_zip_ratio')}x; "
                                     "this looks like a zip bomb and was refused.")
    budget[0] -= len(out)
    return bytes(out)


def _open_image(data: bytes, member: str, src: str) -> np.ndarray:
    from PIL import Image

    max_pixels = limit("max_image_pixels")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as im:
                w, h = im.size
                if w * h > max_pixels:
                    raise LatentLabError(f"{src}: image '{member}' claims {w:,}x{h:,} pixels, over the limit of "
                                         f"{max_pixels:,}; it was refused.")
                mode = "RGB" if im.mode in ("RGB", "RGBA", "P", "CMYK", "YCbCr") and _has_colour(im) else "L"
                return np.asarray(im.convert(mode))
    except LatentLabError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise LatentLabError(f"{src}: image '{member}' is a decompression bomb; it was refused.") from None
    except Exception:
        raise LatentLabError(f"{src}: member '{member}' is not a readable PNG or JPEG image; remove or fix it.") from None


def _has_colour(im) -> bool:
    rgb = np.asarray(im.convert("RGB"), dtype=np.int16)
    return bool(np.abs(rgb[..., 0] - rgb[..., 1]).max() > 8 or np.abs(rgb[..., 1] - rgb[..., 2]).max() > 8)


def read_image_zip(path: Path, name: str) -> Dataset:
    src = path.name
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise LatentLabError(f"{src}: not a valid ZIP archive; upload a .zip of PNG or JPEG images.") from None
    budget = [limit("max_zip_total_bytes")]
    images, names, skipped = [], [], Counter()
    label_table = None
    with zf:
        try:
            members = [m for m in zf.infolist() if not m.is_dir()]
        except Exception:
            raise LatentLabError(f"{src}: the ZIP directory is damaged; re-create the archive.") from None
        if len(members) > limit("max_zip_members"):
            raise LatentLabError(f"{src}: {len(members):,} members is over the limit of {limit('max_zip_members'):,}.")
        for info in sorted(members, key=lambda m: m.filename):
            reason = _unsafe(info)
            p = PurePosixPath(info.filename.replace("\\", "/"))
            if reason:
                skipped[reason] += 1
                continue
            if p.name == "labels.csv" and label_table is None:
                label_table = _label_table(_read_member(zf, info, src, budget), src)
                continue
            if p.suffix.lower() not in IMAGE_SUFFIXES or p.name.startswith("."):
                skipped["not a PNG or JPEG"] += 1
                continue
            try:
                data = _read_member(zf, info, src, budget)
            except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
                raise LatentLabError(f"{src}: member '{info.filename}' is damaged or encrypted ({type(exc).__name__}).") from None
            images.append(_open_image(data, info.filename, src))
            names.append(p)
    if len(images) < 2:
        report = f" (skipped: {_report(skipped)})" if skipped else ""
        raise LatentLabError(f"{src}: found {len(images)} usable PNG/JPEG images{report}; a dataset needs at least two.")
    x, resized = _stack(images)
    labels = _labels(names, label_table)
    desc = f"Imported from {src}: {len(images):,} images of {x.shape[2]}x{x.shape[3]}"
    if resized:
        desc += f"; {resized} images of other sizes resized to the most common size"
    if skipped:
        desc += f"; skipped members: {_report(skipped)}"
    return Dataset(name=name, x=x, kind="image", labels=labels, description=desc + ".")


def _report(skipped: Counter) -> str:
    return ", ".join(f"{n} {why}" for why, n in skipped.items())


def _stack(images: list[np.ndarray]) -> tuple[np.ndarray, int]:
    from PIL import Image

    colour = any(im.ndim == 3 for im in images)
    if colour:
        images = [np.repeat(im[..., None], 3, -1) if im.ndim == 2 else im for im in images]
    target = Counter(im.shape[:2] for im in images).most_common(1)[0][0]
    resized = 0
    out = []
    for im in images:
        if im.shape[:2] != target:
            im = np.asarray(Image.fromarray(im).resize((target[1], target[0]), Image.BILINEAR))
            resized += 1
        out.append(im)
    x = np.stack(out)
    x = np.moveaxis(x, -1, 1) if colour else x[:, None]
    return np.ascontiguousarray(x.astype(np.uint8)), resized


def _label_table(data: bytes, src: str) -> dict[str, str]:
    try:
        table = pd.read_csv(io.BytesIO(data))
    except Exception:
        raise LatentLabError(f"{src}: labels.csv is not a readable CSV file; give it two columns, file name and label.") from None
    if table.shape[1] < 2:
        raise LatentLabError(f"{src}: labels.csv needs two columns, file name and label.")
    return {str(k): str(v) for k, v in zip(table.iloc[:, 0], table.iloc[:, 1])}


def _labels(names: list[PurePosixPath], table: dict[str, str] | None) -> np.ndarray | None:
    if table is not None:
        labels = [table.get(str(p), table.get(p.name)) for p in names]
    else:
        labels = [p.parent.name if len(p.parts) > 1 else None for p in names]
    if all(v is None for v in labels):
        return None
    return np.asarray(["(none)" if v is None else v for v in labels])
