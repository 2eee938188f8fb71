"""The ``latentlab`` command line, over the same facade the dashboard uses.

Errors a user can fix print one line on stderr and exit 2; ``--debug`` shows
the traceback instead.
"""

from __future__ import annotations

import argparse
import sys

from latentlab.cli.analysis import (cmd_cluster, cmd_embed, cmd_interpolate, cmd_intervene, cmd_metrics, cmd_project, cmd_traverse)
from latentlab.cli.compare import add_compare_command
from latentlab.cli.features import add_feature_commands
from latentlab.cli.output import emit, ints, parse_value, table
from latentlab.cli.sample import add_sample_command
from latentlab.cli.train import add_train_flags, model_params, train_config
from latentlab.core.errors import LatentLabError
from latentlab.cli.jobs import add_job_commands

__all__ = ["build_parser", "main", "parse_value"]


# ---------------------------------------------------------------- commands


def cmd_datasets(args) -> None:
    from latentlab.data import list_datasets

    rows = list_datasets()
    emit(args, rows, table(rows, ["name", "kind", "source", "summary"]))


def cmd_import(args) -> None:
    from latentlab.data import import_dataset

    ds = import_dataset(args.path, args.name, labels=args.labels, kind="embedding" if args.embedding else None)
    emit(args, ds.summary(), f"imported '{ds.name}': {ds.description}")


def cmd_train(args) -> None:
    from latentlab import lab
    from latentlab.training.trainer import ProgressBar

    cfg = train_config(args)
    if args.background:
        from latentlab.jobs import submit_train

        job = submit_train(args.dataset, args.model, model_params(args), cfg, name=args.name)
        emit(args, {"job": job}, f"submitted job {job}; follow it with 'latentlab jobs show {job}'")
        return
    callbacks = [] if args.json else [ProgressBar()]
    result = lab.train(args.dataset, args.model, model_params(args), cfg, name=args.name, callbacks=callbacks)
    emit(args, {"checkpoint": str(result.checkpoint), "name": result.name, "step": result.step, "terms": result.terms,
                 "samples_per_s": result.samples_per_s, "seconds": result.seconds},
          f"saved checkpoint '{result.name}' ({result.checkpoint}) after {result.step} steps, loss {result.terms.get('loss', float('nan')):.4f}")


def cmd_import_checkpoint(args) -> None:
    from latentlab.training.checkpoints import import_checkpoint

    ck = import_checkpoint(args.manifest, args.weights, name=args.name)
    emit(args, {"name": ck.name, "model": ck.model_name, "path": str(ck.path)},
          f"imported checkpoint '{ck.name}' ({ck.model_name}, {ck.latent_dim} latent dimensions)")


def cmd_checkpoints(args) -> None:
    from latentlab.training.checkpoints import list_checkpoints

    rows = list_checkpoints()
    emit(args, rows, table(rows, ["name", "source", "model", "dataset", "latent_dim", "beta", "step", "loss"]))


def cmd_serve(args) -> None:
    import subprocess

    from latentlab.core.workspace import dashboard_root

    app = dashboard_root() / "app.py"
    if not app.exists():
        raise LatentLabError(f"The dashboard's app.py was not found at {app}; reinstall LatentLab (pip install latentlab).")
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(args.port), "--server.headless", "true"]
    raise SystemExit(subprocess.call(cmd, cwd=app.parent))


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="latentlab", description="Explore, traverse, cluster and retrain latent spaces.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name, func, help_text, json_flag=True):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        if json_flag:
            p.add_argument("--json", action="store_true", help="print JSON")
        return p

    add("datasets", cmd_datasets, "list built-in and imported datasets")
    p = add("import", cmd_import, "register a file (CSV, TSV, Parquet, NPY, NPZ, ZIP of images) as a dataset")
    p.add_argument("path")
    p.add_argument("--name", required=True)
    p.add_argument("--labels", help="column (or NPZ array) holding labels")
    p.add_argument("--embedding", action="store_true", help="the file holds precomputed embeddings")

    p = add("train", cmd_train, "train a model and save a checkpoint")
    add_train_flags(p)
    p.add_argument("--name", help="checkpoint name (default DATASET-MODEL)")
    p.add_argument("--background", action="store_true", help="run as a background job")

    add("checkpoints", cmd_checkpoints, "list shipped and user checkpoints")
    p = add("import-checkpoint", cmd_import_checkpoint, "validate a checkpoint (.json manifest + .safetensors) and add it")
    p.add_argument("manifest", help="the checkpoint's .json manifest")
    p.add_argument("--weights", help="its .safetensors file (default: the one the manifest names, beside it)")
    p.add_argument("--name", help="name in the workspace (default: the manifest's file name)")

    def with_ckpt(name, func, help_text, optional=False):
        q = add(name, func, help_text)
        if optional:
            q.add_argument("checkpoint", nargs="?", default=None,
                           help="checkpoint name or path; leave out to use a dataset of precomputed embeddings as it is")
        else:
            q.add_argument("checkpoint", help="checkpoint name or path")
        q.add_argument("--dataset", help="dataset (default: the checkpoint's training set)")
        return q

    from latentlab.analysis.clustering import CLUSTERERS  # the registries name the methods: a new one appears here too
    from latentlab.analysis.clustering.model import MODEL_METHOD
    from latentlab.analysis.metrics import METRICS
    from latentlab.analysis.projection import PROJECTORS

    p = with_ckpt("embed", cmd_embed, "encode a dataset: means, log-variances, KL, reconstruction error")
    p.add_argument("--out", required=True)
    p = with_ckpt("project", cmd_project, "project the latent means (or a dataset's vectors) with UMAP, PCA or t-SNE", True)
    p.add_argument("--method", default="umap", choices=list(PROJECTORS))
    p.add_argument("--dims", type=int, default=2, choices=[2, 3])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--param", action="append", metavar="NAME=VALUE", help="method parameter, e.g. n_neighbors=30")
    p.add_argument("--out", required=True)
    p = with_ckpt("cluster", cmd_cluster, "cluster the latent means (or a dataset's vectors) or their projection", True)
    p.add_argument("--method", default="kmeans", choices=[*CLUSTERERS, MODEL_METHOD],
                   help="a clustering method, or 'model': the clusters of a model that clusters its codes (such as dec)")
    p.add_argument("--k", type=int)
    p.add_argument("--beside-kmeans", action="store_true",
                   help="with --method model: also run k-means with the model's k on the same latent means and print "
                        "both clusterings' scores and how far they agree")
    p.add_argument("--on", default="latent", choices=["latent", "projection"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--param", action="append", metavar="NAME=VALUE")
    p.add_argument("--out", required=True)
    p = with_ckpt("traverse", cmd_traverse, "decode a traversal grid (rows = dims, columns = values)")
    p.add_argument("--index", type=int, help="base item (default: the prior mean)")
    p.add_argument("--component", type=int, help="start from this component's mean (a mixture prior: gmvae)")
    p.add_argument("--dims", type=ints, help="comma-separated latent dims (default: all)")
    p.add_argument("--steps", type=int, default=9)
    p.add_argument("--range", type=float, default=3.0, help="values span -R..R in prior units (a quantized model's "
                   "latents step through their codebooks instead)")
    p.add_argument("--direction", help="one row along a direction instead of the axes: centroid:A-B (label classes), "
                   "pca:K, probe:label=V or probe:FACTOR")
    p.add_argument("--out", required=True, help=".png (or .gif for one row: a dimension or a direction) for images, "
                   ".csv for tables")
    p = with_ckpt("interpolate", cmd_interpolate, "decode a path between two items' codes")
    p.add_argument("--from", type=int, required=True)
    p.add_argument("--to", type=int, required=True)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--slerp", action="store_true", help="spherical instead of linear")
    p.add_argument("--out", required=True)
    p = with_ckpt("intervene", cmd_intervene, "push each latent (or a direction) to its extremes across many items and "
                  "measure what changes in the output and in probes of the factors")
    p.add_argument("--dims", type=ints, help="comma-separated latent dims (default: all)")
    p.add_argument("--direction", action="append", default=[], metavar="SPEC",
                   help="also intervene along a direction (centroid:A-B, pca:K, probe:label=V, probe:FACTOR); repeatable")
    p.add_argument("--n", type=int, default=256, help="items to intervene on")
    p.add_argument("--range", type=float, default=3.0, help="extremes at -R and +R in prior units")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--maps", help="also write each target's mean output change as images (.png, image data only)")
    p.add_argument("--out", required=True, help=".csv: one row per target, its mean output change and effect per factor")
    p = with_ckpt("metrics", cmd_metrics, "disentanglement metrics and latent diagnostics")
    p.add_argument("--metrics", default=None, help=f"comma-separated ({','.join(METRICS)}); default all; 'none' for "
                   "diagnostics only")
    p.add_argument("--n", type=int, default=10_000, help="items to score (a seeded random subset when the data is larger)")
    p.add_argument("--seed", type=int, default=0)
    add_feature_commands(add)
    add_sample_command(add)
    add_compare_command(add)
    p = add("serve", cmd_serve, "start the dashboard", json_flag=False)
    p.add_argument("--port", type=int, default=8501)

    add_job_commands(sub, add)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except LatentLabError as exc:
        if args.debug:
            raise
        print(f"latentlab: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head and the like
        return 0
    except KeyboardInterrupt:
        print("latentlab: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"latentlab: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
