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
    if args.signal:
        _import_signals(args)
        return
    signal_flags = [f for f, v in (("--id", args.id), ("--time", args.time), ("--channels", args.channels),
                                   ("--factors", args.factors)) if v]
    if signal_flags:
        from latentlab.core.errors import LatentLabError

        raise LatentLabError(f"{signal_flags[0]} names a column of a long table of signals; add --signal.")
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


def _import_signals(args) -> None:
    from latentlab.core.errors import LatentLabError
    from latentlab.data.registry import import_signal_dataset

    if args.embedding:
        raise LatentLabError("--signal imports time series; leave out --embedding.")

    def columns(text):
        return [c.strip() for c in text.split(",") if c.strip()] if text else None

    ds = import_signal_dataset(args.path, args.name, id=args.id, time=args.time, channels=columns(args.channels),
                               labels=args.labels, factors=columns(args.factors), standardise=args.standardise)
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
    p.add_argument("--signal", action="store_true",
                   help="the file holds time series: an (N, T) or (N, C, T) NPY/NPZ array, or a long CSV, TSV or "
                        "Parquet table with one row per sample (--id, --time); values kept as given unless --standardise")
    p.add_argument("--id", metavar="COLUMN", help="with --signal: a long table's item column")
    p.add_argument("--time", metavar="COLUMN", help="with --signal: a long table's time column")
    p.add_argument("--channels", metavar="A,B", help="with --signal: a long table's value columns, one per channel "
                   "(default: every other numeric column)")
    p.add_argument("--factors", metavar="A,B", help="with --signal: a long table's integer factor columns, one value "
                   "per item")
    p.add_argument("--embedding", action="store_true",
                   help="the file holds precomputed embeddings: their values are kept as given")
    p.add_argument("--standardise", action="store_true",
                   help="scale each column to mean 0 and standard deviation 1 (always done for tables; for "
                        "embeddings only with this flag; with --signal, each channel)")
