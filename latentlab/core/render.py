"""Turn decoded items into pictures: image grids, strips and GIFs (Pillow).

The bare grid (``image_grid``) is what the pages show beside their own captions; the downloads and the command
line's ``--labels`` wrap it as a figure that reads on its own (``labelled_grid``: each row named, the values on
the columns) and make a traversal's GIF large enough to watch, each frame saying which latent is at which
value (``labelled_gif``). Text is drawn with Pillow's bundled font, so no plotting library is needed.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

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


PAPER, INK, FAINT = (255, 255, 255), (25, 25, 30), (140, 140, 150)  # a figure's background, text, passive rows
GIF_MIN_SIDE = 256  # a labelled GIF's frames are enlarged (nearest neighbour) to at least this many pixels


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _text_size(font, text: str) -> tuple[int, int]:
    left, top, right, bottom = font.getbbox(text)
    return int(right - left), int(bottom)


def latent_labels(dims: list[int], activity: np.ndarray | None = None, measure: str = "KL",
                  passive: set[int] | frozenset = frozenset()) -> list[list[str]]:
    """Each traversed latent's row label, as lines: its name, its ``measure`` (``"KL"``, the mean KL to the
    prior in nats, or ``"var"``, the variance of its codes) from ``activity`` (D,), and ``passive`` ones marked."""
    out = []
    for d in dims:
        lines = [f"z{d}"]
        if activity is not None:
            value = float(activity[d])
            lines.append(f"{measure} {value:.3f}" if abs(value) < 0.1 else f"{measure} {value:.2f}")
        if d in passive:
            lines.append("passive")
        out.append(lines)
    return out


def value_text(value: float) -> str:
    return f"{value:+.2f}" if abs(value) < 100 else f"{value:+.3g}"


def labelled_grid(grid: Image.Image, cell: tuple[int, int], pad: int, row_labels: list[list[str] | str],
                  values: np.ndarray, title: str | None = None, faint_rows: set[int] | frozenset = frozenset()
                  ) -> Image.Image:
    """A grid picture (R rows x C cells of ``cell`` (width, height) pixels, ``pad`` between them, as
    ``image_grid`` and ``curve_grid`` draw them) as a figure: ``title`` on top, each row's label (lines) on the
    left (``faint_rows`` in grey), and the values (R, C) on the columns: once above them when every row has
    the same values, else under each row's cells."""
    values = np.asarray(values, dtype=np.float64).reshape(len(row_labels), -1)
    R, C = values.shape
    w, h = cell
    shared = bool(np.allclose(values, values[:1], rtol=1e-6, atol=1e-9))
    small = _font(max(9, min(14, w // 5)))
    label_font, title_font = _font(14), _font(15)
    lines = [[r] if isinstance(r, str) else list(r) for r in row_labels]
    line_h = _text_size(label_font, "Ag")[1] + 3
    left = 12 + max(_text_size(label_font, t)[0] for r in lines for t in r) + 12
    value_h = _text_size(small, "+0.00")[1] + 6
    title_h = (_text_size(title_font, title)[1] + 12) if title else 0
    top = title_h + value_h if shared else title_h + 4
    row_h = h + pad + (0 if shared else value_h)
    width = max(left + grid.width + 10, (_text_size(title_font, title)[0] + 20) if title else 0)
    canvas = Image.new("RGB", (width, top + pad + R * row_h + 10), PAPER)
    draw = ImageDraw.Draw(canvas)
    if title:
        draw.text((10, 6), title, fill=INK, font=title_font)
    rgb = grid.convert("RGB")
    if shared:
        canvas.paste(rgb, (left, top))
    for r in range(R):
        y = top + pad + r * row_h  # this row's cells start here on the canvas
        if not shared:  # each row's strip of the grid, a line of its own values under it
            strip = rgb.crop((0, pad + r * (h + pad) - pad, grid.width, pad + r * (h + pad) + h + pad))
            canvas.paste(strip, (left, y - pad))
        block = len(lines[r]) * line_h
        for i, text in enumerate(lines[r]):
            draw.text((12, y + (h - block) // 2 + i * line_h), text, fill=FAINT if r in faint_rows else INK,
                      font=label_font)
        for c in range(C):
            if shared and r > 0:
                break
            text = value_text(values[r, c])
            tw, th = _text_size(small, text)
            x = left + pad + c * (w + pad) + (w - tw) // 2
            draw.text((x, (top - value_h + 2) if shared else (y + h + 3)), text, fill=INK, font=small)
    return canvas


def labelled_gif(frames: np.ndarray, captions: list[str], title: str | None = None, duration_ms: int = 120,
                 min_side: int = GIF_MIN_SIDE) -> bytes:
    """An animated GIF of (T, ch, H, W) items that plays forward then back, each frame enlarged (nearest
    neighbour) to at least ``min_side`` pixels, with ``title`` and its own caption (``captions``, T) written
    under it and a marker showing how far along the T frames it is."""
    first = to_uint8(frames[0])
    scale = max(1, int(np.ceil(min_side / max(first.shape[:2]))))
    pictures = [single_image(f, scale=scale).convert("RGB") for f in frames]
    width, height = pictures[0].size
    font = _font(max(12, min(18, width // 16)))
    line_h = _text_size(font, "Ag")[1] + 4
    band = 8 + line_h * (2 if title else 1) + 14
    out = []
    for t, picture in enumerate(pictures):
        frame = Image.new("RGB", (width, height + band), PAPER)
        frame.paste(picture, (0, 0))
        draw = ImageDraw.Draw(frame)
        y = height + 6
        for text in ([title] if title else []) + [captions[t]]:
            draw.text((8, y), text, fill=INK, font=font)
            y += line_h
        track = (8, height + band - 8, width - 8)  # where this frame sits between the first and the last
        draw.line([(track[0], track[1]), (track[2], track[1])], fill=FAINT, width=2)
        x = track[0] + (track[2] - track[0]) * t / max(len(pictures) - 1, 1)
        draw.ellipse([x - 4, track[1] - 4, x + 4, track[1] + 4], fill=INK)
        out.append(frame.quantize(colors=255, method=Image.Quantize.MEDIANCUT))
    out = out + out[-2:0:-1]
    buf = io.BytesIO()
    out[0].save(buf, format="GIF", save_all=True, append_images=out[1:], duration=duration_ms, loop=0)
    return buf.getvalue()


def labelled_traversal(items: np.ndarray, row_labels: list[list[str] | str], values: np.ndarray,
                       title: str | None = None, faint_rows: set[int] | frozenset = frozenset()) -> Image.Image:
    """``labelled_grid`` of an image traversal (R, C, ch, H, W) drawn by ``image_grid``."""
    items = np.asarray(items)
    items = items[None] if items.ndim == 4 else items
    h, w = to_uint8(items[0, 0]).shape[:2]
    s = cell_scale(h)
    return labelled_grid(image_grid(items, pad=2, scale=s), (w * s, h * s), 2, row_labels, values, title, faint_rows)


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
