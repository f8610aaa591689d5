"""Step 1 of the flow: capability file -> typed, immutable model."""
