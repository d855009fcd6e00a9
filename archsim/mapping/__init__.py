"""Mapper: layer extraction, crossbar tiling, placement and the per-layer placement policy.

`map_model(model, input_shape, hw)` maps any `nn.Module`; `map_net(name, width, hw)` a zoo
net, both as a `MapOptions` record says; `summarize(mapping)` totals it. Importing this
package does not import torch (layer extraction, in `archsim.mapping.layers`, imports it when
a model is mapped).
"""

from archsim.mapping.geometry import Geometry, resolve_geometry
from archsim.mapping.mapper import map_model, map_net, map_specs
from archsim.mapping.options import MapOptions
from archsim.mapping.policy import POLICIES
from archsim.mapping.records import CrossbarBlock, LayerMapping, LayerSpec, Mapping
from archsim.mapping.summary import MappingSummary, summarize

__all__ = [
    "POLICIES",
    "CrossbarBlock",
    "Geometry",
    "LayerMapping",
    "LayerSpec",
    "MapOptions",
    "Mapping",
    "MappingSummary",
    "map_model",
    "map_net",
    "map_specs",
    "resolve_geometry",
    "summarize",
]
