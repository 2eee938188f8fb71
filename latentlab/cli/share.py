"""``latentlab share CK|DATASET --out map.html``: a map as one HTML file that opens from disk with no server and no
network (pan, zoom, colours, hover, search, lasso); see ``latentlab.figures.share``."""

from __future__ import annotations

from latentlab.cli.output import emit


def cmd_share(args) -> None:
    from latentlab.figures.output import check_out
    from latentlab.figures.share import share_map

    check_out(args.out, ("html",))  # a bad path fails before any work
    path = share_map(args.source, args.dataset, args.out, args.method, args.color, args.labels, seed=args.seed)
    size = path.stat().st_size
    emit(args, {"out": str(path), "bytes": size}, f"wrote {path} ({size / 1e6:,.1f} MB); open it in a browser")


def register(add, sub) -> None:
    """The command, on the main parser's ``add`` (see ``latentlab.cli.build_parser``)."""
    p = add("share", cmd_share, "write a map as one HTML file that opens from disk, with no server and no network")
    p.add_argument("source", metavar="CK|DATASET", help="checkpoint (name or path), or a dataset of vectors")
    p.add_argument("--dataset", help="dataset to encode (default: the checkpoint's training set)")
    p.add_argument("--out", required=True, help="output file, .html")
    p.add_argument("--method", default="umap", help="projection (umap, pca, tsne, ...)")
    p.add_argument("--color", default="label", help="the first colouring: label, cluster, factor:NAME or latent:K")
    p.add_argument("--labels", default="clusters", help="clusters, keywords (text datasets), none, or FILE.csv")
    p.add_argument("--seed", type=int, default=0)
