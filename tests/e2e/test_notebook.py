"""The notebook widgets in a real JupyterLab in Chromium: the map is drawn, a box selection made in the browser is
read back by the kernel in the next cell, a hovered point shows its label and picture (asked of the kernel), and
a traversal slider moved redraws the decoded picture.

The helpers (a JupyterLab server in a temporary folder, cells run from the keyboard) are shared with
``benchmarks/notebook_widgets.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from tests.e2e import map_driver
from tests.e2e.server import ROOT, browser_available, browser_page, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow,
              pytest.mark.skipif(not browser_available(), reason="needs Chromium at /usr/bin/chromium and playwright")]

MAP_JS = "document.querySelector('[data-testid=ll-map]')"


@contextlib.contextmanager
def jupyter_lab(folder: Path, timeout: float = 120.0):
    """Yield the URL of a JupyterLab server (no token, a free port) serving ``folder``; its kernels run this
    Python with the project importable."""
    pytest.importorskip("jupyterlab")
    pytest.importorskip("anywidget")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
           "JUPYTER_RUNTIME_DIR": str(folder / ".runtime"),  # nothing of this server outlives the folder
           "LATENTLAB_HOME": str(folder / "home")}  # nor of its kernels: a workspace of their own
    log = open(folder / "jupyter.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.root_dir={folder}", "--IdentityProvider.token=", "--ServerApp.password=",
         "--ServerApp.disable_check_xsrf=True", "--ServerApp.allow_root=True", "--LabApp.news_url=",
         f"--LabApp.workspaces_dir={folder / '.workspaces'}", f"--LabApp.user_settings_dir={folder / '.settings'}"],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                with urllib.request.urlopen(url + "/api/status", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"jupyter lab did not start: {(folder / 'jupyter.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def write_notebook(path: Path, cells: list[str]) -> None:
    """A notebook of code cells (nbformat 4, no outputs)."""
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": f"c{k}", "metadata": {}, "outputs": [],
                     "source": source} for k, source in enumerate(cells)],
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))


def open_notebook(page, url: str, name: str, timeout_ms: int = 90_000) -> None:
    """Open notebook ``name`` and wait until its kernel is idle."""
    page.goto(f"{url}/lab/tree/{name}", timeout=timeout_ms)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout_ms)
    page.wait_for_function("() => { const s = document.querySelector('.jp-Notebook-ExecutionIndicator');"
                           " return s && s.getAttribute('data-status') === 'idle'; }", timeout=timeout_ms, polling=200)


def answer_dialog(page) -> None:
    """A dialog JupyterLab opens over a freshly opened notebook on a loaded machine (the kernel to use, when the
    kernel list came late) is answered with its default button; any other dialog fails with its text."""
    dialog = page.locator(".jp-Dialog")
    if not dialog.count() or not dialog.first.is_visible():
        return
    text = " ".join(dialog.first.inner_text().split())
    if "kernel" not in text.lower():
        raise AssertionError(f"JupyterLab shows a dialog over the notebook: {text!r}")
    dialog.first.locator("button.jp-mod-accept").click()
    dialog.first.wait_for(state="hidden", timeout=10_000)


def run_cell(page, k: int, tries: int = 3) -> None:
    """Run cell ``k`` (0-based), as Shift+Enter in its editor does. On a loaded machine JupyterLab may still move the
    focus while it lays out a freshly opened notebook, so a key press that did not start the cell (its prompt
    neither ``[*]`` nor a count) is pressed again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    cell = page.locator(".jp-Notebook .jp-Cell").nth(k)
    for attempt in range(tries):
        answer_dialog(page)
        try:
            cell.locator(".jp-InputArea-editor").click(timeout=15_000)
        except PlaywrightTimeout:  # something lies over the cell: a dialog, answered here (or named)
            answer_dialog(page)
            cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        try:
            cell.locator(".jp-InputPrompt").filter(has_text="[").filter(has_not_text="[ ]").first.wait_for(
                timeout=10_000)
            return
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise


def wait_output(page, k: int, text: str, timeout_ms: int = 60_000) -> str:
    """Cell ``k``'s output text once it contains ``text``."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(k).locator(".jp-OutputArea-output")
    cell.filter(has_text=text).first.wait_for(timeout=timeout_ms)
    return cell.all_inner_texts()[-1]


def wait_drawn(page, points: int, timeout_ms: int = 120_000) -> None:
    """Wait until the first map has drawn ``points``; on a timeout, fail with what the notebook's cells show."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(f"(n) => {{ const r = {MAP_JS}; return r && Number(r.dataset.drawn) === n; }}",
                               arg=points, timeout=timeout_ms, polling=50)
    except PlaywrightTimeout:
        shown = page.evaluate(f"() => {{ const r = {MAP_JS}; return r ? 'map drawn=' + r.dataset.drawn : 'no map'; }}")
        outputs = page.locator(".jp-Notebook .jp-OutputArea-output").all_inner_texts()
        raise AssertionError(f"the map did not draw {points} points ({shown}); cell outputs: {outputs}") from None


def screen_positions(page, n: int) -> np.ndarray:
    """(n, 2) pixel positions of the first map's points 0..n-1 relative to its canvas."""
    xy = page.evaluate(f"(n) => {{ const r = {MAP_JS}; const out = [];"
                       " for (let i = 0; i < n; i++) out.push(...r.screenPosition(i)); return out; }", n)
    return np.asarray(xy).reshape(n, 2)


def box_select(page, rect: np.ndarray) -> None:
    """Drag the map's Box tool from one corner of ``rect`` (canvas pixels) to the opposite one."""
    page.locator("[data-testid=ll-map] button[data-mode=box]").click()
    box = page.locator("[data-testid=ll-map] canvas").bounding_box()
    (x0, y0), (x1, y1) = rect[0], rect[2]
    page.mouse.move(box["x"] + x0, box["y"] + y0)
    page.mouse.down()
    page.mouse.move(box["x"] + x1, box["y"] + y1, steps=12)
    page.mouse.up()


def hover(page, positions: np.ndarray, i: int) -> None:
    """Rest the pointer on point ``i``: the tip shows its label and its picture, both asked of the kernel."""
    from latentlab import lab

    box = page.locator("[data-testid=ll-map] canvas").bounding_box()
    page.mouse.move(box["x"] + positions[i, 0] + 3, box["y"] + positions[i, 1] + 3)
    page.mouse.move(box["x"] + positions[i, 0], box["y"] + positions[i, 1], steps=3)
    tip = page.locator("[data-testid=ll-tip]")
    tip.locator("img[src^='blob:']").wait_for(timeout=30_000)
    assert tip.get_attribute("data-index") == str(i)
    assert f"digit: {lab.load_dataset('digits').labels[i]}" in tip.inner_text()
    page.mouse.move(box["x"] - 20, box["y"] - 20)


def decoded_src(page) -> str:
    return page.evaluate("() => { const i = document.querySelector('img.ll-decoded'); return i ? i.src : ''; }")


def move_slider(page, k: int = 0, dx: float = 60) -> None:
    """Drag the ``k``-th traversal slider's handle ``dx`` pixels to the right."""
    handle = page.locator(".ll-slider .noUi-handle").nth(k)
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2, steps=4)
    page.mouse.up()


def test_map_selection_and_slider_in_jupyterlab(tmp_path):
    n = 1797
    write_notebook(tmp_path / "tour.ipynb", [
        "import latentlab as ll\nm = ll.widgets.Map('digits-vae', method='pca', height=420)\nm",
        "t = ll.widgets.Traverse('digits-vae', base=0)\nt",
        "print('SELECTED', len(m.selection), m.selection[:3], list(m.selected().columns[:2]))",
    ])
    with jupyter_lab(tmp_path) as url, browser_page(1600, 1000) as page:
        open_notebook(page, url, "tour.ipynb")
        run_cell(page, 0)
        wait_drawn(page, n)
        positions = screen_positions(page, n)
        rect = map_driver.clear_rect(positions)
        expected = np.flatnonzero(map_driver.inside(positions, rect))
        hover(page, positions, map_driver.isolated_point(positions))
        run_cell(page, 1)
        page.wait_for_function("() => { const i = document.querySelector('img.ll-decoded');"
                               " return i && i.src.startsWith('blob:'); }", timeout=60_000)
        box_select(page, rect)
        page.wait_for_function(f"(k) => Number({MAP_JS}.dataset.selected) === k", arg=len(expected), timeout=30_000)
        run_cell(page, 2)
        out = wait_output(page, 2, "SELECTED")
        assert out.strip() == f"SELECTED {len(expected)} {expected[:3].tolist()} ['index', 'digit']"
        before = decoded_src(page)
        move_slider(page, 0)
        page.wait_for_function("(s) => { const i = document.querySelector('img.ll-decoded'); return i && i.src !== s; }",
                               arg=before, timeout=30_000)
        page.screenshot(path=str(ROOT / "test-artifacts" / "notebook-widgets.png"), full_page=False)
