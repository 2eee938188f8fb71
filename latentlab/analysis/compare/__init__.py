"""Comparing two latent spaces of the same items: linear CKA, relative representations, neighbour agreement and
latent-to-latent correlations (``similarity``), over two sides that are checkpoints or datasets of vectors
(``sides``)."""
