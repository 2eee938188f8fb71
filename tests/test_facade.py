"""The facade: one verb per concept, whether it is given a checkpoint, a dataset of vectors or an embedding."""

import numpy as np

import latentlab as ll


def test_the_verbs_take_an_embedding_as_they_take_its_dataset(workspace):
    emb = ll.embed(None, "wine")  # a table's own vectors are its latent space
    np.testing.assert_allclose(ll.project(emb, method="pca"), ll.project(None, "wine", method="pca"))
    by_embedding = ll.cluster(emb, "wine", method="kmeans", k=3)
    assert np.array_equal(by_embedding.labels, ll.cluster(None, "wine", method="kmeans", k=3).labels)
    rules = ll.explain_clusters(emb, "wine", labels=by_embedding.labels, space="latent")
    assert np.array_equal(rules.labels, by_embedding.labels) and len(rules.rules) == 3
