"""No output replaces an input or anything but a regular file: every writing option of every
command, pointed at each kind of input the command reads (by the same path, a hard link or a
symlink) or at a device node, is refused with one `error:` line before anything runs, and every
file is byte-identical afterwards. Non-regular inputs (a FIFO, a device) are refused unread.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from archsim.cli import cli

# Each input kind, as a file with some bytes: the guard refuses before anything is read, so
# the content only has to be recognisable afterwards.
INPUTS = {
    "store": "out/results.sqlite",
    "study": "study.json",
    "defect map (npz)": "map.npz",
    "defect map (csv)": "map.csv",
    "defect map (safetensors)": "map.safetensors",
    "checkpoint": "ck.safetensors",
    "spec": "spec.yaml",
    "hardware file": "hw.yaml",
    "user model": "net.py",
}


@dataclass(frozen=True)
class Writer:
    """A command line that reads `reads` and writes through `option`."""

    args: tuple[str, ...]
    option: str
    reads: tuple[str, ...]  # keys of INPUTS


CK, HW = ("--checkpoint", "ck.safetensors"), ("--hw", "hw.yaml")
WRITERS = [
    Writer(("report", "out"), "--out", ("store",)),
    Writer(("report", "out/results.sqlite"), "--out", ("store",)),
    Writer(("ft-report", "study.json"), "--out", ("study",)),
    Writer(
        ("faults", "import", "map.npz", *CK, *HW),
        "--output",
        ("defect map (npz)", "checkpoint", "hardware file"),
    ),
    Writer(("faults", "import", "map.csv", *CK), "--output", ("defect map (csv)", "checkpoint")),
    Writer(
        ("faults", "export", *CK, *HW, "--fault-map", "map.safetensors"),
        "--output",
        ("checkpoint", "hardware file", "defect map (safetensors)"),
    ),
    Writer(("recalibrate", *CK, "--rates", "0.1"), "--output", ("checkpoint",)),
    Writer(
        ("train", "--model", "net.py:build", "--from", "ck.safetensors", *HW),
        "--output",
        ("user model", "checkpoint", "hardware file"),
    ),
    Writer(("vulnerability", *CK, *HW), "--out", ("checkpoint", "hardware file")),
    Writer(("vulnerability", *CK, *HW), "--pdf", ("checkpoint", "hardware file")),
    Writer(
        ("tolerance", *CK, "--vulnerability", "study.json", *HW),
        "--out",
        ("checkpoint", "study", "hardware file"),
    ),
    Writer(
        ("tolerance", *CK, "--vulnerability", "study.json", *HW),
        "--pdf",
        ("checkpoint", "study", "hardware file"),
    ),
    Writer(("pareto", "--spec", "spec.yaml"), "--out", ("spec",)),
]


def _make_inputs(folder: Path) -> None:
    for kind, name in INPUTS.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"the {kind} a lab cannot replace\n".encode())


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _refused(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args)
    lines = result.stderr.splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "Traceback" not in result.output
    return lines[0]


ALIASES: dict[str, Callable[[Path, Path], None]] = {
    "same path": lambda link, target: None,
    "hard link": lambda link, target: os.link(target, link),
    "symlink": lambda link, target: link.symlink_to(target.resolve()),
}

MATRIX = [(writer, kind, alias) for writer in WRITERS for kind in writer.reads for alias in ALIASES]


@pytest.mark.parametrize(
    ("writer", "kind", "alias"),
    MATRIX,
    ids=[f"{' '.join(w.args[:2])} {w.option} {k} ({a})" for w, k, a in MATRIX],
)
def test_no_writing_option_replaces_an_input(
    writer: Writer, kind: str, alias: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _make_inputs(tmp_path)
    target = Path(INPUTS[kind])
    out = target if alias == "same path" else Path(f"alias-{target.name}")
    ALIASES[alias](out, target)
    before = _digests(tmp_path)
    line = _refused([*writer.args, writer.option, str(out)])
    if writer.option == "--out" and writer.args[0] == "pareto":
        assert "is a file" in line or "not a folder" in line
    else:
        assert "is the same file as the input" in line
    assert _digests(tmp_path) == before


@pytest.fixture
def device_node(tmp_path: Path) -> Path:
    """/dev/null's twin made in a temporary folder (as root), else a FIFO."""
    node = tmp_path / "node"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        os.mkfifo(node)
    return node


@pytest.mark.parametrize(
    "writer",
    [w for i, w in enumerate(WRITERS) if i != 1],
    ids=[f"{' '.join(w.args[:2])} {w.option}" for i, w in enumerate(WRITERS) if i != 1],
)
def test_no_writing_option_writes_to_a_device_node(
    writer: Writer, device_node: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _make_inputs(tmp_path)
    mode = device_node.lstat()
    before = _digests(tmp_path)
    line = _refused([*writer.args, writer.option, str(device_node)])
    assert "not a regular file" in line or "not a folder" in line or "is a file" in line
    after = device_node.lstat()
    assert (after.st_mode, after.st_rdev, after.st_ino) == (mode.st_mode, mode.st_rdev, mode.st_ino)
    assert _digests(tmp_path) == before


def test_a_sweep_folder_holding_a_device_where_a_table_goes_is_refused(
    device_node: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _make_inputs(tmp_path)
    (tmp_path / "sweep").mkdir()
    os.symlink(device_node, tmp_path / "sweep" / "report.pdf")
    line = _refused(["pareto", "--spec", "spec.yaml", "--out", "sweep"])
    assert "report.pdf, which is not a regular file" in line


@pytest.mark.parametrize(
    "args",
    [
        ("pareto", "--spec", "{node}"),
        ("hw", "validate", "{node}"),
        ("map", "--model", "lenet5", "--hw", "{node}"),
        ("evaluate", "--checkpoint", "{node}"),
        ("ft-report", "{node}", "--out", "x.pdf"),
        ("report", "{node}"),
        ("faults", "import", "{node}", "--checkpoint", "ck.safetensors", "--output", "m.npz"),
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_a_fifo_or_device_is_never_read(
    args: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _make_inputs(tmp_path)
    os.mkfifo(tmp_path / "fifo")  # opening it to read would block forever
    line = _refused([a.replace("{node}", "fifo") for a in args])
    assert "fifo is not a regular file" in line


def test_dev_zero_as_a_spec_is_refused_unread() -> None:
    line = _refused(["pareto", "--spec", "/dev/zero", "--out", "/nonexistent/out"])
    assert "--spec /dev/zero is not a regular file" in line


def test_an_output_beside_its_input_is_fine(tmp_path: Path) -> None:
    """The guard refuses only what names an input: a new file next to one is written."""
    from archsim.cli.guard import check_paths
    from archsim.cli.report import report

    _make_inputs(tmp_path)
    check_paths(report, {"store": tmp_path / "out", "out": tmp_path / "out" / "report.pdf"})
    (tmp_path / "out" / "report.pdf").write_bytes(b"%PDF old report")
    check_paths(report, {"store": tmp_path / "out", "out": tmp_path / "out" / "report.pdf"})


@pytest.mark.parametrize("name", ["../escaped", "/tmp/abs", "a/b", ".hidden", "", "x" * 101])
def test_a_sweep_name_is_a_name_not_a_path(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml
    from bad_input_cases import SPEC

    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump({**SPEC, "name": name}))
    line = _refused(["pareto", "--spec", "spec.yaml"])
    assert "name" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"]  # nothing written
