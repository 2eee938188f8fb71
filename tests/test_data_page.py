"""The Data page's import: only the options that apply to the chosen kind of import, and a dataset of vectors (texts,
precomputed embeddings) offered to open on the Map as it is."""

import numpy as np
import pandas as pd

from latentlab.ui.sidebar import VECTORS
from latentlab.ui.uploads import import_kinds
from tests.apptest import no_exception, start_dashboard
from tests.real_text import docstring_corpus


def upload(at, name: str, data: bytes, mime: str = "text/csv"):
    next(u for u in at.get("file_uploader") if u.label == "Data file").upload(name, data, mime).run()
    return no_exception(at)


def labels_of(widgets) -> list[str]:
    return [w.label for w in widgets]


def form_controls(at) -> set[str]:
    return set(labels_of(at.selectbox) + labels_of(at.checkbox) + labels_of(at.multiselect))


def kind_box(at):
    return next(r for r in at.radio if r.label == "Read the file as")


def test_the_kinds_of_import_a_file_allows():
    assert import_kinds("notes.csv", ["body"]) == ["texts", "table", "embeddings", "signals"]
    assert import_kinds("numbers.csv", []) == ["table", "embeddings", "signals"]
    assert import_kinds("arrays.npz", []) == ["items", "embeddings", "signals"]
    assert import_kinds("docs.jsonl", ["text"]) == ["texts"]
    assert import_kinds("pictures.zip", []) == ["images"]


def test_only_the_options_of_the_chosen_kind_are_shown(workspace, monkeypatch):
    frame = pd.DataFrame({"body": [f"a sentence about item number {i} and its words" for i in range(30)],
                          "x": np.arange(30.0), "t": np.tile(np.arange(3), 10), "tag": ["a", "b"] * 15})
    at = upload(start_dashboard(monkeypatch, "pages/data.py"), "notes.csv", frame.to_csv(index=False).encode())
    assert kind_box(at).value == "texts"
    shown = form_controls(at)
    assert {"Text column", "Encoder", "Label column"} <= shown
    assert not any("Standardise" in c for c in shown) and "Item column" not in shown
    kind_box(at).set_value("embeddings").run()
    shown = form_controls(at)
    assert "Standardise the embeddings' columns (mean 0, standard deviation 1)" in shown
    assert "Text column" not in shown and "Encoder" not in shown and "Item column" not in shown
    kind_box(at).set_value("signals").run()
    shown = form_controls(at)
    assert {"Item column", "Time column", "Standardise each channel (mean 0, standard deviation 1)"} <= shown
    assert "Text column" not in shown and not any("embeddings" in c for c in shown)
    kind_box(at).set_value("table").run()
    shown = form_controls(at)
    assert not any("Standardise" in c for c in shown) and "Text column" not in shown and "Item column" not in shown
    assert any("standardised" in c.value for c in at.caption)


def test_imported_embeddings_open_on_the_map_as_they_are(workspace, monkeypatch):
    vectors = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 5)), columns=list("abcde"))
    vectors["group"] = ["left", "right"] * 30
    at = start_dashboard(monkeypatch, "pages/data.py", **{"map-method": "pca"})
    at = upload(at, "vecs.csv", vectors.to_csv(index=False).encode())
    kind_box(at).set_value("embeddings").run()
    next(s for s in at.selectbox if s.label == "Label column").set_value("group")
    next(b for b in at.button if b.label == "Import").click().run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    message = next(s.value for s in at.success if "Imported 'vecs'" in s.value)
    assert "can be mapped right away" in message and "Train a model on it" not in message
    assert next(s for s in at.sidebar.selectbox if s.label == "Dataset").value == "vecs"
    next(b for b in at.button if b.label == "Open vecs on the Map").click().run()
    no_exception(at)
    assert at.title[0].value == "Map"
    assert (at.session_state["ll_dataset"], at.session_state["ll_checkpoint"]) == ("vecs", VECTORS)
    assert next(s for s in at.sidebar.selectbox if s.label == "Work in").value == "latent means"  # the vectors


def test_a_table_of_numbers_is_for_a_model_to_learn(workspace, monkeypatch):
    table = pd.DataFrame(np.random.default_rng(1).normal(size=(40, 4)), columns=list("abcd"))
    at = upload(start_dashboard(monkeypatch, "pages/data.py"), "numbers.csv", table.to_csv(index=False).encode())
    assert kind_box(at).value == "table"
    next(b for b in at.button if b.label == "Import").click().run()
    message = next(s.value for s in no_exception(at).success if "Imported 'numbers'" in s.value)
    assert "Train a model on it on the Train page" in message
    assert not any(b.label.startswith("Open numbers") for b in at.button)


def test_a_text_import_says_it_can_be_mapped_now(workspace, monkeypatch):
    from latentlab import jobs

    texts, labels = docstring_corpus(per_package=15, packages=("email", "json", "logging"))
    lines = pd.DataFrame({"body": texts, "package": labels}).to_json(orient="records", lines=True)
    at = start_dashboard(monkeypatch, "pages/data.py", **{"map-method": "pca"})
    at = upload(at, "docs.jsonl", lines.encode(), "application/json")
    assert kind_box(at).options == ["texts, embedded into vectors"]  # a JSON Lines file holds texts only
    assert not any("Standardise" in c for c in form_controls(at))
    next(s for s in at.selectbox if s.label == "Encoder").set_value("tfidf")
    next(b for b in at.button if b.label == "Import").click().run()
    job = next(j for j in jobs.list_jobs() if j.kind == "import-text")
    assert jobs.wait(job.id, timeout=180).state == "succeeded", jobs.get(job.id).error
    at.run()
    message = next(s.value for s in no_exception(at).success if "Imported 'docs'" in s.value)
    assert "can be mapped right away" in message and "Train a model on it" not in message
    next(b for b in at.button if b.label == "Open docs on the Map").click().run()
    assert no_exception(at).title[0].value == "Map"
    assert (at.session_state["ll_dataset"], at.session_state["ll_checkpoint"]) == ("docs", VECTORS)
