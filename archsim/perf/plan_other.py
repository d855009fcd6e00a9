"""Stages and action counts of layers that do not run on crossbars: the CPU path and digital units.

CPU path (1x1 convolutions under the default policy): the input values a group reads go to
the CPU over the CPU link (a strided convolution whose kernel is smaller than its stride
reads only kernel/stride of the rows and of the columns: a stride-2 1x1 conv sends a quarter
of its input), the CPU computes the group's MACs at cores x SIMD lanes x FMA units x
frequency x efficiency, and the outputs come back over the link. A transfer holds its link
direction for bits / bandwidth; the link's latency delays the data's arrival but does not
hold the link, so it lengthens one image's latency and not the streaming interval. The CPU and
each link direction are shared by every CPU layer and by the image's own input and result
(`host_plans`). Energy: the CPU's busy power above idle x compute time (the hw model's
per-MAC energy; its idle power is static, see assemble.py) plus the link's energy per bit.

A CPU-routed activation x activation matmul also sends its second operand
(`operand_elements`) over the link with its first group. Under the `attention-digital` policy
it runs on the tile's shift-and-add units instead: one op per input bit per MAC (a bit-serial
multiply with the accumulate folded in).

Digital layers (BN, residual add, activation, pooling, elementwise arithmetic, softmax, layer
norm) run on the tile units ISAAC provides (shift-and-add, sigmoid lookup, max-pool) of the
tiles that hold the nearest preceding RRAM layer: BN costs 2 unit ops per output element
(scale, shift), add, elementwise and activation 1, softmax 3, layer norm 5, pooling one per
window element (see costs.py). Time = ops / (that many tiles' unit rate). Other
parameter-free layers (zero-padding shortcuts, identity, dropout) and concatenations and
transposes are priced as a copy of their output through the eDRAM buffer (one read and one
write per bit), so they are never free by omission.
"""

import math
from collections.abc import Sequence

from archsim.errors import UserError
from archsim.hw.cpu import LINK_TRANSFER, MAC
from archsim.hw.edram import ACCESS as EDRAM_ACCESS
from archsim.mapping.records import LayerSpec
from archsim.perf.costs import DIGITAL_OPS_PER_ELEMENT, DIGITAL_UNIT, PerfCosts
from archsim.perf.grouping import input_rows_needed, output_rows
from archsim.perf.stages import Stage

COPY_KINDS = ("other", "concat", "transpose")


def _channels(shape: tuple[int, ...]) -> int:
    """Values per output position: C of (C, H, W), D of a token sequence (N, D), everything of
    a flat tensor (see grouping.output_rows)."""
    if len(shape) in (2, 3):
        return shape[0] if len(shape) == 3 else shape[1]
    return math.prod(shape)


def pool_window(spec: LayerSpec) -> int:
    """Input elements read per output element of a pooling layer (or a mean over dims)."""
    if spec.in_shape and spec.out_shape:
        return max(1, math.prod(spec.in_shape) // math.prod(spec.out_shape))
    return spec.kernel[0] * spec.kernel[1]


def digital_stage(
    spec: LayerSpec, group_pixels: tuple[int, ...], host_tiles: int, costs: PerfCosts
) -> tuple[Stage, dict[str, float]]:
    """Compute stage and action counts of a BN / add / activation / pooling / copy layer."""
    values = _channels(spec.out_shape)
    if spec.kind in COPY_KINDS:
        bits_per_pixel = 2 * values * costs.input_bits  # read and write every output bit
        rate = host_tiles * costs.edram_bandwidth_bps
        stage = Stage("copy", 1, tuple(p * bits_per_pixel / rate for p in group_pixels))
        return stage, {EDRAM_ACCESS.key: float(sum(group_pixels) * bits_per_pixel)}
    unit = DIGITAL_UNIT.get(spec.kind)
    if unit is None:
        raise UserError(f"no cost model for layer {spec.name} of kind '{spec.kind}'")
    if spec.kind == "matmul":  # MACs per output element x one op per input bit
        per_element = spec.macs / max(1, math.prod(spec.out_shape)) * costs.input_bits
    elif spec.kind == "pool":
        per_element = pool_window(spec)
    else:
        per_element = DIGITAL_OPS_PER_ELEMENT[spec.kind]
    ops_per_pixel = values * per_element
    rate = host_tiles * costs.unit_ops_per_s(unit.component)
    stage = Stage("compute", 1, tuple(p * ops_per_pixel / rate for p in group_pixels))
    return stage, {unit.key: float(sum(group_pixels) * ops_per_pixel)}


def read_fraction(spec: LayerSpec) -> float:
    """Share of the input a conv reads: kernel/stride of the rows and of the columns when the
    kernel is smaller than the stride (a stride-2 1x1 conv reads 1 pixel in 4), else all."""
    if spec.kind != "conv" or len(spec.in_shape) != 3:
        return 1.0
    fraction = 1.0
    for kernel, stride in zip(spec.kernel, spec.stride, strict=True):
        fraction *= min(1.0, kernel / stride) if stride > 0 else 1.0
    return fraction


def link_stage(name: str, bits: Sequence[float], resource: str, costs: PerfCosts) -> Stage:
    """A transfer over one direction of the host link: held for bits / bandwidth per group,
    the data arriving the link's latency later."""
    return Stage(name, 1, tuple(b / costs.cpu_link_bandwidth_bps for b in bits),
                 resource=resource, delay_s=costs.cpu_link_latency_s)  # fmt: skip


def cpu_stages(
    spec: LayerSpec, rows_end: tuple[int, ...], group_pixels: tuple[int, ...], costs: PerfCosts
) -> tuple[tuple[Stage, ...], dict[str, float]]:
    """(link in, CPU, link out) stages and the action counts of a CPU-routed layer."""
    pixels = sum(group_pixels)
    in_rows, _ = output_rows(spec.in_shape)
    in_bits_per_row = math.prod(spec.in_shape) / in_rows * costs.input_bits * read_fraction(spec)
    sent = 0
    in_bits: list[float] = []
    for end in rows_end:
        needed = in_rows if end == rows_end[-1] else input_rows_needed(spec, end)
        in_bits.append(max(0, needed - sent) * in_bits_per_row)
        sent = max(sent, needed)
    in_bits[0] += spec.operand_elements * costs.input_bits  # a matmul's second operand
    out_bits = [p * _channels(spec.out_shape) * costs.output_bits for p in group_pixels]
    compute = [spec.macs * p / pixels / costs.cpu_mac_rate_per_s for p in group_pixels]
    stages = (
        link_stage("link_in", in_bits, "cpu_link_in", costs),
        Stage("cpu", 1, tuple(compute), resource="cpu"),
        link_stage("link_out", out_bits, "cpu_link_out", costs),
    )
    counts = {MAC.key: float(spec.macs), LINK_TRANSFER.key: float(sum(in_bits) + sum(out_bits))}
    return stages, counts
