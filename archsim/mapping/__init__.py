"""Mapper: layer extraction, crossbar tiling, placement and the per-layer placement policy."""
