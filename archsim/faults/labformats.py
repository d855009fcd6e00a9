"""Measured defect maps in the plain formats a test lab writes, checked against a mapping.

NPZ: one int8 (or any integer) array per crossbar, named `chip{C}.tile{T}.ima{I}.xbar{X}`,
shaped (crossbar rows, crossbar columns), holding 0 (ok), 1 (stuck-off) or 2 (stuck-on) per
cell. Every crossbar the mapping uses must be there; others are read and ignored.

CSV: a header `chip,tile,ima,crossbar,row,column,state` and one line per faulty cell
(state 1 or 2; a 0 line is allowed and means ok). Cells not listed are ok.

Either is checked against the mapping: positions inside the node and the crossbar (sizes),
states 0/1/2, no cell twice (CSV), the mapping's crossbars present (NPZ: coverage). Every
problem is one `UserError` line naming the file and the first offending entry. The positions
are physical; `physical.py` turns them into the per-layer cell map the simulator injects.
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archsim.atomic import atomic_write
from archsim.bounds import MAX_FILE_BYTES, read_bounded
from archsim.errors import UserError
from archsim.faults.faultmap import load_fault_map
from archsim.faults.models import STUCK_ON
from archsim.faults.physical import Layout, XbarKey, used_crossbars
from archsim.faults.records import ChipFaults
from archsim.faults.sites import FaultSite
from archsim.mapping.records import Mapping

CSV_HEADER = ("chip", "tile", "ima", "crossbar", "row", "column", "state")
NAME = re.compile(r"chip(\d+)\.tile(\d+)\.ima(\d+)\.xbar(\d+)")
LAB_SUFFIXES = (".npz", ".csv")


@dataclass(frozen=True)
class ImportSummary:
    crossbars: int  # crossbars in the file
    used: int  # of them, crossbars the mapping uses
    faulty_cells: int  # faulty cells in the file
    ignored_cells: int  # of them, cells no weight of the mapping occupies


def xbar_name(key: XbarKey) -> str:
    return "chip{}.tile{}.ima{}.xbar{}".format(*key)


def _check_key(path: Path, key: XbarKey, mapping: Mapping, where: str) -> None:
    limits = (mapping.chips_available, mapping.tiles_per_chip, mapping.imas_per_tile,
              mapping.crossbars_per_ima)  # fmt: skip
    for value, limit, what in zip(key, limits, ("chip", "tile", "ima", "crossbar"), strict=True):
        if not 0 <= value < limit:
            raise UserError(
                f"defect map {path}: {where}: {what} {value} is outside the node "
                f"({what} indices run 0..{limit - 1})"
            )


def _check_states(path: Path, states: np.ndarray, where: str) -> None:
    if not np.issubdtype(states.dtype, np.integer):
        raise UserError(f"defect map {path}: {where} holds {states.dtype} values, not integer "
                        "states 0, 1, 2")  # fmt: skip
    if states.size and (states.min() < 0 or states.max() > STUCK_ON):
        bad = int(states[(states < 0) | (states > STUCK_ON)][0])
        raise UserError(f"defect map {path}: {where} holds state {bad}; states are 0 (ok), "
                        "1 (stuck-off), 2 (stuck-on)")  # fmt: skip


MAX_CSV_BYTES = 16 << 20  # about 800,000 faulty cells: a lab's map of a whole node
MAX_NPZ_EXPANDED = 1 << 30  # the arrays of an .npz once decompressed
MAX_CELL_INDEX = 2**31  # any position or state at or past this is no crossbar's


def read_npz(path: Path, mapping: Mapping) -> dict[XbarKey, np.ndarray]:
    read_bounded(path, "defect map", MAX_FILE_BYTES)  # a FIFO or an oversized file: unread
    try:
        with zipfile.ZipFile(path) as archive_zip:
            expanded = sum(info.file_size for info in archive_zip.infolist())
    except (OSError, zipfile.BadZipFile) as exc:
        raise UserError(f"{path} is not a readable .npz file ({type(exc).__name__})") from None
    if expanded > MAX_NPZ_EXPANDED:
        raise UserError(f"defect map {path} expands to {expanded:,} bytes, more than the "
                        f"{MAX_NPZ_EXPANDED:,} archsim reads")  # fmt: skip
    try:
        archive = np.load(path, allow_pickle=False)
        items = {name: archive[name] for name in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise UserError(f"{path} is not a readable .npz file ({type(exc).__name__})") from None
    arrays: dict[XbarKey, np.ndarray] = {}
    size = (mapping.crossbar_rows, mapping.crossbar_cols)
    for name, states in items.items():
        match = NAME.fullmatch(name)
        if match is None:
            raise UserError(f"defect map {path}: array {name!r} is not named like "
                            "chip0.tile0.ima0.xbar0")  # fmt: skip
        key: XbarKey = tuple(int(g) for g in match.groups())  # type: ignore[assignment]
        _check_key(path, key, mapping, name)
        if states.shape != size:
            raise UserError(f"defect map {path}: {name} is {'x'.join(map(str, states.shape))}, "
                            f"the crossbars are {size[0]}x{size[1]}")  # fmt: skip
        _check_states(path, states, name)
        arrays[key] = states.astype(np.int8)
    return arrays


def read_csv(path: Path, mapping: Mapping) -> dict[XbarKey, np.ndarray]:
    try:
        text = read_bounded(path, "defect map", MAX_CSV_BYTES).decode()
    except UnicodeDecodeError as exc:
        raise UserError(f"{path} is not a readable CSV file ({type(exc).__name__})") from None
    reader = csv.reader(io.StringIO(text))
    header = tuple(h.strip() for h in next(reader, ()))
    if header != CSV_HEADER:
        raise UserError(f"defect map {path}: the header must be {','.join(CSV_HEADER)}, got "
                        f"{','.join(header) or '(empty file)'}")  # fmt: skip
    rows = [(n, r) for n, r in enumerate(reader, start=2) if any(x.strip() for x in r)]
    for line, row in rows:
        if len(row) != 7 or not all(x.strip().lstrip("-").isdigit() for x in row):
            raise UserError(f"defect map {path}: line {line} is not 7 integers")
        if any(len(x.strip().lstrip("-")) > 10 or abs(int(x)) >= MAX_CELL_INDEX for x in row):
            raise UserError(f"defect map {path}: line {line} holds a number out of range")
    table = np.array([[int(x) for x in r] for _, r in rows], dtype=np.int64).reshape(-1, 7)
    arrays: dict[XbarKey, np.ndarray] = {}
    for key in {tuple(map(int, k)) for k in table[:, :4]}:
        _check_key(path, key, mapping, f"line of {xbar_name(key)}")  # type: ignore[arg-type]
    _check_states(path, table[:, 6], "a state column")
    inside = ((table[:, 4] >= 0) & (table[:, 4] < mapping.crossbar_rows)
              & (table[:, 5] >= 0) & (table[:, 5] < mapping.crossbar_cols))  # fmt: skip
    if not inside.all():
        line = rows[int(np.flatnonzero(~inside)[0])][0]
        raise UserError(
            f"defect map {path}: line {line}: row/column outside the "
            f"{mapping.crossbar_rows}x{mapping.crossbar_cols} crossbar"
        )
    _, first, counts = np.unique(table[:, :6], axis=0, return_index=True, return_counts=True)
    if (counts > 1).any():
        twice = table[first[np.flatnonzero(counts > 1)[0]]]
        raise UserError(f"defect map {path}: cell {','.join(map(str, twice[:6]))} is listed "
                        "more than once")  # fmt: skip
    for key in {tuple(map(int, k)) for k in table[:, :4]}:
        on = (table[:, :4] == np.array(key)).all(axis=1)
        states = np.zeros((mapping.crossbar_rows, mapping.crossbar_cols), dtype=np.int8)
        states[table[on, 4], table[on, 5]] = table[on, 6]
        arrays[key] = states  # type: ignore[index]
    return arrays


def import_defect_map(
    path: str | Path, sites: tuple[FaultSite, ...], mapping: Mapping
) -> tuple[ChipFaults, ImportSummary]:
    """A measured NPZ / CSV defect map as the cell fault map of `mapping`'s RRAM layers."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"defect map not found: {path}")
    if path.suffix == ".npz":
        arrays = read_npz(path, mapping)
        missing = [k for k in used_crossbars(sites) if k not in arrays]
        if missing:
            raise UserError(f"defect map {path} covers {len(used_crossbars(sites)) - len(missing)}"
                            f" of the {len(used_crossbars(sites))} crossbars the mapping uses; "
                            f"missing {xbar_name(missing[0])}")  # fmt: skip
    elif path.suffix == ".csv":
        arrays = read_csv(path, mapping)
        size = (mapping.crossbar_rows, mapping.crossbar_cols)
        for key in used_crossbars(sites):
            arrays.setdefault(key, np.zeros(size, dtype=np.int8))
    else:
        raise UserError(f"defect map {path}: the suffix must be .npz or .csv")
    chip, ignored = Layout(sites).from_crossbars(arrays)
    used = set(used_crossbars(sites))
    faulty = sum(int((a != 0).sum()) for a in arrays.values())
    summary = ImportSummary(len(arrays), len(used & set(arrays)), faulty, ignored)
    meta = {"model": mapping.model, "width": mapping.width, "source": str(path)}
    return ChipFaults("cell", chip.layers, "measured", None, meta=meta), summary


def read_any_fault_map(
    path: str | Path, sites: tuple[FaultSite, ...], mapping: Mapping
) -> ChipFaults:
    """An archsim `.safetensors` fault map, or a lab's `.npz` / `.csv` defect map."""
    if Path(path).suffix in LAB_SUFFIXES:
        return import_defect_map(path, sites, mapping)[0]
    return load_fault_map(path, sites, mapping)


def export_defect_map(
    path: str | Path, chip: ChipFaults, sites: tuple[FaultSite, ...], mapping: Mapping
) -> Path:
    """Write a cell fault map as NPZ (every used crossbar) or CSV (faulty cells), atomically."""
    path = Path(path)
    if chip.kind != "cell":
        raise UserError("a weight-level fault map has no cell positions; draw it with a cell "
                        "fault model (cell-isaac, row-isaac, column-isaac)")  # fmt: skip
    arrays = Layout(sites).to_crossbars(chip, mapping.crossbar_rows, mapping.crossbar_cols)
    if path.suffix == ".npz":
        named = {xbar_name(k): v for k, v in arrays.items()}
        return atomic_write(path, lambda tmp: _save_npz(tmp, named))
    if path.suffix != ".csv":
        raise UserError(f"{path}: the suffix must be .npz or .csv (or .safetensors)")
    table = [
        np.column_stack((np.tile(key, (len(r), 1)), r, c, arrays[key][r, c]))
        for key in sorted(arrays)
        for r, c in [np.nonzero(arrays[key])]
    ]
    rows = np.concatenate(table) if table else np.zeros((0, 7), np.int64)
    return atomic_write(
        path,
        lambda tmp: np.savetxt(
            tmp, rows, fmt="%d", delimiter=",", header=",".join(CSV_HEADER), comments=""
        ),
    )


def _save_npz(tmp: Path, named: dict[str, np.ndarray]) -> None:
    with open(tmp, "wb") as handle:  # a file object: np.savez would append .npz to a name
        np.savez_compressed(handle, **named)  # type: ignore[arg-type]
