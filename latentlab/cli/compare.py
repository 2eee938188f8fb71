"""``latentlab compare A B``: how similar two latent spaces of the same items are (``lab.compare``)."""

from __future__ import annotations

from latentlab.cli.output import check_out, emit, table


def cmd_compare(args) -> None:
    from latentlab import lab

    result = lab.compare(args.a, args.b, dataset=args.dataset, n=args.n, seed=args.seed, k=args.k, anchors=args.anchors)
    frame = result.to_frame()
    if args.out:
        frame.to_csv(check_out(args.out, (".csv",)), index=False)
    a, b = result.names
    scores = [("linear CKA", result.cka, ""),
              ("relative representations (cosine)", result.relative_similarity, f"  ({result.n_anchors} anchors)"),
              (f"kNN agreement (Jaccard, k={result.k})", result.knn_agreement, "")]
    lines = [f"{a} vs {b} on {result.n:,} items", *(f"  {label:<34} {value:.3f}{note}" for label, value, note in scores),
             f"best match in {b} of each latent of {a} (|Pearson r|):"]
    rows = frame.head(args.top).to_dict("records")
    text = "\n".join(lines) + "\n" + table(rows, ["latent_a", "best_match_b", "abs_r"])
    if len(frame) > args.top:
        text += f"\n({len(frame) - args.top} more; --top or --out for all)"
    emit(args, result.to_dict(), text)


def register(add, sub) -> None:
    """The command, on the main parser's ``add`` (see ``latentlab.cli.build_parser``)."""
    p = add("compare", cmd_compare, "compare two latent spaces of the same items: linear CKA, relative representations, "
                                    "kNN agreement and each latent's best-correlated latent in the other")
    p.add_argument("a", help="checkpoint (name or path) or dataset of vectors")
    p.add_argument("b", help="checkpoint (name or path) or dataset of vectors, of the same items")
    p.add_argument("--dataset", help="dataset both checkpoints encode (default: their training set, which must be the same)")
    p.add_argument("--n", type=int, default=10_000, help="items compared (a seeded sample of a larger dataset)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--k", type=int, default=10, help="neighbours per item for the kNN agreement")
    p.add_argument("--anchors", type=int, default=256, help="anchor items of the relative representations")
    p.add_argument("--top", type=int, default=20, help="latents of A to print")
    p.add_argument("--out", help="write every latent's best match to this CSV file")
