"""LatentLab: explore, traverse, cluster and retrain latent spaces.

The Python face of the engine. Everything the dashboard and the ``latentlab``
command line do goes through the functions re-exported here::

    import latentlab as ll
    ds = ll.load_dataset("digits")
    ckpt = ll.load_checkpoint("digits-vae")
    emb = ll.embed(ckpt, ds)

The public names are ``latentlab.lab.__all__``, the one list of them; each is imported on first use (PEP 562),
so ``import latentlab`` loads no torch and takes milliseconds.
"""

from latentlab.core.errors import LatentLabError
from latentlab.core.version import __version__


def _facade():
    import importlib

    return importlib.import_module("latentlab.lab")  # not ``from latentlab import lab``: that asks __getattr__


def __getattr__(name):
    if name == "figures":  # figures for papers and maps to share (the figures extra), imported on first use
        import importlib

        return importlib.import_module("latentlab.figures")
    if name == "widgets":  # the notebook widgets (the notebook extra), imported on first use
        import importlib

        return importlib.import_module("latentlab.widgets")
    if name == "__all__":
        return list(_facade().__all__)
    if not name.startswith("_"):
        try:
            _facade().where(name)  # the API, or a name the faces use (``latentlab.lab.FACES``)
        except KeyError:
            pass
        else:
            return getattr(_facade(), name)
    raise AttributeError(f"module 'latentlab' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_facade().__all__})
