"""``latentlab figure map|traversal|metrics|compare|clusters ... --out FILE``: figures for papers (PDF, SVG, PNG),
the same ones ``ll.figures`` returns and the pages' "Download figure" controls write."""

from __future__ import annotations

from latentlab.cli.output import emit, ints

KINDS = ("map", "traversal", "metrics", "compare", "clusters")


def cmd_figure(args) -> None:
    from latentlab import figures
    from latentlab.figures.output import check_out
    from latentlab.figures.style import check_style

    check_out(args.out)  # a bad path fails before any work
    check_style(args.style)
    look = {"style": args.style, "width_mm": args.width_mm, "dpi": args.dpi}
    if args.kind == "map":
        fig = figures.map(args.source, args.dataset, args.method, args.color, args.labels, seed=args.seed, **look)
    elif args.kind == "traversal":
        fig = figures.traversal(args.source, args.dataset, args.latents, args.span, args.steps, args.index, **look)
    elif args.kind == "metrics":
        fig = figures.metrics(args.source, args.dataset, args.matrix, **look)
    elif args.kind == "compare":
        fig = figures.compare(args.source, args.other, args.dataset, args.method, args.color, seed=args.seed, **look)
    else:
        fig = figures.clusters(args.source, args.dataset, args.method, args.labels, args.k, seed=args.seed, **look)
    path = figures.save(fig, args.out, args.dpi)
    emit(args, {"out": str(path), "kind": args.kind, "bytes": path.stat().st_size},
         f"wrote {path} ({path.stat().st_size / 1e3:,.0f} kB)")


def _common(p, source_help: str) -> None:
    p.add_argument("source", metavar="CK", help=source_help)
    p.add_argument("--dataset", help="dataset to encode (default: the checkpoint's training set)")
    p.add_argument("--out", required=True, help="output file: .pdf, .svg or .png")
    p.add_argument("--width-mm", type=float, default=180.0, help="figure width in millimetres (88: one column)")
    p.add_argument("--dpi", type=int, default=300, help="PNG resolution, and the points' raster in PDF and SVG")
    p.add_argument("--style", default="paper", help="paper or dark")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_figure)


def register(add, sub) -> None:
    """The command, on the main parser's ``add`` (see ``latentlab.cli.build_parser``)."""
    p = add("figure", cmd_figure, "write a figure for a paper (map, traversal, metrics, compare, clusters) as PDF, "
                                  "SVG or PNG", json_flag=False)
    kinds = p.add_subparsers(dest="kind", required=True, metavar="KIND")
    m = kinds.add_parser("map", help="the projection with its clusters named", description="the projection, "
                         "coloured, with cluster names placed so that none overlaps another or hides dense regions")
    _common(m, "checkpoint (name or path), or a dataset of vectors")
    m.add_argument("--method", default="umap", help="projection (umap, pca, tsne, ...)")
    m.add_argument("--color", default="label", help="label, cluster, factor:NAME or latent:K")
    m.add_argument("--labels", default="clusters", help="clusters, keywords (text datasets), none, or FILE.csv of "
                                                        "cluster,name rows")
    t = kinds.add_parser("traversal", help="the traversal grid, rows named by latent and KL")
    _common(t, "checkpoint (name or path)")
    t.add_argument("--latents", type=ints, help="comma-separated latents (default: the five most active)")
    t.add_argument("--span", type=float, default=3.0, help="standard deviations each side")
    t.add_argument("--steps", type=int, default=7, help="columns")
    t.add_argument("--index", type=int, help="item whose code is the base point (default: the prior mean)")
    s = kinds.add_parser("metrics", help="the factor x latent matrix as an annotated heatmap, with the scores")
    _common(s, "checkpoint (name or path) of a model of a dataset with ground-truth factors")
    s.add_argument("--matrix", default="mi", help="mi (MIG's mutual information) or importance (DCI's)")
    c = kinds.add_parser("compare", help="two aligned maps with their similarity scores")
    _common(c, "checkpoint A (name or path)")
    c.add_argument("other", metavar="B", help="checkpoint B, of the same items")
    c.add_argument("--method", default="umap", help="projection (umap, pca, tsne, ...)")
    c.add_argument("--color", default="label", help="label, cluster, factor:NAME or latent:K")
    k = kinds.add_parser("clusters", help="the map with each cluster's rule (threshold tree) beside it")
    _common(k, "checkpoint (name or path), or a dataset of vectors")
    k.add_argument("--method", default="umap", help="projection (umap, pca, tsne, ...)")
    k.add_argument("--labels", default="clusters", help="clusters, keywords, or FILE.csv of cluster,name rows")
    k.add_argument("--k", type=int, help="k-means clusters (default: k-means' own default)")
