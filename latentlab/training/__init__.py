"""Training: the loop, batches on the device, checkpoints, and a run from names to a saved checkpoint."""
