"""``latentlab features`` (feature densities, dead features and rankings of a checkpoint's codes) and
``latentlab codes`` (a checkpoint's codes saved as a dataset to train a sparse autoencoder on)."""

from __future__ import annotations

from latentlab.cli.output import check_out, emit, table


def cmd_codes(args) -> None:
    from latentlab.analysis.codes_datasets import save_codes_dataset

    ds = save_codes_dataset(args.checkpoint, args.dataset, name=args.name, overwrite=args.overwrite)
    emit(args, ds.summary(), f"saved dataset '{ds.name}': {ds.description} Train on it with: latentlab train "
                             f"--dataset {ds.name} --model topk-sae")


def cmd_features(args) -> None:
    from latentlab import lab
    from latentlab.analysis import sae_features
    from latentlab.core.errors import LatentLabError

    emb = lab.embed(args.checkpoint, args.dataset)
    ds = lab.as_dataset(args.dataset) if args.checkpoint is None else lab.dataset_for(lab.load_checkpoint(args.checkpoint), args.dataset)
    stats = sae_features.feature_stats(emb.mean)
    split = None
    if args.label is not None or sae_features.RANKINGS[args.by].needs_labels:
        labels = ds.labels if args.label in (None, ds.label_name) else None
        if args.label not in (None, ds.label_name):
            if ds.factors is None or args.label not in ds.factors.columns:
                raise LatentLabError(f"--label {args.label}: {ds.name} has no such label or factor; use {ds.label_name!r} "
                                     "or one of its factors.")
            labels = ds.factors[args.label].to_numpy()
        if labels is None:
            raise LatentLabError(f"Dataset '{ds.name}' has no labels to split by; rank by density or rare instead.")
        split = sae_features.label_split(emb.mean, labels, stats)
    ranked = sae_features.rank_features(sae_features.feature_table(stats, split), args.by)
    if args.out:
        ranked.to_csv(check_out(args.out, (".csv",)), index=False)
    rows = ranked.head(args.top).to_dict("records")
    summary = {"features": stats.n_features, "items": stats.n_items, "sparse": stats.sparse,
               "dead": int(stats.dead.sum()), "features_per_item": stats.l0}
    columns = ["feature", "density", "mean activation"] + (["best class", "precision", "MI (bits)"] if split else [])
    text = (f"{stats.n_features} features over {stats.n_items:,} items ({'sparse' if stats.sparse else 'dense'} codes): "
            f"{summary['dead']} dead, {stats.l0:.3g} firing per item\n" + table(rows, columns))
    emit(args, {**summary, "ranking": args.by, "top": rows}, text)


def register(add, sub) -> None:
    """The two commands, on the main parser's ``add`` (see ``latentlab.cli.build_parser``)."""
    from latentlab.core.catalog import FEATURE_RANKINGS as RANKINGS  # the rankings' titles, without numpy and pandas

    p = add("codes", cmd_codes, "save a checkpoint's latent means as a dataset (with the items' labels and factors), "
                                "to train a sparse autoencoder on")
    p.add_argument("checkpoint", help="checkpoint name or path")
    p.add_argument("--dataset", help="dataset to encode (default: the checkpoint's training set)")
    p.add_argument("--name", help="the new dataset's name (default CHECKPOINT-codes)")
    p.add_argument("--overwrite", action="store_true", help="replace a dataset of that name")
    p = add("features", cmd_features, "feature densities, dead features and features ranked by density or label split")
    p.add_argument("checkpoint", nargs="?", default=None,
                   help="checkpoint name or path; leave out to use a dataset of precomputed embeddings as it is")
    p.add_argument("--dataset", help="dataset (default: the checkpoint's training set)")
    p.add_argument("--by", default="density", choices=list(RANKINGS),
                   help="; ".join(f"{k}: {title}" for k, title in RANKINGS.items()))
    p.add_argument("--label", help="the label or factor a label split uses (default: the dataset's labels)")
    p.add_argument("--top", type=int, default=20, help="features to print")
    p.add_argument("--out", help="write the whole ranked table to this CSV file")
