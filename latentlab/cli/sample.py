"""``latentlab sample``: decode codes drawn from a checkpoint's prior (or one component of a mixture
prior) into a PNG grid for image data or a CSV table for tabular data."""

from __future__ import annotations

from pathlib import Path

from latentlab.cli.output import check_out, emit
from latentlab.core.workspace import atomic_path


def cmd_sample(args) -> None:
    from latentlab import lab
    from latentlab.analysis.decoding.sampling import sample_picture, sample_rows
    from latentlab.core.render import png_bytes

    ck = lab.load_checkpoint(args.checkpoint)
    ds = lab.dataset_for(ck, args.dataset)
    out = check_out(args.out, (".png",) if ds.kind == "image" else (".csv",))
    items = lab.sample(ck, n=args.n, component=args.component, seed=args.seed)
    with atomic_path(out) as tmp:
        if ds.kind == "image":
            Path(tmp).write_bytes(png_bytes(sample_picture(items, args.columns)))
        else:
            sample_rows(items, ds.feature_names).to_csv(tmp, index_label="sample")
    source = "the whole prior" if args.component is None else f"component {args.component}"
    emit(args, {"out": str(out), "n": len(items), "component": args.component, "seed": args.seed},
         f"wrote {out} ({len(items)} samples from {source}, seed {args.seed})")


def register(add, sub) -> None:
    """The command, on the main parser's ``add`` (see ``latentlab.cli.build_parser``)."""
    p = add("sample", cmd_sample, "decode samples from a checkpoint's prior (or one component of a mixture prior)")
    p.add_argument("checkpoint", help="checkpoint name or path (of a model with a prior, such as a vae or a gmvae)")
    p.add_argument("--dataset", help="dataset whose item kind and feature names to use (default: the checkpoint's "
                   "training set)")
    p.add_argument("--component", type=int, help="sample from this component of a mixture prior (default: the whole prior)")
    p.add_argument("--n", type=int, default=16, help="how many samples")
    p.add_argument("--seed", type=int, default=0, help="seed of the draw; the same seed gives the same samples")
    p.add_argument("--columns", type=int, help="columns of the PNG grid (default: about square)")
    p.add_argument("--out", required=True, help=".png grid for images, .csv for tables")
