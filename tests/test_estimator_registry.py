"""One registry of estimator names (archsim/perf/estimators.py): `estimate_point` dispatches on it,
`archsim map --estimator` offers it and the sweep spec validates against it."""

import json
import subprocess
import sys
from typing import get_args

import pytest
from click.testing import CliRunner

from archsim.cli import cli
from archsim.errors import UserError
from archsim.explore.spec import Cost
from archsim.perf.estimators import ESTIMATOR_NAMES, ESTIMATORS, Estimator, estimator_help


def test_the_registry_names_the_three_estimators_and_builds_the_help_line() -> None:
    assert ESTIMATOR_NAMES == ("des", "analytic", "paper")
    assert estimator_help() == "Cost model: SimPy pipeline, closed form, or Table II's."
    for entry in ESTIMATORS.values():  # every entry's function exists
        assert callable(entry.load())


def test_the_sweep_spec_takes_exactly_the_registered_names() -> None:
    assert get_args(Cost.model_fields["estimator"].annotation) == ESTIMATOR_NAMES
    assert [Cost(estimator=name).estimator for name in ESTIMATOR_NAMES] == list(ESTIMATOR_NAMES)
    with pytest.raises(ValueError, match="'des', 'analytic' or 'paper'"):
        Cost(estimator="roofline")


def test_a_registered_estimator_is_offered_and_dispatched(monkeypatch) -> None:
    # a second name for the closed form: map must accept it, list it and run it
    monkeypatch.setitem(ESTIMATORS, "closed", Estimator(
        name="closed", summary="closed form again",
        function="archsim.perf.analytic:analytic_estimate"))  # fmt: skip
    runner = CliRunner()
    assert "[des|analytic|paper|closed]" in " ".join(
        runner.invoke(cli, ["map", "--help"]).output.split()
    )
    out = runner.invoke(cli, ["map", "-m", "lenet5", "--estimator", "closed", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["costs"]["estimator"] == "analytic"
    from archsim.perf.estimators import estimate_point

    with pytest.raises(UserError, match=r"unknown estimator 'roofline' \(choose from des, "
                       r"analytic, paper, closed\)"):  # fmt: skip
        estimate_point(None, "roofline")  # type: ignore[arg-type]


def test_map_help_lists_estimators_without_loading_them_or_torch() -> None:
    code = (
        "import sys\nfrom archsim.cli import cli\n"
        "cli.main(['map', '--help'], 'archsim', standalone_mode=False)\n"
        "print(sorted(m for m in ('torch', 'simpy', 'archsim.perf.des') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    text = " ".join(out.split())
    assert "--estimator [des|analytic|paper] Cost model: SimPy pipeline, closed form, or" in text
    assert out.strip().splitlines()[-1] == "[]"
