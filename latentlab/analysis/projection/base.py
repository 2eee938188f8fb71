"""Projectors share the scikit-learn estimator contract.

``__init__`` only stores parameters; ``fit_transform`` validates, fits and
sets ``embedding_``, reporting to an optional ``progress`` callable
(``latentlab.core.progress``). ``PARAMS`` describes the tunable parameters so the UI and
the CLI can offer them without knowing each method.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentlab.core.errors import LatentLabError
from latentlab.core.progress import ProgressFn, report


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


class Projector:
    """``PARAMS``: what may be tuned. ``INLINE_POINTS``: up to this many points a fit is quick enough to
    run while a page waits (a few seconds on 2 CPU cores); more go to a background job."""

    PARAMS: tuple[Param, ...] = ()
    INLINE_POINTS = 10_000

    def __init__(self, n_components: int = 2, random_state: int = 0, **params):
        self.n_components = n_components
        self.random_state = random_state
        self.params = check_params(self.PARAMS, params, type(self).__name__.removesuffix("Projector"))  # before any work

    def get_params(self) -> dict:
        resolved = {p.name: self.params.get(p.name, p.default) for p in self.PARAMS}
        return {"n_components": self.n_components, "random_state": self.random_state, **resolved}

    def _check(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[0] < 3:
            raise LatentLabError(f"Projection needs at least 3 points of 2-D data, got shape {X.shape}.")
        if self.n_components not in (2, 3):
            raise LatentLabError(f"Projections are 2-D or 3-D, not {self.n_components}-D.")
        return X

    def fit(self, X: np.ndarray, progress: ProgressFn | None = None) -> "Projector":
        """Fit to X (n, d); ``progress(stage, done, total, unit)`` hears how far it got.

        The progress callable may raise (a cancelled job): the fit stops and the
        exception propagates.
        """
        self.embedding_ = self._fit_transform(self._check(X), report(progress))
        return self

    def fit_transform(self, X: np.ndarray, progress: ProgressFn | None = None) -> np.ndarray:
        """The (n, n_components) float32 map of X (n, d)."""
        return self.fit(X, progress=progress).embedding_

    def _fit_transform(self, X: np.ndarray, progress: ProgressFn) -> np.ndarray:
        raise NotImplementedError
