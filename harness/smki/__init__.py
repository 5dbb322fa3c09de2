"""Bench SMKI: a private certificate hierarchy the rig mints for its own remote parties and devices."""
