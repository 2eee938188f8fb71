"""``latentlab datasets|import``: the workspace's datasets."""

from __future__ import annotations

from latentlab.cli.output import emit, table


def cmd_datasets(args) -> None:
    from latentlab.data import list_datasets

    rows = list_datasets()
    emit(args, rows, table(rows, ["name", "kind", "source", "summary"]))


def cmd_import(args) -> None:
    from latentlab.data import import_dataset

    if args.text is not None:
        _import_texts(args)
        return
    if args.encoder is not None or args.background:
        from latentlab.core.errors import LatentLabError

        flag = "--encoder" if args.encoder is not None else "--background"
        raise LatentLabError(f"{flag} is for embedding a column of texts; name that column with --text.")
    ds = import_dataset(args.path, args.name, labels=args.labels, kind="embedding" if args.embedding else None,
                        standardise=True if args.standardise else None)
    emit(args, ds.summary(), f"imported '{ds.name}': {ds.description}")


def _import_texts(args) -> None:
    from latentlab.core.errors import LatentLabError
    from latentlab.core.progress import TqdmProgress
    from latentlab.data.registry import import_text_dataset

    if args.embedding or args.standardise:
        raise LatentLabError("--text embeds the texts with an encoder; leave out --embedding and --standardise.")
    if args.background:
        from latentlab.jobs import submit_text_import

        job = submit_text_import(args.path, args.name, args.text, labels=args.labels, encoder=args.encoder)
        emit(args, {"job": job}, f"submitted job {job}; follow it with 'latentlab jobs show {job}'")
        return
    with TqdmProgress(disable=args.json) as bar:
        ds = import_text_dataset(args.path, args.name, text=args.text, labels=args.labels, encoder=args.encoder,
                                 progress=bar)
    emit(args, ds.summary(), f"imported '{ds.name}': {ds.description}")


def register(add, sub) -> None:
    add("datasets", cmd_datasets, "list built-in and imported datasets")
    p = add("import", cmd_import, "register a file (CSV, TSV, Parquet, NPY, NPZ, ZIP of images; JSON Lines with --text) "
                                  "as a dataset")
    p.add_argument("path")
    p.add_argument("--name", required=True)
    p.add_argument("--labels", help="column (or NPZ array) holding labels")
    p.add_argument("--text", metavar="COLUMN", help="the column of documents: they are embedded by --encoder and kept "
                   "beside the vectors; the other columns stay as metadata")
    p.add_argument("--encoder", metavar="E", help="with --text: minilm (all-MiniLM-L6-v2, the default with "
                   "latentlab[text] installed), tfidf (TF-IDF + SVD, the weaker default without it) or a local "
                   "sentence-transformers model folder; nothing is downloaded")
    p.add_argument("--background", action="store_true", help="with --text: embed as a background job and return at "
                   "once (follow it with 'latentlab jobs show ID')")
    p.add_argument("--embedding", action="store_true",
                   help="the file holds precomputed embeddings: their values are kept as given")
    p.add_argument("--standardise", action="store_true",
                   help="scale each column to mean 0 and standard deviation 1 (always done for tables; for "
                        "embeddings only with this flag)")
