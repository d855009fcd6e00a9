"""Traffic a layer on RRAM puts on tile routers and chip links, and the transfer stage it makes.

Per MVM and replica: for every column range of the weight matrix, each tile holding some of
its row blocks merges them locally and sends one partial sum to the range's home tile, which
merges those and sends the finished outputs on to the consumer's tile. Home tiles are dealt
round robin over the tiles holding each range, so the reductions of a layer spread over its
routers instead of all landing on one. A value is
`output_bits` wide. Energy counts each bit once per router it leaves through (and once per
chip link when it changes chip). Time: each tile's router port moves `router_bandwidth_bps`
in and out, so a wave of a lane (all its replicas firing once) lasts as long as the busiest
router port needs for its bits, plus the busiest chip link for bits that change chip.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from archsim.mapping.records import CrossbarBlock
from archsim.perf.costs import PerfCosts
from archsim.perf.stages import Stage

Place = tuple[int, int]  # chip, tile


@dataclass(frozen=True)
class Traffic:
    """Bits of one MVM of one replica: totals (energy) and per router / link (time)."""

    router_bits: float
    chip_bits: float
    per_router: dict[Place, float]
    per_chip: dict[int, float]


def replica_traffic(
    blocks: Sequence[CrossbarBlock], consumer_chips: frozenset[int], out_bits: int
) -> Traffic:
    ranges: dict[tuple[int, int, int], list[CrossbarBlock]] = defaultdict(list)
    for block in blocks:
        ranges[(block.group, block.col_start, block.col_end)].append(block)
    per_router: dict[Place, float] = defaultdict(float)
    per_chip: dict[int, float] = defaultdict(float)
    router_bits = chip_bits = 0.0
    for index, ((_, col_start, col_end), holders) in enumerate(sorted(ranges.items())):
        width = (col_end - col_start) * out_bits
        places = sorted({(b.chip, b.tile) for b in holders})
        home = places[index % len(places)]
        for place in set(places) - {home}:
            per_router[place] += width
            per_router[home] += width
            router_bits += width
            if place[0] != home[0]:
                per_chip[place[0]] += width
                chip_bits += width
        per_router[home] += width  # finished outputs leave for the consumer
        router_bits += width
        if consumer_chips and home[0] not in consumer_chips:
            per_chip[home[0]] += width
            chip_bits += width
    return Traffic(router_bits, chip_bits, dict(per_router), dict(per_chip))


def transfer_stage(
    lane_traffic: Sequence[Sequence[Traffic]],
    group_pixels: tuple[int, ...],
    replicas: int,
    costs: PerfCosts,
) -> Stage:
    """A group of p pixels moves p / (replicas / lanes) waves of its busiest lane's traffic."""
    wave_s = 0.0
    for traffic in lane_traffic:
        routers: dict[Place, float] = defaultdict(float)
        chips: dict[int, float] = defaultdict(float)
        for t in traffic:
            for place, bits in t.per_router.items():
                routers[place] += bits
            for chip, bits in t.per_chip.items():
                chips[chip] += bits
        wave_s = max(
            wave_s,
            max(routers.values(), default=0.0) / costs.router_bandwidth_bps
            + max(chips.values(), default=0.0) / costs.chip_link_bandwidth_bps,
        )
    replicas_per_lane = replicas / len(lane_traffic)
    durations = tuple(p / replicas_per_lane * wave_s for p in group_pixels)
    return Stage("transfer", len(lane_traffic), durations)
