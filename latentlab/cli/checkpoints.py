"""``latentlab checkpoints [add]|import-checkpoint``: the shipped and the user's checkpoints, and models trained
elsewhere added as checkpoints (a class the user installed, ONNX files, a SAELens folder)."""

from __future__ import annotations

import argparse

from latentlab.cli.output import emit, ints, table


def cmd_import_checkpoint(args) -> None:
    from latentlab.checkpoints.format import import_checkpoint

    ck = import_checkpoint(args.manifest, args.weights, name=args.name)
    emit(args, {"name": ck.name, "model": ck.model_name, "path": str(ck.path)},
          f"imported checkpoint '{ck.name}' ({ck.model_name}, {ck.latent_dim} latent dimensions)")


def cmd_checkpoints(args) -> None:
    if getattr(args, "action", None) == "add":
        return cmd_add(args)
    from latentlab.checkpoints.manifests import list_checkpoints  # manifests only: no torch

    rows = list_checkpoints()
    emit(args, rows, table(rows, ["name", "source", "model", "dataset", "latent_dim", "beta", "step", "loss"]))


def floats(text: str) -> list[float]:
    try:
        return [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got '{text}'") from None


def preprocessing_of(args) -> dict | None:
    """The ``--scale/--mean/--std/--input-shape`` flags as the manifest's preprocessing (None when none is given)."""
    given = {"scale": args.scale, "mean": args.mean, "std": args.std,
             "input_shape": args.input_shape}
    given = {k: v for k, v in given.items() if v is not None}
    return given or None


def cmd_add(args) -> None:
    from latentlab.lab import add_checkpoint, capabilities

    ck = add_checkpoint(args.name, args.dataset, class_path=args.model_class, weights=args.weights, config=args.config,
                        onnx_encoder=args.onnx_encoder, onnx_decoder=args.onnx_decoder, saelens=args.saelens,
                        preprocessing=preprocessing_of(args))
    caps = capabilities(ck)
    m = ck.manifest
    kind = "Gaussian encoder (mean, logvar)" if caps.gaussian else "deterministic encoder"
    lines = [f"added checkpoint '{ck.name}': {ck.model.label}, {kind}, {ck.latent_dim} latent dimensions, "
             f"{'with' if caps.has_decoder else 'without'} a decoder, over {ck.dataset_name}"]
    lines += [f"  unavailable: {view} ({why})" for view, why in caps.missing.items()]
    emit(args, {"name": ck.name, "path": str(ck.path), "source": m["source"], "latent_dim": ck.latent_dim,
                "gaussian": caps.gaussian, "has_decoder": caps.has_decoder, "can_train": caps.can_train,
                "unavailable": caps.missing, "files": m["files"], "preprocessing": m["preprocessing"]}, "\n".join(lines))


def register(add, sub) -> None:
    p = add("checkpoints", cmd_checkpoints, "list shipped and user checkpoints; 'checkpoints add' adds a model trained "
                                            "elsewhere")
    actions = p.add_subparsers(dest="action", metavar="add")
    a = actions.add_parser("add", help="add a model trained elsewhere (a class, ONNX files or a SAELens folder) as a "
                                       "checkpoint over a dataset",
                           description="Add a model trained elsewhere as a checkpoint: a torch.nn.Module class with "
                                       "encode(x) (and optionally decode(z), loss(x)) and its safetensors weights, ONNX "
                                       "files, or a SAELens folder.")
    a.add_argument("--json", action="store_true", help="print JSON")
    a.add_argument("name", help="the checkpoint's name in the workspace")
    a.add_argument("--dataset", required=True, help="the dataset the model reads (its items' shape is probed)")
    source = a.add_mutually_exclusive_group(required=True)
    source.add_argument("--class", dest="model_class", metavar="PKG.MOD:CLASS|NAME",
                        help="the model class, imported from this environment, or a name an installed package "
                             "registers under the entry-point group latentlab.models")
    source.add_argument("--onnx-encoder", metavar="E.onnx", help="the encoder as an ONNX file (run by onnxruntime)")
    source.add_argument("--saelens", metavar="DIR", help="a SAELens folder (cfg.json, sae_weights.safetensors)")
    a.add_argument("--weights", metavar="W.safetensors", help="with --class: the module's state_dict in safetensors "
                   "(pickles are refused)")
    a.add_argument("--config", metavar="C.json", help="with --class: the constructor's keyword arguments as a JSON object")
    a.add_argument("--onnx-decoder", metavar="D.onnx", help="with --onnx-encoder: the decoder as an ONNX file")
    a.add_argument("--scale", type=float, help="preprocessing: multiply the dataset's float items (images in [0, 1]) by this")
    a.add_argument("--mean", type=floats, help="preprocessing: subtract this, one value or one per channel")
    a.add_argument("--std", type=floats, help="preprocessing: then divide by this, one value or one per channel")
    a.add_argument("--input-shape", type=ints, metavar="C,H,W", help="preprocessing: the model's own item shape "
                   "(the items are reshaped to it)")
    p = add("import-checkpoint", cmd_import_checkpoint, "validate a checkpoint (.json manifest + .safetensors) and add it")
    p.add_argument("manifest", help="the checkpoint's .json manifest")
    p.add_argument("--weights", help="its .safetensors file (default: the one the manifest names, beside it)")
    p.add_argument("--name", help="name in the workspace (default: the manifest's file name)")
