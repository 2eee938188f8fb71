"""``latentlab datasets|import``: the workspace's datasets."""

from __future__ import annotations

from latentlab.cli.output import emit, table


def cmd_datasets(args) -> None:
    from latentlab.data import list_datasets

    rows = list_datasets()
    emit(args, rows, table(rows, ["name", "kind", "source", "summary"]))


def cmd_import(args) -> None:
    from latentlab.data import import_dataset

    ds = import_dataset(args.path, args.name, labels=args.labels, kind="embedding" if args.embedding else None,
                        standardise=True if args.standardise else None)
    emit(args, ds.summary(), f"imported '{ds.name}': {ds.description}")


def register(add, sub) -> None:
    add("datasets", cmd_datasets, "list built-in and imported datasets")
    p = add("import", cmd_import, "register a file (CSV, TSV, Parquet, NPY, NPZ, ZIP of images) as a dataset")
    p.add_argument("path")
    p.add_argument("--name", required=True)
    p.add_argument("--labels", help="column (or NPZ array) holding labels")
    p.add_argument("--embedding", action="store_true",
                   help="the file holds precomputed embeddings: their values are kept as given")
    p.add_argument("--standardise", action="store_true",
                   help="scale each column to mean 0 and standard deviation 1 (always done for tables; for "
                        "embeddings only with this flag)")
