"""LatentLab: explore, traverse, cluster and retrain latent spaces.

The Python face of the engine. Everything the dashboard and the ``latentlab``
command line do goes through the functions re-exported here::

    import latentlab as ll
    ds = ll.load_dataset("digits")
    ckpt = ll.load_checkpoint("digits-vae")
    emb = ll.embed(ckpt, ds)
"""

from latentlab.core.errors import LatentLabError
from latentlab.core.version import __version__

# The facade is imported on first use so that ``import latentlab.data`` stays light.
_FACADE = {
    "beside_kmeans", "cluster", "compare", "diagnose", "direction", "embed", "intervene", "interpolate", "list_checkpoints", "list_datasets",
    "load_checkpoint", "load_dataset", "project", "sample", "score", "train", "traverse",
}


def __getattr__(name):
    if name in _FACADE:
        from latentlab import lab

        return getattr(lab, name)
    raise AttributeError(f"module 'latentlab' has no attribute {name!r}")


__all__ = ["LatentLabError", *sorted(_FACADE)]
