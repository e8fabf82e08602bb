"""Monitoring of scored batches: drift against the training reference, metrics over time."""
