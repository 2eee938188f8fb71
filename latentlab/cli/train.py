"""The training flags shared by ``latentlab train`` and ``latentlab sweep``: one flag per config field of
every registry model, ``--config`` for any model's settings as JSON (an installed class's constructor arguments),
and the training loop's settings."""

from __future__ import annotations

import argparse
import dataclasses

from latentlab.cli.executor_flags import add_executor_flags, executor_from_args
from latentlab.core.errors import LatentLabError
from latentlab.jobs.executor import describe


def model_flag_fields() -> dict[str, dataclasses.Field]:
    """Every user-settable config field of every registry model, by name."""
    from latentlab.models import MODELS

    fields: dict[str, dataclasses.Field] = {}
    for cls in MODELS.values():
        for f in cls.config_cls.user_fields():
            fields.setdefault(f.name, f)
    return fields


def model_flags() -> dict[str, tuple[type, str | None]]:
    """Each model setting's flag: its type and help. From the models' config classes once they are imported (a
    plug-in or a test may have registered another model), else from the catalog, without importing torch."""
    import sys

    from latentlab.core.catalog import MODEL_FLAGS

    if "latentlab.models" not in sys.modules:
        return dict(MODEL_FLAGS)
    return {name: (type(f.default) if f.default is not None else str, f.metadata.get("help"))
            for name, f in model_flag_fields().items()}


def train_config(args):
    from latentlab.training.trainer import TrainConfig

    if args.epochs is not None and args.steps is not None:
        raise LatentLabError("Give --epochs or --steps, not both.")
    if args.lr <= 0 or args.batch_size < 1:
        raise LatentLabError("--lr must be positive and --batch-size at least 1.")
    return TrainConfig(
        epochs=args.epochs if args.steps is None else None, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
        seed=args.seed, device=args.device, checkpoint_every=args.checkpoint_every or 0,
        **snapshot_settings(args), loggers=run_loggers(args),
    )


def run_loggers(args) -> str:
    """``--log-to``'s value, checked here so that a logger that cannot be written stops the command at once."""
    from latentlab.training.loggers import chosen_loggers

    spec = getattr(args, "loggers", None) or "auto"
    chosen_loggers(spec)
    return spec


def snapshot_settings(args) -> dict:
    """The training snapshots' settings from their flags (checked against the run's length when it starts)."""
    return {"snapshots": not getattr(args, "no_snapshots", False), "snapshot_every": getattr(args, "snapshot_every", None),
            "snapshot_metrics_every": getattr(args, "snapshot_metrics_every", None) or 0}


def model_params(args) -> dict:
    """The model's settings: ``--config``'s JSON object, overridden by the flags given."""
    from latentlab.models.foreign_sources import read_config

    params = read_config(args.config) if getattr(args, "config", None) else {}
    params.update({name: getattr(args, name) for name in model_flag_fields() if getattr(args, name, None) is not None})
    return params


def add_train_flags(p: argparse.ArgumentParser) -> None:
    from latentlab.core.catalog import entries  # the models' names, without torch

    MODELS = entries("MODELS")

    p.add_argument("--dataset", required=True, help="dataset name (see 'latentlab datasets')")
    p.add_argument("--model", required=True, metavar="MODEL",
                   help=f"a registry model ({', '.join(MODELS)}) or, by its entry-point name, a class an installed "
                        "package registers under latentlab.models that provides loss(x)")
    p.add_argument("--config", metavar="C.json", help="the model's settings as a JSON object (for an installed class, "
                                                      "its constructor's keyword arguments); flags override it")
    for name, (typ, help_text) in model_flags().items():
        p.add_argument("--" + name.replace("_", "-"), dest=name, type=typ, default=None, help=help_text)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--epochs", type=int, default=None)
    g.add_argument("--steps", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--checkpoint-every", type=int, default=0, metavar="STEPS")
    p.add_argument("--log-to", dest="loggers", default=None, metavar="LOGGERS",
                   help="where the run's history goes besides its checkpoint: auto (metrics.csv, TensorBoard when "
                        "installed, MLflow when LATENTLAB_MLFLOW_URI is set) or a comma-separated list of csv, "
                        "tensorboard, mlflow")
    p.add_argument("--snapshot-every", type=int, default=None, metavar="STEPS",
                   help="steps between training snapshots of the probe set's codes (default: about 20 over the run)")
    p.add_argument("--snapshot-metrics-every", type=int, default=None, metavar="N",
                   help="score MIG and DCI on every N-th snapshot of a dataset with factors (default: never)")
    p.add_argument("--no-snapshots", action="store_true", help="record no training snapshots")


def cmd_train(args) -> None:
    from latentlab import lab
    from latentlab.cli.output import emit
    from latentlab.training.trainer import ProgressBar

    cfg = train_config(args)
    executor = executor_from_args(args)
    if args.background or executor:
        from latentlab.jobs import submit_train

        job = submit_train(args.dataset, args.model, model_params(args), cfg, name=args.name, executor=executor)
        if executor and not args.background:
            follow_to_end(args, job)
            return
        where = f" to {describe(executor)}" if executor else ""
        emit(args, {"job": job}, f"submitted job {job}{where}; follow it with 'latentlab jobs show {job}'")
        return
    callbacks = [] if args.json else [ProgressBar()]
    result = lab.train(args.dataset, args.model, model_params(args), cfg, name=args.name, callbacks=callbacks)
    emit(args, {"checkpoint": str(result.checkpoint), "name": result.name, "step": result.step, "terms": result.terms,
                 "samples_per_s": result.samples_per_s, "seconds": result.seconds},
          f"saved checkpoint '{result.name}' ({result.checkpoint}) after {result.step} steps, loss {result.terms.get('loss', float('nan')):.4f}")


def follow_to_end(args, job_id: int) -> None:
    """Follow a job sent to a cluster with a progress bar, as a run on this machine shows one; print how it ended."""
    from latentlab import jobs
    from latentlab.cli.follow import follow
    from latentlab.cli.output import emit

    job = follow(job_id, timeout=float("inf"), disable=args.json)
    if job.state != "succeeded":
        raise LatentLabError(job.error or f"Job {job.id} ended as {job.state}.")
    ckpt = job.params.get("name")
    emit(args, {**job.to_dict(), "history_rows": len(jobs.history(job.id))},
         f"job {job.id} on {job.node}: saved checkpoint '{ckpt}' after {job.step} steps, "
         f"loss {job.terms.get('loss', float('nan')):.4f}")


def register(add, sub) -> None:
    p = add("train", cmd_train, "train a model and save a checkpoint")
    add_train_flags(p)
    p.add_argument("--name", help="checkpoint name (default DATASET-MODEL)")
    p.add_argument("--background", action="store_true", help="run as a background job")
    add_executor_flags(p)
