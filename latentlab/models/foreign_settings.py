"""Training a class an installed package registers under the entry-point group ``latentlab.models`` as one of
ours: when it provides ``loss(x)``, ``latentlab train --model NAME``, sweeps, resume and the Train page take
it by its entry-point name beside the registry's models.

Its settings are its constructor's keyword arguments. ``settings_class`` makes them a dataclass, as a registry
model's config is one, so the same forms, flags and sweep grids read them: each argument with a default of
bool, int, float or str is a field a user sets (the form shows it, a ``--grid`` axis may sweep it); other
arguments (no default, or a list, None, ...) are still accepted from ``--config C.json`` and the facade's
``model_params``. A constructor that takes ``**kwargs`` accepts any name.
"""

from __future__ import annotations

import dataclasses
import inspect

from latentlab.core.errors import LatentLabError
from latentlab.models.foreign_sources import installed_classes, resolve_class

SIMPLE = (bool, int, float, str)


@dataclasses.dataclass
class ClassSettings:
    """The base of every class's settings dataclass (see ``settings_class``)."""

    keyword_names = frozenset()  # every keyword argument the constructor takes
    any_keyword = False  # the constructor takes **kwargs

    @classmethod
    def user_fields(cls) -> list[dataclasses.Field]:
        return list(dataclasses.fields(cls))


def trainable_class(name: str, registry) -> tuple[type, dict]:
    """The installed class ``name`` and the manifest's record of its source, once it provides ``loss(x)``;
    one sentence for a name that is neither a registry model nor an installed class, or a class without loss."""
    if name not in installed_classes():
        installed = sorted(set(installed_classes()) - set(registry))
        extra = f"; installed classes: {', '.join(installed)}" if installed else ""
        raise LatentLabError(f"Unknown model '{name}'; choose one of: {', '.join(registry)}{extra}.")
    cls, source = resolve_class(name)
    if not callable(getattr(cls, "loss", None)):
        raise LatentLabError(f"Model class '{name}' ({source['class']}) has no loss(x); training needs loss(x) to return "
                             "the batch's loss (a scalar tensor, a (loss, terms) pair or a mapping with a 'loss' entry), "
                             f"but it can still be explored: add it as a checkpoint with `class_path` {name} and its `weights`.",
                             param="model", value=name, also=("class_path", "weights"))
    return cls, source


def trainable_descriptions(registry) -> dict[str, str]:
    """The installed classes with ``loss(x)`` that ``registry`` does not shadow, sorted, each with where it comes
    from (its class path and distribution)."""
    from latentlab.models.foreign_sources import trainable_classes

    out = {}
    for name, ep in sorted(trainable_classes().items()):
        if name not in registry:
            dist = getattr(getattr(ep, "dist", None), "metadata", None)
            out[name] = f"installed class {ep.value}" + (f" ({dist['Name']} {dist['Version']})" if dist else "")
    return out


def settings_class(name: str, cls: type) -> type[ClassSettings]:
    """A dataclass of ``cls``'s constructor arguments (see the module docstring)."""
    try:
        params = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):  # a constructor Python cannot introspect: it takes whatever it is given
        params = [inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)]
    keywords = [p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    fields = []
    for p in keywords:
        if isinstance(p.default, SIMPLE):
            low = min(p.default, 0) if isinstance(p.default, (int, float)) and not isinstance(p.default, bool) else 0
            meta = {"help": f"{cls.__name__}({p.name}=...), default {p.default!r}", "min": low}
            fields.append((p.name, type(p.default), dataclasses.field(default=p.default, metadata=meta)))
    made = dataclasses.make_dataclass(f"{cls.__name__}Settings", fields, bases=(ClassSettings,))
    made.keyword_names = frozenset(p.name for p in keywords)
    made.any_keyword = any(p.kind == p.VAR_KEYWORD for p in params)
    made.model_name = name
    return made


def check_class_settings(name: str, settings: type[ClassSettings], given: dict) -> None:
    """One sentence for a setting the constructor does not take."""
    extra = sorted(k for k, v in given.items() if v is not None and k not in settings.keyword_names)
    if extra and not settings.any_keyword:
        known = ", ".join(sorted(settings.keyword_names)) or "none"
        raise LatentLabError(f"Model '{name}' has no setting {', '.join(extra)}; its constructor's keyword arguments "
                             f"are {known}.")


def coerce_settings(settings: type[ClassSettings], given: dict) -> dict:
    """``given`` with a text value turned into its field's type (bool, int or float) where the field has one: a flag
    shared with the registry's models (``--hidden 16``) arrives as text."""
    types = {f.name: f.type for f in dataclasses.fields(settings)}
    out = dict(given)
    for name, value in given.items():
        want = types.get(name)
        if not isinstance(value, str) or want not in (int, float, bool):
            continue
        text = value.strip().lower()
        if want is bool:
            out[name] = text in ("1", "true", "yes", "on")
            continue
        try:
            number = float(text)
        except ValueError:
            number = None
        if number is None or (want is int and not number.is_integer()):
            raise LatentLabError(f"Setting {name}: '{value}' is not {'a whole number' if want is int else 'a number'}, "
                                 f"which {settings.model_name}'s {name} must be.")
        out[name] = want(number)
    return out
