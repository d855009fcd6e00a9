"""`archsim data list`: the table, JSON and CSV outputs and its one-line errors."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from data_writers import tiny_mnist, write_cifar10, write_mnist

from archsim.cli import cli
from archsim.data import ENV_VAR
from archsim.data.mnist import FASHION_MNIST


@pytest.fixture(autouse=True)
def no_ambient_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(FASHION_MNIST, "system_dirs", ())


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["data", "list", *args])
    return result.exit_code, result.output


def test_table_lists_every_dataset_with_digits_found() -> None:
    code, output = run()
    assert code == 0
    lines = output.splitlines()
    assert lines[0].split() == ["name", "found", "train", "test", "input", "classes", "where"]
    assert lines[2].split()[:6] == ["digits", "yes", "1437", "360", "1x8x8", "10"]
    assert [line.split()[0] for line in lines[2:7]] == [
        "digits",
        "fashion-mnist",
        "mnist",
        "cifar10",
        "cifar100",
    ]
    assert "fashion-mnist: install Debian's dataset-fashion-mnist" in output


def test_json_reports_files_found_in_data_dir(tmp_path: Path) -> None:
    write_mnist(tmp_path / "mnist", tiny_mnist(train=4, test=2))
    write_cifar10(tmp_path, per_batch=3)
    code, output = run("--data-dir", str(tmp_path), "--format", "json")
    assert code == 0
    rows = {row["name"]: row for row in json.loads(output)["rows"]}
    assert rows["mnist"]["found"] is True and rows["mnist"]["where"] == str(tmp_path / "mnist")
    assert (rows["mnist"]["train"], rows["mnist"]["test"]) == (4, 2)
    assert (rows["cifar10"]["train"], rows["cifar10"]["test"]) == (15, 3)
    assert rows["cifar100"]["found"] is False and rows["cifar100"]["train"] is None
    assert str(tmp_path / "cifar-100-python") in rows["cifar100"]["searched"]


def test_csv_for_named_datasets_only() -> None:
    code, output = run("mnist", "digits", "--format", "csv")
    assert code == 0
    lines = output.splitlines()
    assert lines[0] == "name,found,train,test,input,classes,where,how_to_get"
    assert lines[1].startswith("digits,yes,1437,360,1x8x8,10,embedded")
    assert lines[2].startswith("mnist,no,,,1x28x28,10,not found,")
    assert len(lines) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("fashion-mnist", "--data-dir", "{missing}"),
            "error: data directory {missing} does not exist",
        ),
        (
            ("imagenet",),
            "error: unknown dataset 'imagenet'; choose one of digits, fashion-mnist, "
            "mnist, cifar10, cifar100",
        ),
    ],
)
def test_mistakes_exit_2_with_one_error_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    missing = str(tmp_path / "missing")
    code, output = run(*(arg.format(missing=missing) for arg in args))
    assert code == 2
    assert output == message.format(missing=missing) + "\n"


def test_data_is_registered_in_the_top_level_help() -> None:
    output = CliRunner().invoke(cli, ["--help"]).output
    assert "List the datasets archsim can load" in output
