"""Screenshots of every dashboard page at 1600x1000, for README and the docs: `python3 docs/screenshots.py`.

Starts a real `streamlit run` server on a fresh workspace (the demo data and checkpoints), opens each page in
Chromium once the first map is drawn, and writes docs/pages/NAME.png (the part a person sees without
scrolling) and prints each page's full height."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.server import browser_page, dashboard, wait_for_final_map, wait_idle  # noqa: E402

PAGES = ["map", "traverse", "clusters", "features", "metrics", "compare", "train", "data"]


def main(out: Path = ROOT / "docs" / "pages") -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        with dashboard(home) as url, browser_page(1600, 1000) as page:
            page.goto(url)
            wait_for_final_map(page)
            for name in PAGES:
                page.goto(url + ("" if name == "map" else f"/{name}"))
                wait_idle(page, 180_000)
                page.wait_for_timeout(2500)  # maps and charts finish drawing after the run
                page.screenshot(path=str(out / f"{name}.png"))
                height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
                print(f"{name:<10} {height:>6} px tall")


if __name__ == "__main__":
    main()
