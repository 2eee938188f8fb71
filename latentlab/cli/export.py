"""``latentlab export``: a checkpoint's model as files for use outside LatentLab (ONNX)."""

from __future__ import annotations

from latentlab.cli.output import emit


def cmd_export(args) -> None:
    from latentlab import lab

    info = lab.export_onnx(args.checkpoint, args.onnx)
    outputs = ", ".join(o["name"] for o in info["encoder"]["outputs"])
    shape = ", ".join(map(str, info["encoder"]["inputs"][0]["shape"]))
    decoder = ", decoder.onnx (code -> items)" if info["decoder"] else " (the model has no decoder)"
    emit(args, info, f"wrote {args.onnx}: encoder.onnx (items ({shape}) -> {outputs}){decoder} and export.json")


def register(add, sub) -> None:
    """The command, on the main parser's ``add`` (see ``latentlab.cli.build_parser``)."""
    p = add("export", cmd_export, "export a checkpoint's encoder and decoder as ONNX files (needs the onnx extra)")
    p.add_argument("checkpoint", help="checkpoint name or path (a LatentLab model, or a torch model brought from outside)")
    p.add_argument("--onnx", required=True, metavar="DIR",
                   help="new folder for encoder.onnx, decoder.onnx and export.json")
