"""The findings page: one row per finding, a missing one says so."""

from archsim.explore.expansion import DatasetShape
from archsim.explore.results import SweepData, derive
from archsim.explore.spec import load_preset
from archsim.report.pages_findings import findings_pages


def _texts(fig) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.get_text() for t in fig.texts]


def test_every_finding_has_a_row_and_an_empty_sweep_says_not_in_this_sweep() -> None:
    spec = load_preset("fmnist-sft")
    shape = DatasetShape("fashion-mnist", (1, 28, 28), 10, {"shortcut": "A"})
    data = derive(SweepData(spec=spec, datasets={"resnet20": shape}))
    figs = findings_pages(data)
    texts = [t for fig in figs for t in _texts(fig)]
    keys = [
        t.split("\n")[0]
        for t in texts
        if t.split("\n")[0]
        in {
            "DC-1",
            "DC-2",
            "DC-3",
            "DC-4",
            "DC-5",
            "DC-6",
            "DC-7",
            "SFT-1",
            "SFT-2",
            "SFT-3",
            "SFT-4",
            "SFT-5",
            "LB-1",
            "LB-2",
            "STEM",
        }
    ]
    assert len(keys) == len(set(keys)) == 15
    verdicts = [t.replace("\n", " ") for t in texts if t.replace("\n", " ") == "not in this sweep"]
    assert len(verdicts) == 15  # no stored rows at all: every verdict says so
    for fig in figs:
        fig.clf()
