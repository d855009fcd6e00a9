"""The records of a stored fault-tolerance study: a `VulnerabilityStudy` (per-layer rows) or a
`ToleranceStudy` (per checkpoint a `ToleranceRun` of `TechniqueRow`s and its placement
search), built by `ft_vulnerability` and `ft_run`, drawn by `report.pages_tolerance`.

Stored as JSON (`to_json`; `archsim vulnerability --out`, `archsim tolerance --out`): an object
with `kind` first, then each record's fields in declaration order, its `Setting`'s in place
(`codec`). `from_json`
(and `read_study` for a file) reads one back, every value checked, and refuses a truncated,
edited or foreign file in one line. Two irregularities of the stored form are kept so every
stored file reads back unchanged: `remap_table_bits` is written only for a remapping
technique, and the first run's rows carry no `vs_first_run` (they are what the later runs'
rows are paired with); a later run's row holds null there when the first run lacks its
technique.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from archsim.bounds import parse_json, read_bounded
from archsim.errors import UserError
from archsim.explore.codec import FormatError, decode_record, encode, flat, omitted_when_none


@dataclass(frozen=True, kw_only=True)
class PointCost:
    """Headline costs of one design point."""

    throughput_ips: float
    energy_per_image_j: float
    occupied_area_mm2: float
    crossbars: int  # one copy of every RRAM layer
    adc_conversions_per_image: float


@dataclass(frozen=True, kw_only=True)
class LayerLoss:
    """Accuracy lost (points) when only `group` is faulty: mean over chips, 95% interval."""

    group: str
    weights: int
    loss: float
    ci_low: float
    ci_high: float
    loss_per_kweight: float | None  # None for a group of no weights
    chips: int
    per_chip: tuple[float, ...]


@dataclass(frozen=True, kw_only=True)
class VulnerabilityRow:
    """One layer of the ranking, with what moving it alone to the CPU costs."""

    rank: int
    group: str
    weights: int
    loss: float
    ci_low: float
    ci_high: float
    loss_per_kweight: float | None
    chips: int
    cpu_energy_delta_j: float
    cpu_throughput_delta_ips: float
    loss_per_uj: float  # infinite where the move saves energy
    per_chip: tuple[float, ...]


@dataclass(frozen=True, kw_only=True)
class TopMinusNext:
    """The top layer's loss minus the second's, paired on the same chips."""

    first: str
    second: str
    difference: float
    half_width: float


@dataclass(frozen=True, kw_only=True)
class Setting:
    """What every row of a study is measured on: a net on its dataset's test images, on a
    hardware description, under a fault model at one rate, on chips 0 .. chips-1 of a seed."""

    model: str
    dataset: str
    hardware: str
    fault_model: str
    rate: float
    seed: int
    chips: int
    images: int


@dataclass(frozen=True, kw_only=True)
class VulnerabilityStudy:
    KIND: ClassVar[str] = "vulnerability"

    checkpoint: str
    setting: Setting = flat()
    clean_accuracy: float  # quantized, fault-free, on the same images
    budget_chips: int
    all_layers: LayerLoss  # every layer faulty at once
    top_minus_next: TopMinusNext | None  # None with a single layer
    base_cost: PointCost  # the all-rram design point
    rows: tuple[VulnerabilityRow, ...]  # by decreasing loss
    bn_set: str | None = omitted_when_none()  # BatchNorm statistics (None: older studies)
    images_per_chip: int | None = omitted_when_none()  # m of each chip (None: older studies)
    chip_images: int | None = omitted_when_none()  # image evaluations under a chip, pilot too


@dataclass(frozen=True, kw_only=True)
class Difference:
    """A paired difference on the same chips: mean and 95% half-width."""

    difference: float
    half_width: float


@dataclass(frozen=True, kw_only=True)
class TechniqueRow:
    """One technique on one checkpoint: accuracy over chips, paired gain against the run's
    reference technique, and the costs of its design point."""

    technique: str
    policy: str
    overrides: str  # space-separated LAYER=TARGET
    spare_columns: int
    remap: bool
    mean: float
    ci_low: float | None  # None below two chips
    ci_high: float | None
    gain: float | None  # minus the reference, paired; None below two chips
    gain_half_width: float | None
    chips: int
    throughput_ips: float
    energy_per_image_j: float
    occupied_area_mm2: float
    budget_area_mm2: float | None = omitted_when_none()  # the budget's silicon (None: older)
    crossbars: int
    adc_conversions_per_image: float
    remap_table_bits: int | None = omitted_when_none()  # remapping techniques only
    remap_seconds_per_chip: float
    eval_seconds_per_chip: float
    per_chip: tuple[float, ...]
    bn_set: str | None = omitted_when_none()  # BatchNorm statistics (None: older studies)
    why: str | None = omitted_when_none()  # a row the study added itself: which and why
    on_front: bool  # on the Pareto front over every run's rows
    vs_first_run: Difference | None  # the first run's same technique; None: none there


@dataclass(frozen=True, kw_only=True)
class PlacementCandidate:
    """One member `search-k` of the placement search's nested family."""

    placement: str
    cpu_layers: str  # space-separated
    predicted_accuracy: float
    cost: PointCost = flat()


@dataclass(frozen=True, kw_only=True)
class PlacementSearch:
    rule: str
    chosen: str  # the label of the member picked under the budget
    budget: str
    family: tuple[PlacementCandidate, ...]
    table: str  # the vulnerability study's checkpoint


@dataclass(frozen=True, kw_only=True)
class ToleranceRun:
    """One checkpoint's techniques, every one on the same chips."""

    label: str
    checkpoint: str
    reference: str  # the technique gains are paired against
    rows: tuple[TechniqueRow, ...]
    search: PlacementSearch | None  # None without a vulnerability table


@dataclass(frozen=True, kw_only=True)
class ToleranceStudy:
    KIND: ClassVar[str] = "tolerance"

    setting: Setting = flat()
    budget_chips: int
    runs: tuple[ToleranceRun, ...]


StoredStudy = VulnerabilityStudy | ToleranceStudy
KINDS: dict[str, type[StoredStudy]] = {
    "vulnerability": VulnerabilityStudy,
    "tolerance": ToleranceStudy,
}
PAIRED = "vs_first_run"


def to_json(study: StoredStudy) -> dict[str, Any]:
    """The stored (JSON-ready) form of `study`."""
    doc: dict[str, Any] = {"kind": study.KIND, **encode(study)}
    if isinstance(study, ToleranceStudy) and doc["runs"]:
        for row in doc["runs"][0]["rows"]:
            del row[PAIRED]
    return doc


def _first_run_paired(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` with the first run's rows given `vs_first_run: null` (stored without it)."""
    runs = doc.get("runs")
    if not (isinstance(runs, list) and runs and isinstance(runs[0], dict)):
        return doc
    rows = runs[0].get("rows")
    if not isinstance(rows, list):
        return doc
    first = []
    for i, row in enumerate(rows):
        if isinstance(row, dict) and PAIRED in row:
            raise FormatError(f"runs[0].rows[{i}]", f"unexpected key {PAIRED!r} in the first run")
        first.append({**row, PAIRED: None} if isinstance(row, dict) else row)
    return {**doc, "runs": [{**runs[0], "rows": first}, *runs[1:]]}


def from_json(doc: Any, source: str | Path) -> StoredStudy:
    """The study stored as `doc` (parsed JSON from `source`), or one `UserError` line."""
    kind = doc.get("kind") if isinstance(doc, dict) else None
    if not isinstance(kind, str) or kind not in KINDS:
        raise UserError(f"{source} is not a stored vulnerability or tolerance study")
    body = {k: v for k, v in doc.items() if k != "kind"}
    try:
        if kind == ToleranceStudy.KIND:
            body = _first_run_paired(body)
        return decode_record(KINDS[kind], body)
    except FormatError as exc:
        raise UserError(f"{source} is a damaged {kind} study: {exc}") from None


MAX_STUDY_BYTES = 4 << 20  # a study of every layer of the largest zoo net is a few hundred kB
MAX_STUDY_ROWS = 2_000  # rows of one table: a row per layer group or technique, not per weight


def read_study(path: str | Path) -> StoredStudy:
    """The study stored in the JSON file at `path`."""
    doc = parse_json(read_bounded(path, "study", MAX_STUDY_BYTES), str(path))
    if isinstance(doc, dict):
        for key, value in doc.items():
            if isinstance(value, list) and len(value) > MAX_STUDY_ROWS:
                raise UserError(f"{path}: {key} has {len(value):,} rows, more than the "
                                f"{MAX_STUDY_ROWS:,} a study holds")  # fmt: skip
    return from_json(doc, path)
