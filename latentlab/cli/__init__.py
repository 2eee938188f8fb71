"""The ``latentlab`` command line, over the same facade the dashboard uses.

One module per command group registers its commands' flags beside their handlers (``register(add, sub)``);
``build_parser`` asks each group in turn. Errors a user can fix print one line on stderr and exit 2;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys

from latentlab.cli import admin, analysis, checkpoints, compare, data, export, features, jobs, sample, serve, text, train
from latentlab.cli import dynamics, figure, share
from latentlab.core.errors import LatentLabError

GROUPS = (data, train, checkpoints, analysis, text, features, sample, compare, export, serve, admin, jobs)  # in the order --help lists them
GROUPS = (*GROUPS[:-1], figure, share, GROUPS[-1])  # figures and shared maps before jobs
GROUPS = (*GROUPS[:-1], dynamics, GROUPS[-1])  # a run's formation over its snapshots

__all__ = ["GROUPS", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="latentlab", description="Explore, traverse, cluster and retrain latent spaces.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name, func, help_text, json_flag=True):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        if json_flag:
            p.add_argument("--json", action="store_true", help="print JSON")
        return p

    for group in GROUPS:
        group.register(add, sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except LatentLabError as exc:
        if args.debug:
            raise
        from latentlab.cli.wording import worded

        print(f"latentlab: error: {worded(exc, parser, args)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head and the like
        return 0
    except KeyboardInterrupt:
        print("latentlab: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"latentlab: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
