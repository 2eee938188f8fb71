"""Start the dashboard as a real `streamlit run` server and drive it with
Debian's Chromium through playwright (shared by the e2e tests and benchmarks)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LATENTLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"]


def browser_available() -> bool:
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def dashboard(home: Path, timeout: float = 120.0, base_path: str = ""):
    """Yield the URL of a fresh dashboard server using workspace ``home`` (served below ``base_path``, the
    server's ``server.baseUrlPath``, when given)."""
    port = free_port()
    env = {**os.environ, "LATENTLAB_HOME": str(home), "LATENTLAB_RUNNER_IDLE_S": "5"}
    log = open(home.parent / f"streamlit-{port}.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none",  # sources edited while a test runs do not reload its modules
         *(["--server.baseUrlPath", base_path] if base_path else [])],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}" + (f"/{base_path.strip('/')}" if base_path else "")
    try:
        deadline = time.time() + timeout
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"streamlit did not start: {(home.parent / f'streamlit-{port}.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def browser_page(width: int = 1500, height: int = 1000):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def wait_for_map(page, timeout_ms: int = 180_000) -> None:
    """Until the Map page's WebGL map has drawn its points."""
    from tests.e2e.map_driver import wait_drawn

    wait_drawn(page, timeout_ms=timeout_ms)


def wait_for_final_map(page, timeout_ms: int = 180_000) -> None:
    """Until the Map page shows its projection, not the preview drawn while the server's warm-up makes it."""
    wait_for_map(page, timeout_ms)
    page.wait_for_function("() => !document.body.innerText.includes('map is computed')", timeout=timeout_ms)
    wait_idle(page)
    wait_for_map(page, timeout_ms)


def wait_idle(page, timeout_ms: int = 120_000) -> None:
    """Until Streamlit has finished the current script run."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]') ||"
        " !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=timeout_ms,
    )


def slide_and_wait_for_new_picture(page, steps: int = 15, timeout_ms: int = 60_000) -> None:
    """Move the Traverse page's first latent slider ``steps`` notches right from the keyboard and wait until its
    decoded picture is a new one."""
    wait_for_decoded(page, timeout_ms)
    before = page.evaluate(f"() => {SLIDERS_JS}.querySelector('[data-testid=ll-decoded]').src")
    page.locator("[data-testid=ll-sliders] input[type=range]").first.focus()
    for _ in range(steps):
        page.keyboard.press("ArrowRight")
    wait_for_new_picture(page, before, timeout_ms)


def choose(page, label: str, option: str, sidebar: bool) -> None:
    """Pick ``option`` in the selectbox ``label`` (in the sidebar or the page), again if a rerun under way dropped
    the choice."""
    scope = page.locator("[data-testid='stSidebar']") if sidebar else page.locator("[data-testid='stMain']")
    for attempt in range(3):
        wait_idle(page)
        scope.locator("[data-testid='stSelectbox']", has_text=label).first.click()
        page.keyboard.type(option)
        page.keyboard.press("Enter")
        try:
            page.wait_for_function("([label, option]) => [...document.querySelectorAll(`input[aria-label='${label}']`)]"
                                   ".some(i => i.value.startsWith(option))", arg=[label, option], timeout=10_000)
            return
        except Exception:
            if attempt == 2:
                raise


def open_pca_map(page, url: str, dataset: str, points: int) -> None:
    """Open the dashboard at ``url`` and switch its Map page to a PCA map of ``dataset`` (``points`` items), drawn."""
    from tests.e2e import map_driver

    page.goto(url)
    map_driver.wait_drawn(page)
    wait_idle(page)
    choose(page, "Projection", "pca", sidebar=False)
    wait_idle(page)
    # A rerun already under way (the first map's report of what it holds) can still drop the choice after the box
    # showed it: the map then stays on the old dataset, and the choice is made again.
    for attempt in range(3):
        choose(page, "Dataset", dataset, sidebar=True)
        try:
            map_driver.wait_drawn(page, points=points, timeout_ms=60_000)
            break
        except Exception:
            if attempt == 2:
                raise
    wait_idle(page)


# The Traverse page's sliders render into a shadow root under Streamlit's element.
SLIDERS_JS = ("[...document.querySelectorAll('[data-testid=stBidiComponentIsolated]')]"
              ".map((h) => h.shadowRoot && h.shadowRoot.querySelector('[data-testid=ll-sliders]')).filter(Boolean)[0]")


def wait_for_decoded(page, timeout_ms: int = 120_000) -> None:
    """Until the Traverse page's sliders show their first decoded picture."""
    page.wait_for_function(f"() => {{ const r = {SLIDERS_JS}; return r && Number(r.dataset.decoded) >= 1; }}",
                           timeout=timeout_ms)


def wait_for_new_picture(page, before: str, timeout_ms: int = 60_000) -> None:
    """Until the decoded picture is another than ``before`` (its URL) and has arrived."""
    page.wait_for_function(f"(b) => {{ const r = {SLIDERS_JS}; const img = r.querySelector('[data-testid=ll-decoded]');"
                           " return img.src !== b && img.complete && img.naturalWidth > 0; }", arg=before,
                           timeout=timeout_ms, polling="raf")


def timed_slider_move(page, right: bool, timeout_ms: int = 60_000) -> float:
    """Seconds from one key press on the Traverse page's first latent slider to its new decoded picture."""
    import time

    before = page.evaluate(f"() => {SLIDERS_JS}.querySelector('[data-testid=ll-decoded]').src")
    page.locator("[data-testid=ll-sliders] input[type=range]").first.focus()
    t = time.perf_counter()
    page.keyboard.press("ArrowRight" if right else "ArrowLeft")
    wait_for_new_picture(page, before, timeout_ms)
    return time.perf_counter() - t
