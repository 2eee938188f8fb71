"""One registry type for every family of named things: models, metrics, projectors, clusterers.

A ``Registry`` maps a short name (what ``--model``/``--method``/``--metrics`` take and the dashboard offers)
to the thing itself, and keeps each entry's metadata with it, as disent's ``@make_metric`` does: a one-line
description, the parameters it declares, where it knowingly departs from the reference implementation, and how
many points it handles inline (while a page waits) before it runs as a background job. The command line, the
forms and the documentation's tables (docs/architecture.md) read them from here; nothing lists the names or the descriptions again.

A registry is a mapping from name to value, so ``MODELS["vae"]`` and ``list(MODELS)`` work as they did with plain
dicts (``REGISTRY[name] = value`` adds an entry with no metadata but what the value declares, as a plug-in or a
test may); ``entry(name)`` gives the metadata, and ``lookup(name)`` the value or a one-sentence error.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from latentlab.core.errors import LatentLabError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    name: str
    value: T  # the class or function
    description: str = ""
    params: tuple = ()  # the tunable parameters it declares (``Param``s), for the CLI's --param and the forms
    deviation: str | None = None  # where it knowingly departs from the reference implementation, if it does
    inline_points: int | None = None  # up to this many points it runs while a page waits; more go to a job
    max_points: int | None = None  # beyond this many points it is refused (time or memory out of bounds)
    factor_free: bool = False  # a metric that needs no ground-truth factors (spread, intrinsic dimension)

    @property
    def home(self) -> str:
        """Where the value lives, "package.module:name" (as ``latentlab.core.catalog`` lists it)."""
        qualname = getattr(self.value, "__qualname__", type(self.value).__qualname__)
        return f"{getattr(self.value, '__module__', None)}:{qualname}"


class Registry(MutableMapping[str, T], Generic[T]):
    """Entries of one family (``family`` names it in messages: "model", "projection method", ...), in the order
    they were added."""

    def __init__(self, family: str):
        self.family = family
        self._entries: dict[str, Entry[T]] = {}

    def add(self, name: str, value: T, description: str = "", **meta: Any) -> T:
        if name in self._entries:
            raise ValueError(f"{self.family} '{name}' is registered twice")
        self._entries[name] = Entry(name, value, description, **meta)
        return value

    def register(self, name: str, description: str = "", **meta: Any):
        """The decorator form of ``add``."""
        return lambda value: self.add(name, value, description, **meta)

    def __getitem__(self, name: str) -> T:
        return self._entries[name].value

    def __setitem__(self, name: str, value: T) -> None:
        self._entries[name] = Entry(name, value, params=getattr(value, "PARAMS", ()),
                                    inline_points=getattr(value, "INLINE_POINTS", None),
                                    max_points=getattr(value, "MAX_POINTS", None))

    def __delitem__(self, name: str) -> None:
        del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def entry(self, name: str) -> Entry[T]:
        self.lookup(name)
        return self._entries[name]

    def entries(self) -> list[Entry[T]]:
        return list(self._entries.values())

    def lookup(self, name: str) -> T:
        """The value registered as ``name``, or a ``LatentLabError`` listing the names there are."""
        try:
            return self._entries[name].value
        except KeyError:
            raise LatentLabError(f"Unknown {self.family} '{name}'; choose one of: {', '.join(self)}.") from None

    def descriptions(self) -> dict[str, str]:
        return {e.name: e.description for e in self._entries.values()}

    def deviations(self) -> dict[str, str]:
        return {e.name: e.deviation for e in self._entries.values() if e.deviation}
