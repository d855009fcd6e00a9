"""The fault-tolerance studies: `checkpoint + fault model --vulnerability / tolerance-->
study records --to_json--> stored JSON --read_study--> records --report--> PDF`."""

from collections.abc import Sequence
from pathlib import Path

from archsim.explore.ft_records import (
    StoredStudy,
    ToleranceStudy,
    VulnerabilityStudy,
    from_json,
    read_study,
    to_json,
)
from archsim.explore.ft_run import DataOptions, StudyPlan, tolerance_study, vulnerability_study
from archsim.faults.models import check_rate
from archsim.faults.presets import get_fault_model
from archsim.faults.replicas import STUDY_REPLICAS
from archsim.faults.sequential import Design

__all__ = [
    "STUDY_REPLICAS",
    "DataOptions",
    "Design",
    "StoredStudy",
    "StudyPlan",
    "ToleranceStudy",
    "VulnerabilityStudy",
    "from_json",
    "read_study",
    "study_report",
    "to_json",
    "tolerance",
    "vulnerability",
]


# The notebook API: every option a keyword with its CLI default, handed on to
# `explore.ft_run` whole (its records: DataOptions, Design).
def vulnerability(
    checkpoint: str,
    fault_model: str = "dropconnect",
    rate: float = 0.1,
    chips: int = 20,
    *,
    seed: int = 0,
    data: DataOptions | None = None,
    batch_size: int = 256,
    progress: bool = False,
    design: Design | None = None,
) -> VulnerabilityStudy:
    """Per-layer vulnerability of a checkpoint (the loss when only that layer is faulty, on
    the same chips and images for every layer) with each layer's CPU cost, ranked; `chips`
    chips on every image, or with a `design` (images per chip, a target half-width) up to
    `chips` chips, stopped once every layer's interval is within the target."""
    return vulnerability_study(
        checkpoint,
        get_fault_model(fault_model),
        check_rate(rate),
        chips,
        seed,
        data or DataOptions(),
        batch_size,
        progress,
        design,
    )


# The notebook API, as `vulnerability` above (records: StudyPlan, DataOptions).
def tolerance(
    checkpoints: Sequence[tuple[str, str]],
    plan: StudyPlan,
    fault_model: str = "dropconnect",
    rate: float = 0.1,
    chips: int = 20,
    *,
    seed: int = 0,
    data: DataOptions | None = None,
    table: VulnerabilityStudy | None = None,
    batch_size: int = 256,
    progress: bool = False,
) -> ToleranceStudy:
    """Fault-tolerance techniques (placement, remapping, spare columns) on (label,
    checkpoint) pairs, paired on the same chips, with their hardware costs; `table` (a
    vulnerability study) adds the placement search's placements."""
    return tolerance_study(
        list(checkpoints),
        plan,
        get_fault_model(fault_model),
        check_rate(rate),
        chips,
        seed,
        data or DataOptions(),
        table,
        batch_size,
        progress,
    )


def study_report(studies: Sequence[StoredStudy], out: str | Path) -> Path:
    """Draw vulnerability / tolerance studies as report pages into one PDF."""
    from archsim.report.pages_tolerance import render_tolerance_report

    return render_tolerance_report(list(studies), Path(out))
