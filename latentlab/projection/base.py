"""Projectors share the scikit-learn estimator contract.

``__init__`` only stores parameters; ``fit_transform`` validates, fits and
sets ``embedding_``. ``PARAMS`` describes the tunable parameters so the UI and
the CLI can offer them without knowing each method.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentlab.errors import LatentLabError


@dataclass(frozen=True)
class Param:
    name: str
    default: float | int | str
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    help: str = ""


class Projector:
    PARAMS: tuple[Param, ...] = ()

    def __init__(self, n_components: int = 2, random_state: int = 0, **params):
        self.n_components = n_components
        self.random_state = random_state
        self.params = params

    def get_params(self) -> dict:
        resolved = {p.name: self.params.get(p.name, p.default) for p in self.PARAMS}
        return {"n_components": self.n_components, "random_state": self.random_state, **resolved}

    def _check(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[0] < 3:
            raise LatentLabError(f"Projection needs at least 3 points of 2-D data, got shape {X.shape}.")
        if self.n_components not in (2, 3):
            raise LatentLabError(f"Projections are 2-D or 3-D, not {self.n_components}-D.")
        unknown = set(self.params) - {p.name for p in self.PARAMS}
        if unknown:
            raise LatentLabError(f"Unknown parameter(s) {', '.join(sorted(unknown))}; this method takes {', '.join(p.name for p in self.PARAMS) or 'none'}.")
        return X

    def fit(self, X: np.ndarray) -> "Projector":
        self.embedding_ = self._fit_transform(self._check(X))
        return self

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).embedding_

    def _fit_transform(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError
