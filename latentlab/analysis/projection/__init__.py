"""Projectors keyed by short name: ``umap``, ``pca``, ``tsne``.

``umap`` runs the torch implementation (``umap_torch``, neighbours from
``knn``) on a CUDA GPU when there is one, else on the CPU; its ``backend``
parameter selects umap-learn instead.
"""

from latentlab.core.errors import LatentLabError
from latentlab.analysis.projection.base import Param, Projector
from latentlab.analysis.projection.methods import PCAProjector, TSNEProjector, UMAPProjector

PROJECTORS: dict[str, type[Projector]] = {"umap": UMAPProjector, "pca": PCAProjector, "tsne": TSNEProjector}


def make_projector(method: str, n_components: int = 2, random_state: int = 0, **params) -> Projector:
    try:
        cls = PROJECTORS[method]
    except KeyError:
        raise LatentLabError(f"Unknown projection method '{method}'; choose one of: {', '.join(PROJECTORS)}.") from None
    return cls(n_components=n_components, random_state=random_state, **params)


__all__ = ["PROJECTORS", "Param", "Projector", "make_projector"]
