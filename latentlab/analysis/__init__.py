"""What a latent space holds: embeddings, maps, clusters, metrics, traversals, directions, comparisons."""
