"""`archsim hw`: list, show and validate hardware descriptions."""

from typing import Any

import click
import yaml

from archsim.api.hardware import (
    CPU,
    ChipCosts,
    HardwareConfig,
    PartCost,
    adc_range,
    chip_costs,
    list_hardware,
    load_hardware,
    power_checks,
    resolve_hardware,
)
from archsim.cli.output import emit, format_option
from archsim.errors import UserError


@click.group("hw")
def hw() -> None:
    """Show, list and validate hardware descriptions (hwconfigs/*.yaml)."""


def totals(hw_config: HardwareConfig, costs: ChipCosts) -> dict[str, Any]:
    """The derived numbers a designer checks first, in display units."""
    return {
        "chip_power_w": costs.power_w,
        "chip_static_power_w": costs.leakage_power_w,
        "chip_area_mm2": costs.area_mm2,
        "peak_tops": costs.peak_tops,
        "gops_per_w": costs.gops_per_w,
        "gops_per_s_per_mm2": costs.gops_per_s_per_mm2,
        "crossbars_per_chip": costs.crossbars_per_chip,
        "cells_per_weight": costs.cells_per_weight,
        "weights_per_row": costs.weights_per_row,
        "ima_power_mw": costs.ima_power_w * 1e3,
        "ima_area_mm2": costs.ima_area_mm2,
        "tile_power_mw": costs.tile_power_w * 1e3,
        "tile_area_mm2": costs.tile_area_mm2,
        "cycle_ns": costs.effective_cycle_s * 1e9,
        "cycle_bound_by": "adc" if costs.adc_bound else "crossbar",
        "node_chips": hw_config.node.chips,
        "node_power_w": hw_config.node.chips * costs.power_w,
        "cpu_gmacs_per_s": costs.components.get(CPU).macs_per_s / 1e9,
        "adc_bits_needed": adc_range(hw_config).bits_needed,
        "adc_shortfall_bits": adc_range(hw_config).shortfall,
        "precision": adc_range(hw_config).describe(),
    }


def _part_row(part: PartCost) -> dict[str, Any]:
    actions = ", ".join(
        f"{a.name}={a.energy_j * 1e12:.4g} pJ/{a.latency_s * 1e9:.4g} ns"
        + (f"/{a.bits}b" if a.bits else "")
        for a in part.component.actions
    )
    return {
        "level": part.level,
        "component": part.component.name,
        "count": part.count,
        "per_chip": part.per_chip,
        "power_mw": part.power_w * 1e3,
        "area_mm2": part.area_mm2,
        "actions": actions,
    }


@hw.command("list")
@format_option
def list_command(fmt: str) -> None:
    """List the descriptions `--hw NAME` can use.

    Searched in ./hwconfigs first, then in the copy shipped with the package.
    """
    rows: list[dict[str, object]] = []
    for name in list_hardware():
        try:
            config = load_hardware(name)
        except UserError as exc:
            rows.append({"name": name, "status": f"invalid: {exc}"})
            continue
        costs = chip_costs(config)
        rows.append(
            {
                "name": name,
                "status": "ok",
                "crossbar": f"{config.crossbar.rows}x{config.crossbar.cols}",
                "weight_bits": config.precision.weight_bits,
                "cells_per_weight": costs.cells_per_weight,
                "encoding": config.crossbar.encoding,
                "adc": "lossless"
                if adc_range(config).lossless
                else f"{adc_range(config).shortfall} bit(s) short",
                "chip_power_w": costs.power_w,
                "chip_area_mm2": costs.area_mm2,
                "peak_tops": costs.peak_tops,
            }
        )
    emit(rows, fmt)


@hw.command("show")
@click.argument("name")
@format_option
def show(name: str, fmt: str) -> None:
    """Print a description's resolved tree, sources and totals.

    NAME is a hardware name (see `archsim hw list`) or a path to a YAML file.
    """
    config = load_hardware(name)
    costs = chip_costs(config)
    rows = [_part_row(part) for part in costs.parts]
    derived = totals(config, costs)
    if fmt == "json":
        emit(
            rows,
            fmt,
            extra={
                "file": str(resolve_hardware(name)),
                "hardware": config.model_dump(),
                "totals": derived,
            },
        )
        return
    if fmt == "table":
        click.echo(f"# {resolve_hardware(name)}")
        click.echo(yaml.safe_dump(config.model_dump(), sort_keys=False, width=100).rstrip())
        click.echo()
    emit(rows, fmt, extra=derived if fmt == "table" else None)


@hw.command("validate")
@click.argument("file")
def validate_command(file: str) -> None:
    """Check one hardware file: print each power check and 'FILE: ok', or one error line.

    A power check compares a component's energy per action x actions per second at full
    activity, plus its static power, with the power the file states for it.
    """
    config = load_hardware(file)
    costs = chip_costs(config)
    for check in power_checks(config):
        click.echo(f"power check ok: {check.describe()}")
    click.echo(
        f"{file}: ok ({config.name}: {costs.crossbars_per_chip} crossbars/chip of "
        f"{config.crossbar.rows}x{config.crossbar.cols}, {config.precision.weight_bits}-bit "
        f"weights in {costs.cells_per_weight} cells, chip {costs.power_w:.2f} W, "
        f"{costs.area_mm2:.2f} mm^2, peak {costs.peak_tops:.2f} TOPS)"
    )
