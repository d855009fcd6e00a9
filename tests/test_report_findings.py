"""The findings page: one row per finding the sweep tested; the rest in one line."""

from archsim.explore.expansion import DatasetShape
from archsim.explore.findings import BUILDERS
from archsim.explore.results import SweepData, derive
from archsim.explore.spec import load_preset
from archsim.explore.verdict import NOT_IN_SWEEP
from archsim.report.pages_findings import findings_pages


def _texts(fig) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.get_text() for t in fig.texts]


def test_an_empty_sweep_names_every_finding_in_one_not_tested_line() -> None:
    spec = load_preset("fmnist-sft")
    shape = DatasetShape("fashion-mnist", (1, 28, 28), 10, {"shortcut": "A"})
    data = derive(SweepData(spec=spec, datasets={"resnet20": shape}))
    assert len(data.findings) == len(BUILDERS) == 15
    assert all(f.verdict == NOT_IN_SWEEP for f in data.findings)  # no stored rows at all
    (fig,) = findings_pages(data)
    texts = [t.replace("\n", " ") for t in _texts(fig)]
    assert not any(t == NOT_IN_SWEEP for t in texts)  # no row per untested finding
    (line,) = [t for t in texts if t.startswith("Not tested by this sweep: ")]
    keys = line.removeprefix("Not tested by this sweep: ").split(";")[0].split(", ")
    assert keys == [f.key for f in data.findings]
    fig.clf()
