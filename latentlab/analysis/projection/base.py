"""Projectors share the scikit-learn estimator contract.

``__init__`` only stores parameters; ``fit_transform`` validates, fits and
sets ``embedding_``, reporting to an optional ``progress`` callable
(``latentlab.core.progress``). ``PARAMS`` describes the tunable parameters so the UI and
the CLI can offer them without knowing each method.
"""

from __future__ import annotations

import numpy as np

from latentlab.core.errors import LatentLabError
from latentlab.core.params import Param, check_params
from latentlab.core.progress import ProgressFn, report


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
