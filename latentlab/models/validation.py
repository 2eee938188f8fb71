"""Check a model config before building anything from it: the one validation path.

Every config passes here, whether it is made (command line, dashboard form,
Python API, sweep: ``models.make_config``) or read from a checkpoint's
manifest, so a config that can be trained can also be loaded. A manifest is
user input: a crafted ``latent_dim`` or ``hidden`` could make the model
allocate gigabytes. Every field is checked against its declared range and the
configurable limits first.
"""

from __future__ import annotations

import dataclasses
import math

from latentlab.core.limits import limit
from latentlab.core.errors import LatentLabError

from latentlab.models.likelihoods import LIKELIHOODS, check_setting  # noqa: F401 (LIKELIHOODS: the names it checks)


def check_config(cls, raw: dict, source: str):
    """Build ``cls`` from ``raw`` (a manifest's model_config) or raise one clear sentence."""
    if not isinstance(raw, dict):
        raise LatentLabError(f"{source}: 'model_config' must be an object.")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise LatentLabError(f"{source}: unknown model settings {unknown} for this model; the manifest does not fit LatentLab.")
    for name, value in raw.items():
        f = fields[name]
        if name == "input_shape":
            _check_shape(value, source)
        elif name == "hidden":
            _check_hidden(value, source)
        elif name in ("likelihood", "noise_std", "learned_variance"):
            check_setting(name, value, source)
        elif "choices" in f.metadata and value not in f.metadata["choices"]:
            raise LatentLabError(f"{source}: {name} must be one of {f.metadata['choices']}, not {value!r}.")
        elif isinstance(f.default, (int, float)) and not isinstance(f.default, bool):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
                raise LatentLabError(f"{source}: {name} must be a finite number, not {value!r}.")
            lo, hi = f.metadata.get("min", -math.inf), f.metadata.get("max", math.inf)
            if name == "latent_dim":
                hi = limit("max_latent_dim")  # the configurable limit is the bound
            if not lo <= value <= hi:
                raise LatentLabError(f"{source}: {name} = {value} is outside the allowed range {lo}..{hi}.")
            if isinstance(f.default, int) and int(value) != value:
                raise LatentLabError(f"{source}: {name} must be a whole number, not {value!r}.")
    values = dict(raw)
    if "input_shape" in values:
        values["input_shape"] = tuple(int(v) for v in values["input_shape"])
    return cls(**values)


def _check_shape(value, source: str) -> None:
    if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= 3 or not all(isinstance(v, int) and v > 0 for v in value):
        raise LatentLabError(f"{source}: input_shape must be 1 to 3 positive integers, not {value!r}.")
    if math.prod(value) > 3 * limit("max_image_pixels"):
        raise LatentLabError(f"{source}: input_shape {value} is larger than LatentLab accepts.")


def _check_hidden(value, source: str) -> None:
    try:
        sizes = [int(h) for h in str(value).split(",") if h.strip()]
    except ValueError:
        raise LatentLabError(f"{source}: hidden must be comma-separated integers, not {value!r}.") from None
    if len(sizes) > 16 or any(not 1 <= h <= limit("max_hidden_units") for h in sizes):
        raise LatentLabError(f"{source}: hidden sizes {value!r} are outside 1..{limit('max_hidden_units')} (at most 16 layers).")
