"""``latentlab checkpoints|import-checkpoint``: the shipped and the user's checkpoints."""

from __future__ import annotations

from latentlab.cli.output import emit, table


def cmd_import_checkpoint(args) -> None:
    from latentlab.training.checkpoints import import_checkpoint

    ck = import_checkpoint(args.manifest, args.weights, name=args.name)
    emit(args, {"name": ck.name, "model": ck.model_name, "path": str(ck.path)},
          f"imported checkpoint '{ck.name}' ({ck.model_name}, {ck.latent_dim} latent dimensions)")


def cmd_checkpoints(args) -> None:
    from latentlab.training.checkpoints import list_checkpoints

    rows = list_checkpoints()
    emit(args, rows, table(rows, ["name", "source", "model", "dataset", "latent_dim", "beta", "step", "loss"]))


def register(add, sub) -> None:
    add("checkpoints", cmd_checkpoints, "list shipped and user checkpoints")
    p = add("import-checkpoint", cmd_import_checkpoint, "validate a checkpoint (.json manifest + .safetensors) and add it")
    p.add_argument("manifest", help="the checkpoint's .json manifest")
    p.add_argument("--weights", help="its .safetensors file (default: the one the manifest names, beside it)")
    p.add_argument("--name", help="name in the workspace (default: the manifest's file name)")
