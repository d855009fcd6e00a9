"""What per-chip remapping costs: the permutation tables, their area, leakage and lookups.

Assumptions (no paper prices this; they are ours, stated in docs/fault-tolerance.md):
- Each crossbar block of every replica keeps a row table (R entries of ceil(log2 R) bits: the
  input register address matrix row r is written to) and a column table (C entries of
  ceil(log2 C) bits: the output-register slot the shift-and-add unit reads for output c).
  The permutation is applied as address translation where data is written or read anyway, so
  no extra wires, multiplexers or crossbar cycles are added and throughput is unchanged.
- Tables are register files like ISAAC's IMA input register: area and leakage per bit are the
  input register's (`ima.input_register` area / size, leakage / size); every MVM looks up
  every row entry at the input register's access energy per bit and every column entry at
  the output register's.
- Leakage runs over the streaming interval, like the accelerator's other static power.
"""

import math
from dataclasses import dataclass

from archsim.config.hwschema import HardwareConfig
from archsim.hw.registers import IMA_OUTPUT_ACCESS, INPUT_ACCESS
from archsim.mapping.records import Mapping
from archsim.perf.result import PerfResult


def index_bits(entries: int) -> int:
    """Bits of one table entry addressing `entries` positions (0 for a single position)."""
    return math.ceil(math.log2(entries)) if entries > 1 else 0


@dataclass(frozen=True)
class RemapCost:
    table_bits: int  # over every block of every replica
    lookup_bits_per_image: dict[str, float]  # "row" / "column" -> bits looked up per image
    area_mm2: float
    leakage_w: float
    energy_per_image_j: float  # lookups + leakage over the interval


def remap_cost(mapping: Mapping, hw: HardwareConfig, interval_s: float) -> RemapCost:
    """Tables and per-image lookups of `mapping`'s RRAM layers under the assumptions above."""
    register = hw.ima.input_register
    reg_bits = register.size_bytes * 8
    area_per_bit = register.area_mm2 / reg_bits
    leak_per_bit = register.leakage_mw * 1e-3 / reg_bits
    access_in = register.actions[INPUT_ACCESS.action]
    access_out = hw.ima.output_register.actions[IMA_OUTPUT_ACCESS.action]
    in_j = access_in.energy_pj * 1e-12 / (access_in.bits or 1)
    out_j = access_out.energy_pj * 1e-12 / (access_out.bits or 1)
    table = 0
    row_bits = col_bits = 0.0
    for lm in mapping.rram_layers:
        row_table = col_table = 0
        for b in lm.blocks:  # one replica's blocks; every replica keeps its own tables
            row_table += b.weight_rows * index_bits(b.weight_rows)
            col_table += b.weight_cols * index_bits(b.weight_cols)
        table += (row_table + col_table) * lm.replicas
        # one MVM per output pixel; replicas split the pixels, so per image every pixel's MVM
        # reads one replica's tables
        row_bits += lm.spec.output_pixels * row_table
        col_bits += lm.spec.output_pixels * col_table
    leakage = table * leak_per_bit
    energy = row_bits * in_j + col_bits * out_j + leakage * interval_s
    return RemapCost(
        table, {"row": row_bits, "column": col_bits}, table * area_per_bit, leakage, energy
    )


def with_remap(result: PerfResult, cost: RemapCost) -> dict[str, float]:
    """The design point's headline costs with the remapping tables charged."""
    return {
        "throughput_ips": result.throughput_images_per_s,
        "energy_per_image_j": result.energy_per_image_j + cost.energy_per_image_j,
        "occupied_area_mm2": result.occupied_area_mm2 + cost.area_mm2,
    }
