"""``latentlab traverse``, ``interpolate`` and ``intervene``: a model's decoder driven from its latent space."""

from __future__ import annotations

from latentlab.cli.output import check_out, emit, ints, write_csv
from latentlab.core.workspace import atomic_path


def _figure_labels(ck, ds, tr, args) -> tuple[str, list[list[str]], set[int]]:
    """``--labels``: the figure's title, each row's label (the latent and its KL, or its codes' variance, on a
    seeded sample of the dataset; a direction's name) and the rows of passive latents."""
    from latentlab import lab
    from latentlab.core.render import latent_labels
    from latentlab.core.rows import row_sample

    centre = ("the prior mean" if ck.model.prior_frame() is not None else "the central item's code"
              if ck.model.codebook_values() is not None else "the codes' mean")  # as lab.traverse starts
    base = (f"from item #{args.index}" if args.index is not None else f"from component {args.component}'s mean"
            if args.component is not None else f"from {centre}")
    if tr.direction is not None:
        where = tr.direction.description if tr.direction.ends is not None else f"{base}; along {tr.direction.description}"
        return f"{ck.name} · {where}", [[tr.direction.name]], set()
    rows = None if len(ds) <= lab.DEFAULT_ITEMS else row_sample(len(ds), lab.DEFAULT_ITEMS, 0)
    emb = lab.embed(ck, ds, rows=rows)
    passive = set(lab.passive_dims(emb))
    labels = latent_labels(tr.dims, emb.activity(), "KL" if emb.kl is not None else "var", passive)
    return f"{ck.name} · {base}; columns: the latent's value", labels, {r for r, d in enumerate(tr.dims) if d in passive}


def cmd_traverse(args) -> None:
    from pathlib import Path

    from latentlab import lab
    from latentlab.core.errors import LatentLabError
    from latentlab.core.render import gif_bytes, image_grid, labelled_gif, labelled_grid, labelled_traversal, value_text

    ck = lab.load_checkpoint(args.checkpoint)
    ds = lab.dataset_for(ck, args.dataset)
    tr = lab.traverse(ck, ds, index=args.index, dims=args.dims, steps=args.steps, span=args.range, direction=args.direction,
                      component=args.component)
    rows, columns = tr.values.shape
    labelled = args.labels and (ds.kind == "image" or ds.is_signal) and not str(args.out).lower().endswith(".csv")
    if ds.kind == "image":
        out = check_out(args.out, (".png", ".gif"))
        title, labels, faint = _figure_labels(ck, ds, tr, args) if labelled else (None, None, set())
        if out.suffix.lower() == ".gif":
            if rows != 1:
                raise LatentLabError(f"A GIF shows one row, but this traversal has {rows}; pick one with --dims D or "
                                     "--direction, or write a .png.")
            if labelled:
                name, sep = (tr.direction.name, " ") if tr.direction is not None else (f"z{tr.dims[0]}", " = ")
                captions = [f"{name}{sep}{value_text(v)}" for v in tr.values[0]]
                data = labelled_gif(tr.items[0], captions, " · ".join([ck.name, *labels[0]]))
            else:
                data = gif_bytes(tr.items[0])
            with atomic_path(out) as tmp:
                Path(tmp).write_bytes(data)
        elif labelled:
            labelled_traversal(tr.items, labels, tr.values, title, faint).save(out)
        else:
            image_grid(tr.items).save(out)
    elif ds.is_signal:  # curves: small multiples (a row per latent), or their values as a long table
        from latentlab.analysis.decoding.curves import traversal_curves
        from latentlab.core.curve_render import curve_grid

        out = check_out(args.out, (".png", ".csv"))
        if out.suffix.lower() == ".png" and labelled:
            cell, pad = (120, 72), 3
            title, labels, faint = _figure_labels(ck, ds, tr, args)
            labelled_grid(curve_grid(tr.items, cell, pad), cell, pad, labels, tr.values, title, faint).save(out)
        elif out.suffix.lower() == ".png":
            curve_grid(tr.items).save(out)
        else:
            row = "dim" if tr.dims else "direction"
            write_csv(traversal_curves(tr.items, ds, tr.dims or [tr.direction.name], tr.values, row), out, index=False)
    else:
        out = check_out(args.out, (".csv",))
        write_csv(tr.to_table(ds.feature_names), out, index=False)
    what = f"along {tr.direction.description}" if tr.direction else f"{rows} dims"
    emit(args, {"out": str(out), "dims": tr.dims, "steps": columns, "direction": tr.direction and tr.direction.name},
         f"wrote {out} ({what} x {columns} steps)")


def cmd_interpolate(args) -> None:
    import pandas as pd

    from latentlab import lab
    from latentlab.core.render import image_grid

    ck = lab.load_checkpoint(args.checkpoint)
    ds = lab.dataset_for(ck, args.dataset)
    items = lab.interpolate(ck, ds, start=getattr(args, "from"), end=args.to, steps=args.steps, spherical=args.slerp)
    if ds.kind == "image":
        out = check_out(args.out, (".png",))
        image_grid(items[None]).save(out)
    elif ds.is_signal:
        import numpy as np

        from latentlab.analysis.decoding.curves import curves_frame
        from latentlab.core.curve_render import curve_grid

        out = check_out(args.out, (".png", ".csv"))
        if out.suffix.lower() == ".png":
            curve_grid(items[None]).save(out)
        else:
            write_csv(curves_frame(items, ds, {"step": np.arange(len(items))}), out, index=False)
    else:
        out = check_out(args.out, (".csv",))
        write_csv(pd.DataFrame(items.reshape(len(items), -1), columns=ds.feature_names), out, index_label="step")
    emit(args, {"out": str(out), "steps": args.steps}, f"wrote {out} ({args.steps} steps)")


def cmd_intervene(args) -> None:
    import numpy as np

    from latentlab import lab
    from latentlab.core.errors import LatentLabError
    from latentlab.core.render import image_grid

    ck = lab.load_checkpoint(args.checkpoint)
    ds = lab.dataset_for(ck, args.dataset)
    out = check_out(args.out, (".csv",))
    maps = check_out(args.maps, (".png",)) if args.maps else None
    if maps is not None and ds.kind != "image":
        raise LatentLabError(f"--maps draws images, but '{ds.name}' holds {ds.kind} items; leave it out.")
    result = lab.intervene(ck, ds, dims=args.dims, directions=args.direction, n=args.n, span=args.range, seed=args.seed)
    frame = result.to_frame()
    write_csv(frame, out, index=False)
    if maps is not None:
        effect = result.output_effect / max(float(result.output_effect.max()), 1e-12)  # one scale for every target
        with atomic_path(maps) as tmp:
            image_grid(effect[None]).save(tmp, format="PNG")
    strongest = {}
    if result.factor_effect is not None:
        for t, target in enumerate(result.targets):
            row = result.factor_effect[t]
            if np.isfinite(row).any():
                strongest[target] = result.factor_names[int(np.nanargmax(row))]
    text = f"wrote {out} ({len(result.targets)} targets x {len(result.factor_names)} factors, {result.n} items)"
    emit(args, {"out": str(out), "maps": str(maps) if maps else None, "targets": result.targets,
                "factors": result.factor_names, "strongest": strongest}, text)


def register(with_ckpt) -> None:
    """The commands, each on ``with_ckpt`` (``cli.analysis.register``'s parser with a checkpoint and --dataset)."""
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
                   ".png (curves) or .csv (their values, one row per sample) for signals, .csv for tables")
    p.add_argument("--labels", action="store_true", help="write a figure that reads on its own: each row's latent and "
                   "its KL (or variance), the values on the columns; a GIF enlarged to 256 px, each frame's value on it")
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
