"""Turn decoded items into pictures: image grids, strips and GIFs (Pillow)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

MIN_CELL = 64  # small images (8x8 digits) are enlarged to at least this many pixels


def to_uint8(item: np.ndarray) -> np.ndarray:
    """(C, H, W) in [0, 1] (or uint8/bool) -> (H, W) or (H, W, 3) uint8."""
    a = np.asarray(item)
    if a.dtype == np.uint8:
        img = a
    else:
        img = (np.clip(a.astype(np.float32), 0.0, 1.0) * 255).round().astype(np.uint8)
    if img.ndim == 3:
        img = img[0] if img.shape[0] == 1 else np.moveaxis(img[:3], 0, -1)
    return img


def cell_scale(height: int) -> int:
    return max(1, int(np.ceil(MIN_CELL / height)))


def image_grid(items: np.ndarray, pad: int = 2, scale: int | None = None, background: int = 40) -> Image.Image:
    """Tile (R, C, ch, H, W) items into one picture with ``pad`` pixels between cells."""
    items = np.asarray(items)
    if items.ndim == 4:  # a single row
        items = items[None]
    R, C = items.shape[:2]
    first = to_uint8(items[0, 0])
    h, w = first.shape[:2]
    s = scale or cell_scale(h)
    colour = first.ndim == 3
    H, W = R * (h * s + pad) + pad, C * (w * s + pad) + pad
    canvas = np.full((H, W, 3) if colour else (H, W), background, np.uint8)
    for r in range(R):
        for c in range(C):
            cell = to_uint8(items[r, c])
            cell = np.kron(cell, np.ones((s, s, 1) if colour else (s, s), np.uint8)) if s > 1 else cell
            y, x = pad + r * (h * s + pad), pad + c * (w * s + pad)
            canvas[y : y + h * s, x : x + w * s] = cell
    return Image.fromarray(canvas)


def single_image(item: np.ndarray, scale: int | None = None) -> Image.Image:
    return image_grid(np.asarray(item)[None, None], pad=0, scale=scale)


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def gif_bytes(frames: np.ndarray, duration_ms: int = 120, scale: int | None = None) -> bytes:
    """An animated GIF of (T, ch, H, W) items that plays forward then back."""
    pictures = [single_image(f, scale=scale) for f in frames]
    pictures = pictures + pictures[-2:0:-1]
    buf = io.BytesIO()
    pictures[0].save(buf, format="GIF", save_all=True, append_images=pictures[1:], duration=duration_ms, loop=0)
    return buf.getvalue()


SHADES = " ░▒▓█"


def text_thumbnail(item: np.ndarray, size: int = 16) -> str:
    """A small picture of an image in block characters, for plot hover labels.

    Plotly hover labels render text, not images; two characters per pixel keep
    the aspect ratio. Images larger than ``size`` are averaged down to it.
    """
    img = to_uint8(item).astype(np.float32) / 255.0
    if img.ndim == 3:
        img = img.mean(-1)
    h, w = img.shape
    f = max(1, int(np.ceil(max(h, w) / size)))
    if f > 1:
        img = img[: h - h % f, : w - w % f].reshape(h // f, f, w // f, f).mean((1, 3))
    levels = np.clip((img * (len(SHADES) - 1)).round().astype(int), 0, len(SHADES) - 1)
    return "<br>".join("".join(SHADES[v] * 2 for v in row) for row in levels)
