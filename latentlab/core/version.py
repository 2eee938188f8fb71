"""The package version, in one place (``latentlab.__version__`` and each checkpoint manifest read it)."""

__version__ = "0.1.0"
