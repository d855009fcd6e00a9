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

The ports and links are shared: lanes of a layer whose replicas sit on the same tile, and
other layers on that tile, send through the same router port (and chip link). The closed
form times each lane as if alone; the DES books every port and link that more than one lane
uses as a first-come-first-served calendar (`Stage.lane_links`), so a port that many
replicas share can set the pace.
"""

from dataclasses import dataclass

import numpy as np

from archsim.mapping.records import LayerMapping
from archsim.perf.costs import PerfCosts
from archsim.perf.stages import Stage


@dataclass(frozen=True)
class LayerTraffic:
    """Bits of one MVM: means over the replicas (energy) and each lane's busiest port (time)."""

    router_bits: float  # per replica MVM, summed over routers (mean over replicas)
    chip_bits: float  # per replica MVM, summed over chip links (mean over replicas)
    lane_router_bits: tuple[float, ...]  # a lane's wave: bits through its busiest router
    lane_chip_bits: tuple[float, ...]  # a lane's wave: bits over its busiest chip link
    # per lane, every router port ("router", tile) and chip link ("chip", chip) its wave uses,
    # with its bits
    lane_port_bits: tuple[tuple[tuple[tuple[str, int], float], ...], ...]


def layer_traffic(
    lm: LayerMapping, lanes: int, consumer_chips: frozenset[int], out_bits: int
) -> LayerTraffic:
    """Every replica's traffic at once (numpy over replicas x column ranges x tiles)."""
    assert lm.layout is not None
    layout, p = lm.layout, lm.layout.positions
    ranges = sorted({(b.group, b.col_start, b.col_end) for b in lm.blocks})
    range_of = {r: k for k, r in enumerate(ranges)}
    block_range = np.array(
        [range_of[(b.group, b.col_start, b.col_end)] for b in lm.blocks], dtype=np.int64
    )
    width = np.array([(end - start) * out_bits for _, start, end in ranges], dtype=np.float64)
    tiles_all = int(p.tile_global.max()) + 1
    # one row per (replica, range, tile holding part of the range), sorted by tile
    holder = (p.replica * len(ranges) + block_range[p.block]) * tiles_all + p.tile_global
    holder = np.unique(holder)
    pair, tile = np.divmod(holder, tiles_all)
    replica, k = np.divmod(pair, len(ranges))
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    counts = np.diff(np.r_[starts, len(pair)])
    group = np.repeat(np.arange(len(starts)), counts)
    home = tile[starts + k[starts] % counts][group]  # dealt round robin over the holders
    w = width[k]
    chip, home_chip = tile // layout.tiles_per_chip, home // layout.tiles_per_chip
    sends = tile != home
    # a partial sum leaves its tile for home (both routers), then home sends the outputs on
    router_load = [(tile[sends], w[sends]), (home[sends], w[sends])]
    chip_load = [(chip[sends & (chip != home_chip)], w[sends & (chip != home_chip)])]
    is_home = ~sends
    router_load.append((tile[is_home], w[is_home]))
    leaves = is_home & (
        ~np.isin(home_chip, list(consumer_chips)) if consumer_chips else np.zeros_like(is_home)
    )
    chip_load.append((chip[leaves], w[leaves]))
    replicas = layout.replicas
    router_bits = w.sum() / replicas  # each holder's bits leave its router once
    chip_bits = sum(bits.sum() for _, bits in chip_load) / replicas
    lane_of = replica % lanes
    router_lanes = [lane_of[m] for m in (sends, sends, is_home)]
    chip_lanes = [lane_of[sends & (chip != home_chip)], lane_of[leaves]]
    chips_all = int(chip.max()) + 1
    router_totals = _totals(router_load, router_lanes, lanes, tiles_all)
    chip_totals = _totals(chip_load, chip_lanes, lanes, chips_all)
    return LayerTraffic(
        float(router_bits),
        float(chip_bits),
        tuple(router_totals.max(axis=1).tolist()),
        tuple(chip_totals.max(axis=1).tolist()),
        tuple(
            _used(("router", router_totals[lane]), ("chip", chip_totals[lane]))
            for lane in range(lanes)
        ),
    )


def _used(*places: tuple[str, np.ndarray]) -> tuple[tuple[tuple[str, int], float], ...]:
    """The places (kind, index) with bits on them, and those bits."""
    return tuple(
        ((kind, int(index)), float(bits[index]))
        for kind, bits in places
        for index in np.flatnonzero(bits)
    )


def _totals(
    loads: list[tuple[np.ndarray, np.ndarray]], lane_of: list[np.ndarray], lanes: int, places: int
) -> np.ndarray:
    """Bits per (lane, place) (router port or chip link) of one wave."""
    total = np.zeros(lanes * places)
    for (where, bits), lane in zip(loads, lane_of, strict=True):
        total += np.bincount(lane * places + where, weights=bits, minlength=lanes * places)
    return total.reshape(lanes, places)


def transfer_stage(
    traffic: LayerTraffic,
    group_pixels: tuple[int, ...],
    replicas: int,
    costs: PerfCosts,
) -> Stage:
    """A group of p pixels moves p / (replicas / lanes) waves of its busiest lane's traffic."""
    lanes = len(traffic.lane_router_bits)
    wave_s = max(
        router / costs.router_bandwidth_bps + chip / costs.chip_link_bandwidth_bps
        for router, chip in zip(traffic.lane_router_bits, traffic.lane_chip_bits, strict=True)
    )
    replicas_per_lane = replicas / lanes
    waves = tuple(p / replicas_per_lane for p in group_pixels)
    bandwidth = {"router": costs.router_bandwidth_bps, "chip": costs.chip_link_bandwidth_bps}
    links = tuple(
        tuple((place, bits / bandwidth[place[0]]) for place, bits in used)
        for used in traffic.lane_port_bits
    )
    durations = tuple(w * wave_s for w in waves)
    return Stage("transfer", lanes, durations, waves=waves, lane_links=links)
