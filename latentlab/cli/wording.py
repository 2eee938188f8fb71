"""The command line's words for an engine error: each parameter the message names, as the flag that sets it.

The table is the parser itself: every ``add_argument``'s ``dest`` is the parameter it sets, so the flag of
``ray_address`` is whatever ``--ray-address`` the command registered. The running command's own arguments
come first (``checkpoints add NAME`` words ``name`` as NAME, ``train`` as ``--name``), then any other
command's flag. A parameter no command sets stays as the engine wrote it.
"""

from __future__ import annotations

import argparse

from latentlab.core.errors import LatentLabError

# engine parameters whose flag sets a differently named dest (the facade's keyword -> the dest)
DEST_OF = {"span": "range", "class_path": "model_class"}

__all__ = ["DEST_OF", "command_path", "flags", "worded"]


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)


def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, (*path, name))
        elif action.dest not in (argparse.SUPPRESS, "help"):
            yield path, action


def _shown(action: argparse.Action) -> str:
    """How the user writes the argument: its long flag, else its short one, else the positional's metavar."""
    longs = [o for o in action.option_strings if o.startswith("--")]
    if longs or action.option_strings:
        return (longs or action.option_strings)[0]
    return action.metavar if isinstance(action.metavar, str) else action.dest.upper()


def flags(parser: argparse.ArgumentParser, command: tuple[str, ...] = ()) -> dict[str, str]:
    """``dest`` -> how it is written: the arguments of ``command`` (a path of subcommand names) first, then the
    flags of every other command (an optional before a positional of the same dest)."""
    own, options, positionals = {}, {}, {}
    for path, action in _walk(parser):
        if path == command:
            own.setdefault(action.dest, _shown(action))
        (options if action.option_strings else positionals).setdefault(action.dest, _shown(action))
    return {**positionals, **options, **own}


def command_path(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[str, ...]:
    """The subcommand names ``args`` was parsed under, e.g. ("checkpoints", "add")."""
    path = []
    while (sub := _subparsers(parser)) is not None:
        name = getattr(args, sub.dest, None)
        if name not in sub.choices:
            break
        path.append(name)
        parser = sub.choices[name]
    return tuple(path)


def worded(exc: LatentLabError, parser: argparse.ArgumentParser, args: argparse.Namespace | None = None) -> str:
    """``exc``'s sentence with each parameter it names written as its flag (``--ray-address``)."""
    table = flags(parser, command_path(parser, args) if args is not None else ())
    return exc.worded(lambda param: table.get(DEST_OF.get(param, param)) or table.get(param))
