"""The example notebooks under examples/ run from top to bottom (nbclient), in a temporary folder and workspace,
and are stored without outputs. They share one kernel, one after the other, so the suite starts Python and
imports LatentLab once for all of them."""

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("anywidget")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Each notebook's code cells with their outputs, run in order in one kernel: {name: cells}."""
    folder = tmp_path_factory.mktemp("examples")
    combined = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                  "language": "python"}})
    owner = []
    for path in NOTEBOOKS:
        cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        combined.cells += cells
        owner += [path.stem] * len(cells)
    env = {"LATENTLAB_HOME": str(folder / "home"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        client = nbclient.NotebookClient(combined, timeout=180, kernel_name="python3",
                                         resources={"metadata": {"path": str(folder)}})
        client.execute()
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    out: dict[str, list] = {}
    for name, cell in zip(owner, combined.cells):
        out.setdefault(name, []).append(cell)
    return out


def test_there_are_example_notebooks_stored_without_outputs():
    assert {p.stem for p in NOTEBOOKS} >= {"digits_tour", "your_own_model", "text_corpus"}
    for path in NOTEBOOKS:
        cells = nbformat.read(path, as_version=4).cells
        assert [c for c in cells if c.cell_type == "code" and (c.outputs or c.execution_count)] == [], path.name


@pytest.mark.parametrize("name", [p.stem for p in NOTEBOOKS])
def test_an_example_notebook_runs_and_shows_its_widgets(executed, name):
    outputs = [o for c in executed[name] for o in c.outputs]
    assert [o for o in outputs if o.output_type == "error"] == []
    assert [o for o in outputs if WIDGET in o.get("data", {})]  # the map (and the traversal), as widgets, not text


def test_the_text_tour_finds_the_json_docs(executed):
    table = executed["text_corpus"][2].outputs[0]["data"]["text/plain"]  # the hits of "parse a JSON document"
    rows = table.splitlines()[1:]
    assert len(rows) == 5 and all(row.split()[2] == "json" for row in rows)
