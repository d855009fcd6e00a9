"""Totals of a Mapping: resources used, utilization, and where the MACs run."""

from dataclasses import dataclass

from archsim.mapping.records import Mapping


@dataclass(frozen=True)
class MappingSummary:
    crossbars: int
    imas: int
    tiles: int
    chips: int
    chips_available: int
    mean_utilization: float  # weight cells / cells of all used crossbars
    rram_macs: int
    cpu_macs: int
    other_macs: int  # digital and unsupported layers (0 by the MAC convention of layers.py)
    total_macs: int
    params: int  # distinct parameters (a reused module counted once)
    rram_layers: int
    cpu_layers: int
    digital_layers: int
    unsupported_layers: int

    @property
    def rram_mac_fraction(self) -> float:
        return self.rram_macs / self.total_macs if self.total_macs else 0.0


def summarize(mapping: Mapping) -> MappingSummary:
    imas = frozenset().union(*(lm.layout.imas for lm in mapping.rram_layers if lm.layout))
    tiles = {(chip, tile) for chip, tile, _ in imas}
    cells = mapping.crossbars * mapping.crossbar_rows * mapping.crossbar_cols
    weight_cells = sum(lm.weight_cells for lm in mapping.layers)
    targets = [lm.target for lm in mapping.layers]
    return MappingSummary(
        crossbars=mapping.crossbars,
        imas=len(imas),
        tiles=len(tiles),
        chips=len({chip for chip, _ in tiles}),
        chips_available=mapping.chips_available,
        mean_utilization=weight_cells / cells if cells else 0.0,
        rram_macs=mapping.rram_macs,
        cpu_macs=mapping.cpu_macs,
        other_macs=mapping.total_macs - mapping.rram_macs - mapping.cpu_macs,
        total_macs=mapping.total_macs,
        params=sum(lm.spec.params for lm in mapping.layers if "#" not in lm.spec.name),
        rram_layers=targets.count("rram"),
        cpu_layers=targets.count("cpu"),
        digital_layers=targets.count("digital"),
        unsupported_layers=targets.count("unsupported"),
    )
