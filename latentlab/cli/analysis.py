"""``latentlab embed|project|cluster|traverse|interpolate|metrics``: commands that
analyse a checkpoint on a dataset, over the same facade as the dashboard."""

from __future__ import annotations

from latentlab.cli.executor_flags import add_executor_flags, executor_from_args
from latentlab.cli import decoding
from latentlab.cli.output import check_out, emit, kv, write_csv
from latentlab.core.workspace import atomic_path


def _inputs(args):
    """(checkpoint or None, dataset) from a command's arguments."""
    from latentlab import lab
    from latentlab.core.errors import LatentLabError

    if args.checkpoint is None:
        if not args.dataset:
            raise LatentLabError("Give a checkpoint, or --dataset with a dataset of precomputed embeddings.")
        return None, lab.as_dataset(args.dataset)
    ck = lab.load_checkpoint(args.checkpoint)
    return ck, lab.dataset_for(ck, args.dataset)


def cmd_embed(args) -> None:
    import numpy as np

    from latentlab import lab
    from latentlab.core.progress import TqdmProgress

    out = check_out(args.out, (".npz",))
    ck, ds = _inputs(args)
    executor = executor_from_args(args)
    if executor and ck is not None:  # shards encoded over the cluster into the cache that lab.embed then reads
        _embed_on_ray(args, executor)
    with TqdmProgress(disable=args.json) as bar:
        emb = lab.embed(ck, ds, progress=bar)
    arrays = {k: v for k, v in emb.to_arrays().items() if v is not None}
    if ds.labels is not None:
        arrays["labels"] = ds.labels if ds.labels.dtype.kind in "iub" else ds.labels.astype(str)
    with atomic_path(out) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
    emit(args, {"out": str(out), "n": len(ds), "latent_dim": emb.latent_dim}, f"wrote {out} ({len(ds)} x {emb.latent_dim})")


def _embed_on_ray(args, executor: dict) -> None:
    from latentlab import jobs
    from latentlab.cli.follow import follow
    from latentlab.core.errors import LatentLabError

    request = {"checkpoint": args.checkpoint, "dataset": args.dataset}
    if args.shard_items is not None:
        if args.shard_items < 1:
            raise LatentLabError(f"--shard-items must be at least 1, got {args.shard_items}.")
        request["shard_items"] = args.shard_items
    job = follow(jobs.submit("embed", request, name=f"embed {args.dataset or 'training set'} with {args.checkpoint}",
                             executor=executor), timeout=float("inf"), disable=args.json)
    if job.state != "succeeded":
        raise LatentLabError(job.error or f"Job {job.id} ended as {job.state}.")


def _frame_with_labels(ds, columns: dict):
    import pandas as pd

    df = pd.DataFrame(columns)
    if ds.labels is not None:
        df[ds.label_name] = ds.labels
    return df


def _suggest_metric(method: str, params: dict, vectors, what: str) -> None:
    """One line on stderr when the vectors to map have unit norm and no metric was given; the map is unchanged."""
    import sys

    from latentlab.analysis.projection.map_points import suggested_metric

    metric = None if "metric" in params else suggested_metric(method, vectors)
    if metric:
        print(f"latentlab: note: the rows of {what} have unit norm; --param metric={metric} usually maps such "
              "embeddings better.", file=sys.stderr)


def cmd_project(args) -> None:
    from latentlab import lab
    from latentlab.core.progress import TqdmProgress

    out = check_out(args.out, (".csv",))
    ck, ds = _inputs(args)
    params = kv(args.param)
    if ck is None:  # a dataset of vectors maps its own rows; a checkpoint's latent means are checked once made
        _suggest_metric(args.method, params, ds.x, f"'{ds.name}'")
    with TqdmProgress(disable=args.json) as bar:
        xy = lab.project(ck, ds, method=args.method, dims=args.dims, seed=args.seed, progress=bar, **params)
    if ck is not None:
        _suggest_metric(args.method, params, lab.embed(ck, ds).mean, f"{ck.name}'s latent means")
    df = _frame_with_labels(ds, {f"{args.method}_{i + 1}": xy[:, i] for i in range(xy.shape[1])})
    write_csv(df, out, index_label="index")
    emit(args, {"out": str(out), "n": len(df)}, f"wrote {out} ({len(df)} points, {args.method} {args.dims}-D)")


def cmd_cluster(args) -> None:
    from latentlab import lab
    from latentlab.analysis.clustering import CLUSTERERS
    from latentlab.core.errors import LatentLabError
    from latentlab.core.progress import TqdmProgress

    out = check_out(args.out, (".csv",))
    if args.beside_kmeans and (not CLUSTERERS[args.method].READS_MODEL or args.on != "latent" or args.k is not None or args.param):
        raise LatentLabError("--beside-kmeans compares a model's own clusters with k-means on the latent means: use it "
                             "with --method model, without --on projection, --k or --param (k-means takes the model's "
                             "k).")
    _check_explain_flags(args)
    ck, ds = _inputs(args)
    params = kv(args.param)
    if args.k is not None:
        params["k"] = args.k
    with TqdmProgress(disable=args.json) as bar:
        if args.beside_kmeans:
            if ck is None:
                raise LatentLabError("--beside-kmeans needs a checkpoint of a model that clusters its codes (such as dec).")
            both = lab.beside_kmeans(ck, ds, seed=args.seed, progress=bar)
            res = both.model
        else:
            res = lab.cluster(ck, ds, method=args.method, on=args.on, seed=args.seed, progress=bar, **params)
    df = _frame_with_labels(ds, {"index": range(len(res.labels))})
    df["cluster"] = res.labels
    if res.keywords:
        df["keywords"] = [" ".join(res.keywords.get(int(c), [])) for c in res.labels]
    if args.beside_kmeans:
        df["kmeans"] = both.kmeans.labels
    explanation = None
    if args.explain:
        explanation = lab.explain_clusters(ck, ds, labels=res.labels, space=args.explain_on, oblique=args.oblique,
                                           max_halfspaces=args.max_halfspaces or lab.DEFAULT_HALFSPACES, seed=args.seed)
        df["tree_cluster"] = explanation.tree_labels
    write_csv(df, out, index=False)
    text = f"wrote {out}; " + ", ".join(f"{k}={v:.3f}" for k, v in res.scores.items())
    payload = {"out": str(out), "scores": res.scores}
    if res.keywords:
        sizes = dict(zip(res.table["cluster"].tolist(), res.table["size"].tolist()))
        payload["clusters"] = [{"cluster": c, "size": int(sizes.get(c, 0)), "keywords": words}
                               for c, words in res.keywords.items()]
        text += "".join(f"\n  cluster {c}: {', '.join(words)}" for c, words in res.keywords.items())
    if args.beside_kmeans:
        table = both.scores(f"model ({ck.model_name})")
        payload.update(kmeans_scores=both.kmeans.scores, agreement={"ari": both.ari, "nmi": both.nmi})
        text += (f"\nbeside k-means with the same k on the same latent means (agreement: ARI {both.ari:.3f}, "
                 f"NMI {both.nmi:.3f}):\n" + table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if explanation is not None:
        payload["explanation"] = explanation.to_dict()
        text += "\n" + _explanation_text(explanation)
    emit(args, payload, text)


def _check_explain_flags(args) -> None:
    from latentlab.core.errors import LatentLabError

    if not args.explain and (args.max_halfspaces is not None or args.oblique or args.explain_on != "latent"):
        raise LatentLabError("--max-halfspaces, --oblique and --explain-on shape the rules that describe the clusters: "
                             "add --explain.")
    if args.max_halfspaces is not None and args.max_halfspaces < 1:
        raise LatentLabError(f"--max-halfspaces must be at least 1 (a description is an intersection of half-spaces), "
                             f"got {args.max_halfspaces}.")


def _explanation_text(exp) -> str:
    lines = [f"threshold tree over {exp.space} ({len(exp.rules)} leaves): accuracy {exp.accuracy:.3f}, k-means cost "
             f"{exp.cost_ratio:.3f} x the clustering's"]
    for r in exp.rules:
        d = r.description
        lines.append(f"  cluster {r.cluster} ({r.size:,}): tree {r.tree_rule}  [precision {r.tree_precision:.2f}, "
                     f"recall {r.tree_recall:.2f}]")
        lines.append(f"    described by {d.text(exp.feature_names)}  [precision {d.precision:.2f}, "
                     f"recall {d.recall:.2f}]")
    return "\n".join(lines)


def cmd_metrics(args) -> None:
    from latentlab import lab
    from latentlab.core.progress import TqdmProgress
    from latentlab.core.rows import row_sample

    with TqdmProgress(disable=args.json) as bar:
        if args.checkpoint is None:  # a dataset of vectors is its own latent space: no model, so no diagnostics
            ck, ds = _inputs(args)
            emb, diag = lab.embed(None, ds), None
        else:
            ck = lab.load_checkpoint(args.checkpoint)
            ds = lab.dataset_for(ck, args.dataset)
            rows = None if len(ds) <= args.n else row_sample(len(ds), args.n, args.seed)  # only the scored items
            emb = lab.embed(ck, ds, progress=bar, rows=rows)
            diag = lab.diagnose(emb, seed=args.seed)
        results = {}
        if args.metrics != "none":
            results = lab.score(emb, ds, args.metrics, n=args.n, seed=args.seed, progress=bar)
    payload = {"checkpoint": ck.name if ck else None, "dataset": ds.name,
               "metrics": {k: r.scores for k, r in results.items()}, "diagnostics": diag.to_dict() if diag else None}
    scored = min(len(ds), args.n) if emb.index is None else len(emb.index)
    lines = [(f"{ck.name} on {ds.name}" if ck else ds.name) + (f" ({scored:,} of {len(ds):,} items)" if scored < len(ds) else "")]
    for name, r in results.items():
        lines.append(f"  {name:<15} " + "  ".join(f"{k}={v:.3f}" for k, v in r.scores.items() if "[" not in k))
    if diag is not None:
        lines += _diagnostic_lines(ck, diag)
    emit(args, payload, "\n".join(lines))


def _diagnostic_lines(ck, diag) -> list[str]:
    lines, shown = [], diag.scores
    if diag.kl_per_dim is None:  # no posterior and prior: no KL, so no active or passive units either
        lines.append(f"  {ck.model_name} has no posterior and prior: no KL or active units")
        shown = {k: v for k, v in shown.items() if k not in ("active_units", "passive_units", "kl_total", "mean_abs_corr_means_passive")}
    else:
        kl = " ".join(f"z{d}:{v:.2f}" for d, v in enumerate(diag.kl_per_dim))
        lines.append(f"  active units {len(diag.active)}/{len(diag.active) + len(diag.passive)}  KL per dim: {kl}")
    lines.append("  " + "  ".join(f"{k}={v:.3g}" for k, v in shown.items()))
    return lines + [f"  warning: {w}" for w in diag.warnings]


def register(add, sub) -> None:
    def with_ckpt(name, func, help_text, optional=False):
        q = add(name, func, help_text)
        if optional:
            q.add_argument("checkpoint", nargs="?", default=None,
                           help="checkpoint name or path; leave out to use a dataset of precomputed embeddings as it is")
        else:
            q.add_argument("checkpoint", help="checkpoint name or path")
        q.add_argument("--dataset", help="dataset (default: the checkpoint's training set)")
        return q

    _register_maps(with_ckpt)
    _register_decoding(with_ckpt)


def _register_maps(with_ckpt) -> None:
    """embed, project, cluster."""
    # the registries' names, read from their catalog so that parsing imports no implementation
    from latentlab.core.catalog import DEFAULT_HALFSPACES, RULE_SPACES, entries

    PROJECTORS, CLUSTERERS = entries("PROJECTORS"), entries("CLUSTERERS")

    p = with_ckpt("embed", cmd_embed, "encode a dataset: means, log-variances, KL, reconstruction error")
    p.add_argument("--out", required=True)
    add_executor_flags(p, per_run=False)
    p.add_argument("--shard-items", type=int, default=None, metavar="N",
                   help="on Ray: items per shard, a multiple of 1,024 (rounded down, at least 1,024; default 16,384)")
    p = with_ckpt("project", cmd_project, "project the latent means (or a dataset's vectors) with UMAP, PCA or t-SNE", True)
    p.add_argument("--method", default="umap", choices=list(PROJECTORS))
    p.add_argument("--dims", type=int, default=2, choices=[2, 3])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--param", action="append", metavar="NAME=VALUE", help="method parameter, e.g. n_neighbors=30")
    p.add_argument("--out", required=True)
    p = with_ckpt("cluster", cmd_cluster, "cluster the latent means (or a dataset's vectors) or their projection", True)
    p.add_argument("--method", default="kmeans", choices=list(CLUSTERERS),
                   help="a clustering method, or 'model': the clusters of a model that clusters its codes (such as dec)")
    p.add_argument("--k", type=int)
    p.add_argument("--beside-kmeans", action="store_true",
                   help="with --method model: also run k-means with the model's k on the same latent means and print "
                        "both clusterings' scores and how far they agree")
    p.add_argument("--on", default="latent", choices=["latent", "projection"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--param", action="append", metavar="NAME=VALUE")
    p.add_argument("--out", required=True)
    p.add_argument("--explain", action="store_true",
                   help="describe the clusters by rules: a threshold tree with one leaf per cluster (IMM) and per "
                        "cluster a few half-spaces, each with precision and recall")
    p.add_argument("--explain-on", default="latent", choices=list(RULE_SPACES),
                   help="what the rules name: the latent dimensions, the dataset's own features (tables, vectors) or "
                        "the 2-D UMAP map's axes")
    p.add_argument("--max-halfspaces", type=int, help=f"at most this many half-spaces per cluster's description "
                                                            f"(default {DEFAULT_HALFSPACES})")
    p.add_argument("--oblique", action="store_true", help="descriptions may also use two-feature half-spaces")


def _register_decoding(with_ckpt) -> None:
    """traverse, interpolate, intervene (``cli.decoding``), metrics."""
    from latentlab.core.catalog import entries, factor_free_metrics as factor_free_names

    METRICS = entries("METRICS")

    decoding.register(with_ckpt)
    p = with_ckpt("metrics", cmd_metrics, "disentanglement metrics, spread and intrinsic dimension, latent diagnostics",
                  optional=True)
    p.add_argument("--metrics", default=None, help=f"comma-separated ({','.join(METRICS)}); default all (on a dataset "
                   f"without factors: {','.join(factor_free_names())}); 'none' for diagnostics only")
    p.add_argument("--n", type=int, default=10_000, help="items to score (a seeded random subset when the data is larger)")
    p.add_argument("--seed", type=int, default=0)
