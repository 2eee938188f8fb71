"""``latentlab dynamics``: how a run's latent space formed, from its training snapshots: the aligned maps of its
probe set over the steps as an animated GIF (``--out``) or as JSON (``--json``), and each snapshot's diagnostics."""

from __future__ import annotations

from latentlab.cli.output import check_out, emit, table

METHODS = ("procrustes", "aligned-umap", "independent")  # analysis.projection.aligned.METHODS, without its imports


def cmd_dynamics(args) -> None:
    from latentlab import lab
    from latentlab.analysis.dynamics import formation_gif
    from latentlab.core.workspace import atomic_path

    out = check_out(args.out, (".gif",)) if args.out else None
    dyn = lab.dynamics(args.run, method=args.method, seed=args.seed, colours=bool(out))
    if out is not None:
        gif = formation_gif(dyn, colour_by=args.colour_by or default_colouring(dyn))
        with atomic_path(out) as tmp:
            tmp.write_bytes(gif)
    if args.json:
        emit(args, dyn.to_json())
        return
    rows = [{"step": f["step"], "active units": f.get("active_units"), "recon error": f.get("recon_error"),
             **(f.get("metrics") or {})} for f in dyn.frames()]
    columns = ["step", "active units", "recon error", *dyn.metric_names()]
    wrote = f"\nwrote {out}: {len(dyn.steps)} frames of {len(dyn.probe):,} probe items" if out else ""
    print(table(rows, columns) + wrote)


def default_colouring(dyn) -> str | None:
    return "label" if "label" in dyn.colours else ("final cluster" if "final cluster" in dyn.colours else None)


def register(add, sub) -> None:
    """The command, on the main parser's ``add`` (see ``latentlab.cli.build_parser``)."""
    p = add("dynamics", cmd_dynamics, "watch a run's latent space form: aligned maps of its training snapshots")
    p.add_argument("run", help="the run's checkpoint name or path (a run trained here with snapshots)")
    p.add_argument("--out", metavar="FRAMES.gif", help="write the maps over the steps as an animated GIF")
    p.add_argument("--method", default="procrustes", choices=METHODS,
                   help="how consecutive maps are aligned (default procrustes: each map starts from the one before)")
    p.add_argument("--colour-by", dest="colour_by", metavar="NAME",
                   help="the GIF's colouring: label, 'factor: NAME' or 'final cluster' (default label)")
    p.add_argument("--seed", type=int, default=0)
