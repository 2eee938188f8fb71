"""``latentlab search``: a text dataset's items nearest in meaning to a query."""

from __future__ import annotations

from latentlab.cli.output import emit

PREVIEW = 120  # characters of each hit's text on the terminal (--json gives the whole text)


def cmd_search(args) -> None:
    from latentlab import lab

    hits = lab.search(args.dataset, args.query, k=args.k)
    lines = [f"{h.similarity:6.3f}  #{h.index:<7} " + " ".join(h.text.split())[:PREVIEW] for h in hits]
    emit(args, {"dataset": args.dataset, "query": args.query, "hits": [h.to_dict() for h in hits]},
         "\n".join(lines) or "(no hits)")


def register(add, sub) -> None:
    p = add("search", cmd_search, "search a text dataset by meaning: the items nearest to a query, by cosine "
                                  "similarity of its embedding (made by the dataset's encoder)")
    p.add_argument("dataset")
    p.add_argument("query")
    p.add_argument("--k", type=int, default=10, help="hits to return")
