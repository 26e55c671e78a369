"""Typed models: input schemas (mirroring files) and the neutral, vendor-free model."""
