"""Declared parameters: what a projector or clusterer may be tuned by, with defaults, ranges and choices.

The CLI's ``--param name=value``, the dashboard's forms and the registries' entries read the declarations;
``check_params`` validates given values against them where they enter, once.
"""

from __future__ import annotations

from dataclasses import dataclass

from latentlab.core.errors import LatentLabError


@dataclass(frozen=True)
class Param:
    name: str
    default: float | int | str
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    help: str = ""


def check_params(declared: tuple[Param, ...], given: dict, method: str) -> dict:
    """``given`` checked against ``declared``: known names, listed choices, finite numbers inside their
    range (whole numbers where the default is one). Projectors and clusterers check their parameters when
    they are made, so every caller (CLI, dashboard, Python, jobs) passes here before any work; returns the
    values, whole numbers as int."""
    import math

    unknown = set(given) - {p.name for p in declared}
    if unknown:
        raise LatentLabError(f"{method}: unknown parameter(s) {', '.join(sorted(unknown))}; it takes "
                             f"{', '.join(p.name for p in declared) or 'none'}.")
    out = dict(given)
    for p in declared:
        if p.name not in given:
            continue
        value = given[p.name]
        if p.choices:
            if value not in p.choices:
                raise LatentLabError(f"{method}: {p.name} must be one of {', '.join(map(str, p.choices))}, not {value!r}.")
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise LatentLabError(f"{method}: {p.name} must be a finite number, not {value!r}.")
        if isinstance(p.default, int) and int(value) != value:
            raise LatentLabError(f"{method}: {p.name} must be a whole number, not {value!r}.")
        lo = -math.inf if p.low is None else p.low
        hi = math.inf if p.high is None else p.high
        if not lo <= value <= hi:
            raise LatentLabError(f"{method}: {p.name} = {value} is outside its range {p.low}..{p.high}.")
        out[p.name] = int(value) if isinstance(p.default, int) else float(value)
    return out


def parse_value(text: str):
    """An int, else a float, else the string itself."""
    text = text.strip()
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            continue
    return text
