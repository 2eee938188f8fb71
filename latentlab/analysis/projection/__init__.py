"""Projectors keyed by short name: ``umap``, ``pca``, ``tsne``.

``umap`` runs RAPIDS cuML's UMAP on a CUDA GPU when cuML is installed, else the
torch implementation (``umap_torch``, neighbours from ``knn``), on a CUDA GPU when
there is one; its ``backend`` parameter selects one, or umap-learn.
"""

from latentlab.core.registry import Registry
from latentlab.analysis.projection.base import Param, Projector
from latentlab.analysis.projection.methods import PCAProjector, TSNEProjector, UMAPProjector

PROJECTORS: Registry[type[Projector]] = Registry("projection method")
for _name, _cls, _description in (
    ("umap", UMAPProjector, "UMAP (McInnes et al. 2018): local neighbourhoods kept, clusters apart"),
    ("pca", PCAProjector, "principal components: the codes' directions of largest variance, linear"),
    ("tsne", TSNEProjector, "t-SNE (van der Maaten & Hinton 2008): local neighbourhoods, slower"),
):
    PROJECTORS.add(_name, _cls, _description, params=_cls.PARAMS, inline_points=_cls.INLINE_POINTS)


def make_projector(method: str, n_components: int = 2, random_state: int = 0, **params) -> Projector:
    cls = PROJECTORS.lookup(method)
    return cls(n_components=n_components, random_state=random_state, **params)


__all__ = ["PROJECTORS", "Param", "Projector", "make_projector"]
