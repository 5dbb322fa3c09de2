"""Sub-command groups of the `rig` CLI, one module each."""
