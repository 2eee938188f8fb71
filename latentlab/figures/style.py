"""How a figure looks: the paper and dark styles, sizes in millimetres, fonts kept as text, and palettes.

Fonts: PDF embeds TrueType (``pdf.fonttype = 42``), not Type 3 outlines, and SVG keeps every string as a
``<text>`` element (``svg.fonttype = "none"``), so a journal's checker accepts the file and Inkscape or Illustrator
edits the words. The categorical palette starts with Okabe and Ito's eight colours and Paul Tol's muted and light
sets (all chosen to stay apart for the common colour-vision deficiencies) and goes on past them with alternating
lightness, so a map of 30 classes has no two neighbouring codes alike; continuous values use viridis.
"""

from __future__ import annotations

import colorsys
import contextlib

from latentlab.core.errors import LatentLabError

STYLES = ("paper", "dark")
FORMATS = ("pdf", "svg", "png")
MM_PER_INCH = 25.4
DEFAULT_WIDTH_MM = 180.0  # a two-column figure; 88 mm is one column
DEFAULT_DPI = 300

# Okabe & Ito (2008), then Paul Tol's muted and light schemes (grey and near-duplicates left out).
SAFE_COLOURS = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499",
    "#77AADD", "#EE8866", "#EEDD88", "#FFAABB", "#99DDFF", "#BBCC33", "#AAAA00",
]
MISSING_COLOUR = "#bbbbbb"

_RC = {
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 7,
    "axes.titlesize": 8,
    "axes.labelsize": 7,
    "xtick.labelsize": 6,
    "ytick.labelsize": 6,
    "legend.fontsize": 6,
    "axes.linewidth": 0.6,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,
}
_THEMES = {
    "paper": {"figure.facecolor": "white", "axes.facecolor": "white", "savefig.facecolor": "white",
              "text.color": "#111111", "axes.labelcolor": "#111111", "axes.edgecolor": "#333333",
              "xtick.color": "#333333", "ytick.color": "#333333"},
    "dark": {"figure.facecolor": "#111418", "axes.facecolor": "#111418", "savefig.facecolor": "#111418",
             "text.color": "#e8e8e8", "axes.labelcolor": "#e8e8e8", "axes.edgecolor": "#888888",
             "xtick.color": "#bbbbbb", "ytick.color": "#bbbbbb", "legend.facecolor": "#1c2026",
             "legend.edgecolor": "#444444"},
}


def require_matplotlib():
    """matplotlib's pyplot-free pieces, or one sentence naming the extra to install."""
    try:
        import matplotlib
    except ImportError:
        raise LatentLabError("Figures need matplotlib: pip install 'latentlab[figures]'.") from None
    return matplotlib


def check_style(style: str) -> str:
    if style not in STYLES:
        raise LatentLabError(f"Unknown `style` '{style}'; choose one of {', '.join(STYLES)}.", param="style",
                             value=style)
    return style


@contextlib.contextmanager
def styled(style: str = "paper"):
    """matplotlib's settings for one figure in ``style``, restored afterwards."""
    mpl = require_matplotlib()
    with mpl.rc_context({**_RC, **_THEMES[check_style(style)]}):
        yield


def new_figure(width_mm: float, height_mm: float, dpi: int = DEFAULT_DPI):
    """A matplotlib Figure (no pyplot: nothing global, nothing shown) of the given size."""
    require_matplotlib()
    from matplotlib.figure import Figure

    if not 20 <= float(width_mm) <= 1000:
        raise LatentLabError(f"`width_mm` must be between 20 and 1000 mm, got {width_mm}.", param="width_mm",
                             value=width_mm)
    return Figure(figsize=(width_mm / MM_PER_INCH, height_mm / MM_PER_INCH), dpi=dpi)


def categorical_palette(n: int) -> list[str]:
    """``n`` distinct colours: the colour-blind-safe list, then golden-angle hues at alternating lightness."""
    colours = list(SAFE_COLOURS[:n])
    k = 0
    while len(colours) < n:
        hue = (k * 0.618033988749895) % 1.0
        light = (0.38, 0.62, 0.5)[k % 3]
        r, g, b = colorsys.hls_to_rgb(hue, light, 0.65)
        colours.append(f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}")
        k += 1
    return colours


def text_colour(style: str) -> str:
    return _THEMES[check_style(style)]["text.color"]


def halo_colour(style: str) -> str:
    return _THEMES[check_style(style)]["axes.facecolor"]
