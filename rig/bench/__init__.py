"""Bench descriptions: the model, the TOML bench file, the built-in `sim` bench and the bench runtime."""
