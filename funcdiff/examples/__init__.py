"""Runnable examples: ``python -m funcdiff.examples.train`` is the main training job."""
