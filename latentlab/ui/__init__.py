"""The dashboard's shared pieces: the only part of the package that imports streamlit."""

from pathlib import Path

ASSETS = Path(__file__).parent / "assets"  # the map's bundled JavaScript (built from frontend/) and the app icon
