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
    hardware_file,
    list_hardware,
    load_hardware,
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

    NAME is a hardware name (see `archsim hw list`), a path to a YAML file, or either with
    keys changed, e.g. 'isaac[ima.adc.bits=6]' (docs/hardware-variants.md).
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
                "file": str(hardware_file(name)),
                "hardware": config.model_dump(),
                "totals": derived,
            },
        )
        return
    if fmt == "table":
        click.echo(f"# {hardware_file(name)}")
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
    for check in config.power_checks():
        click.echo(f"power check ok: {check.describe()}")
    click.echo(
        f"{file}: ok ({config.name}: {costs.crossbars_per_chip} crossbars/chip of "
        f"{config.crossbar.rows}x{config.crossbar.cols}, {config.precision.weight_bits}-bit "
        f"weights in {costs.cells_per_weight} cells, chip {costs.power_w:.2f} W, "
        f"{costs.area_mm2:.2f} mm^2, peak {costs.peak_tops:.2f} TOPS)"
    )


@hw.command("calibrate-cpu")
@click.option("--model", "-m", default="resnet20", show_default=True, help="Zoo net name.")
@click.option("--width", type=float, default=1.0, show_default=True)
@click.option("--hw", "hw_name", default="isaac", show_default=True,
              help="Hardware the net is mapped on; the written file is based on it.")  # fmt: skip
@click.option("--policy", default="cpu-1x1", show_default=True, help="Placement policy.")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE",
              help="Net option (default shortcut=1x1, the drop-connect paper's net).")  # fmt: skip
@click.option("--repeats", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--threads", type=click.IntRange(min=1), help="Threads (default: all available).")
@click.option("--output", "-o", required=True, help="Hardware file to write (YAML).")
def calibrate_cpu_command(
    model: str, width: float, hw_name: str, policy: str, options: tuple[str, ...],
    repeats: int, threads: int | None, output: str,
) -> None:  # fmt: skip
    """Time the CPU path's layers on this machine and write a hardware file whose CPU block
    has the measured rate (and the package power, where RAPL exposes it); its `source` says
    what was measured and what was kept."""
    from archsim.api.hardware import calibrate_cpu
    from archsim.atomic import atomic_write_text
    from archsim.cli.map import parse_option

    net_options = dict(parse_option(o) for o in options) if options else {"shortcut": "1x1"}
    measured, overlay = calibrate_cpu(model, width, hw_name, policy=policy,
                                      net_options=net_options, repeats=repeats,
                                      threads=threads)  # fmt: skip
    rows = [
        {"layer": t.name, "macs": t.macs, "median_us": round(t.seconds * 1e6, 3),
         "gmacs_per_s": round(t.macs / t.seconds / 1e9, 3)}
        for t in measured.layers
    ]  # fmt: skip
    emit(rows, "table")
    power = measured.package_power_w
    watts = f"{power:.1f} W (RAPL)" if power is not None else "not measured (no RAPL)"
    click.echo(f"sustained: {measured.macs_per_s / 1e9:.3f} GMAC/s on {measured.machine.model}, "
               f"{measured.machine.cores} threads; package power: {watts}")  # fmt: skip
    atomic_write_text(output, yaml.safe_dump(overlay, sort_keys=False, width=100))
    load_hardware(output)  # the written file is a valid description
    click.echo(f"wrote {output}")
