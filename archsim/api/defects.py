"""Measured defect maps in and out, checked against the mapping a checkpoint is evaluated on
(formats: `archsim/faults/labformats.py`, docs/defect-maps.md)."""

from dataclasses import dataclass
from pathlib import Path

from archsim.api.mapping import balanced_point
from archsim.atomic import locked_update
from archsim.errors import UserError
from archsim.faults.chip import ChipDrawer
from archsim.faults.faultmap import save_fault_map
from archsim.faults.labformats import import_defect_map, read_any_fault_map
from archsim.faults.measured import Target, checkpoint_target, write_any_fault_map
from archsim.faults.physical import used_crossbars
from archsim.faults.presets import get_fault_model
from archsim.faults.records import ChipFaults

__all__ = ["DefectMapWritten", "DrawnChip", "MappingChoice", "export_defects", "import_defects"]


@dataclass(frozen=True, kw_only=True)
class DefectMapWritten:
    """What a written defect map holds."""

    chip: ChipFaults  # the faults as the checkpoint's mapping sees them
    crossbars: int  # crossbars in the map
    used: int  # of them, crossbars the mapping uses
    faulty_cells: int
    ignored_cells: int  # faulty cells no weight of the mapping occupies


@dataclass(frozen=True, kw_only=True)
class MappingChoice:
    """How the checkpoint is mapped for a defect map; `None` / empty: the checkpoint's."""

    hardware: str | None = None
    policy: str | None = None
    overrides: tuple[str, ...] = ()
    model: str | None = None  # a user model (file.py:factory) the checkpoint was trained as


@dataclass(frozen=True, kw_only=True)
class DrawnChip:
    """Chip `chip` of `seed` drawn from the preset `fault_model` at `rate`."""

    fault_model: str = "cell-isaac"
    rate: float = 0.01
    seed: int = 0
    chip: int = 0


def _target(checkpoint: str, mapped: MappingChoice) -> Target:
    return checkpoint_target(
        checkpoint, mapped.hardware, mapped.policy, mapped.overrides, mapped.model, balanced_point
    )


def import_defects(
    source: str,
    checkpoint: str,
    output: str,
    mapped: MappingChoice = MappingChoice(),
) -> DefectMapWritten:
    """Check a lab's .npz / .csv defect map against `checkpoint`'s mapping (default hardware
    and placement: the checkpoint's) and write it to `output` as an archsim fault map (an
    existing one is replaced under its lock: a concurrent import of the same file is refused)."""
    if Path(output).suffix != ".safetensors":
        raise UserError(f"--output {output}: an imported map is written as .safetensors")
    target = _target(checkpoint, mapped)
    chip, summary = import_defect_map(source, target.sites, target.mapping)
    if Path(output).is_file():
        with locked_update(output, "fault map"):
            save_fault_map(output, chip, target.mapping)
    else:
        save_fault_map(output, chip, target.mapping)
    return DefectMapWritten(chip=chip, crossbars=summary.crossbars, used=summary.used,
                            faulty_cells=summary.faulty_cells,
                            ignored_cells=summary.ignored_cells)  # fmt: skip


def export_defects(
    checkpoint: str,
    output: str,
    *,
    mapped: MappingChoice = MappingChoice(),
    drawn: DrawnChip = DrawnChip(),
    fault_map: str | None = None,
) -> DefectMapWritten:
    """Write the `drawn` chip (or the fault map
    `fault_map`, any format) as a defect map by physical position (.npz, .csv or
    .safetensors by `output`'s suffix)."""
    target = _target(checkpoint, mapped)
    if fault_map:
        faults = read_any_fault_map(fault_map, target.sites, target.mapping)
    else:
        m = target.mapping
        drawer = ChipDrawer(
            target.sites, get_fault_model(drawn.fault_model), m.crossbar_rows, m.crossbar_cols
        )
        faults = drawer.draw(drawn.rate, drawn.seed, drawn.chip)
    if Path(output).is_file():  # replacing a map: under its lock, as an import does
        with locked_update(output, "fault map"):
            write_any_fault_map(output, faults, target)
    else:
        write_any_fault_map(output, faults, target)
    used = len(used_crossbars(target.sites))
    return DefectMapWritten(chip=faults, crossbars=used, used=used,
                            faulty_cells=sum(lf.faults for lf in faults.layers.values()),
                            ignored_cells=0)  # fmt: skip
