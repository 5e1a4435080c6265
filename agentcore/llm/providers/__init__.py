"""Provider modules: each imports its own SDK, lazily (only when the factory selects it)."""
