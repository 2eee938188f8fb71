"""Decoding codes: traversals, interpolations, samples from the prior, directions and interventions, and the
curves of signal items as tables (``checkpoint`` takes a checkpoint and a dataset as the facade does)."""
