"""The fault-mechanism registry: one `Mechanism` per granularity, looked up by name.

A new mechanism is one module with a `Mechanism` subclass (see `mechanism.py`) and one entry
in `_REGISTERED`; a preset that uses it goes in `presets.py`, from which the CLI builds its
`--fault-model` help.
"""

from archsim.errors import UserError
from archsim.faults.clustered import ClusterFaults
from archsim.faults.independent import CellFaults, WeightFaults
from archsim.faults.lines import ColumnFaults, RowFaults
from archsim.faults.mechanism import Mechanism
from archsim.faults.models import FaultModel

_REGISTERED: tuple[Mechanism, ...] = (
    WeightFaults(),
    CellFaults(),
    RowFaults(),
    ColumnFaults(),
    ClusterFaults(),
)
MECHANISMS: dict[str, Mechanism] = {m.granularity: m for m in _REGISTERED}


def get_mechanism(granularity: str) -> Mechanism:
    """The mechanism registered for `granularity`, or a one-line `UserError` naming them."""
    mechanism = MECHANISMS.get(granularity)
    if mechanism is None:
        raise UserError(f"fault granularity must be one of {', '.join(MECHANISMS)}, "
                        f"got {granularity!r}")  # fmt: skip
    return mechanism


def mechanism_of(model: FaultModel) -> Mechanism:
    """The mechanism that draws and samples `model`'s faults."""
    return get_mechanism(model.granularity)


def training_cells(model: FaultModel) -> bool:
    """Whether sampling `model`'s faults in training needs the layers' cell formats."""
    return mechanism_of(model).trains_on_cells
