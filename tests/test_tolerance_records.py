"""The stored fault-tolerance studies read back as records (`explore.ft_records`): a stored
document round-trips unchanged, and a damaged, edited or foreign file is one error line
through `archsim ft-report`, before any page is drawn."""

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archsim.cli import cli
from archsim.errors import UserError
from archsim.explore.ft_records import (
    ToleranceStudy,
    VulnerabilityStudy,
    from_json,
    read_study,
    to_json,
)

COST = {
    "throughput_ips": 625000.0,
    "energy_per_image_j": 2.5e-05,
    "occupied_area_mm2": 1.02,
    "crossbars": 44,
    "adc_conversions_per_image": 190832.0,
}


def _loss(group: str, loss: float, weights: int) -> dict[str, Any]:
    return {
        "group": group,
        "weights": weights,
        "loss": loss,
        "ci_low": loss - 2,
        "ci_high": loss + 2,
        "loss_per_kweight": 1000 * loss / weights if weights else None,
        "chips": 2,
    }


def vulnerability_doc() -> dict[str, Any]:
    return {
        "kind": "vulnerability",
        "checkpoint": "c.safetensors",
        "model": "lenet5",
        "dataset": "digits",
        "hardware": "isaac",
        "fault_model": "dropconnect",
        "rate": 0.2,
        "seed": 0,
        "chips": 2,
        "images": 60,
        "clean_accuracy": 90.0,
        "budget_chips": 1,
        "all_layers": {**_loss("(all)", 20.0, 150), "per_chip": [19.0, 21.0]},
        "top_minus_next": {"first": "conv1", "second": "fc1", "difference": 3, "half_width": 1},
        "base_cost": COST,
        "rows": [
            {
                "rank": 1,
                **_loss("conv1", 8.0, 150),
                "cpu_energy_delta_j": -1e-06,
                "cpu_throughput_delta_ips": 0.0,
                "loss_per_uj": math.inf,  # the move saves energy
                "per_chip": [7.0, 9.0],
            },
            {
                "rank": 2,
                **_loss("empty", 5.0, 0),  # no weights: no loss per 1,000 weights
                "cpu_energy_delta_j": 1e-06,
                "cpu_throughput_delta_ips": -10.0,
                "loss_per_uj": 5.0,
                "per_chip": [5.0, 5.0],
            },
        ],
    }


def _technique(name: str, remap: bool, mean: float, paired: bool | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "technique": name,
        "policy": "all-rram",
        "overrides": "",
        "spare_columns": 0,
        "remap": remap,
        "mean": mean,
        "ci_low": mean - 1,
        "ci_high": mean + 1,
        "gain": mean - 50,
        "gain_half_width": 0.5,
        "chips": 2,
        **COST,
    }
    if remap:
        row["remap_table_bits"] = 73204
    row |= {
        "remap_seconds_per_chip": 0.01 if remap else 0.0,
        "eval_seconds_per_chip": 0.02,
        "per_chip": [mean - 1, mean + 1],
        "on_front": remap,
    }
    if paired is not None:  # a later run: paired with the first run's technique, or null
        row["vs_first_run"] = {"difference": 0.0, "half_width": 0.0} if paired else None
    return row


def tolerance_doc() -> dict[str, Any]:
    search = {
        "rule": "greedy",
        "chosen": "search-1",
        "budget": "no budget",
        "family": [
            {"placement": "search-0", "cpu_layers": "", "predicted_accuracy": 70.0, **COST},
            {"placement": "search-1", "cpu_layers": "conv1", "predicted_accuracy": 78.0, **COST},
        ],
        "table": "c.safetensors",
    }
    return {
        "kind": "tolerance",
        "model": "lenet5",
        "dataset": "digits",
        "hardware": "isaac",
        "fault_model": "dropconnect",
        "rate": 0.2,
        "seed": 0,
        "chips": 2,
        "images": 60,
        "budget_chips": 1,
        "runs": [
            {
                "label": "std",
                "checkpoint": "a.safetensors",
                "reference": "none",
                "rows": [
                    _technique("none", False, 50.0, None),
                    _technique("remap", True, 60, None),
                ],
                "search": search,
            },
            {
                "label": "dc",
                "checkpoint": "b.safetensors",
                "reference": "none",
                "rows": [_technique("none", False, 55.0, True), _technique("new", True, 65, False)],
                "search": None,
            },
        ],
    }


def test_stored_documents_round_trip_unchanged_as_records() -> None:
    vul = from_json(vulnerability_doc(), "v.json")
    assert isinstance(vul, VulnerabilityStudy)
    assert vul.rows[0].loss_per_uj == math.inf and vul.rows[1].loss_per_kweight is None
    assert vul.top_minus_next is not None and vul.top_minus_next.difference == 3
    tol = from_json(tolerance_doc(), "t.json")
    assert isinstance(tol, ToleranceStudy)
    first, later = tol.runs
    assert [r.remap_table_bits for r in first.rows] == [None, 73204]
    assert [r.vs_first_run for r in first.rows] == [None, None]  # stored without the key
    assert later.rows[0].vs_first_run is not None and later.rows[1].vs_first_run is None
    assert first.search is not None and first.search.family[1].cpu_layers == "conv1"
    for doc, study in ((vulnerability_doc(), vul), (tolerance_doc(), tol)):
        text = json.dumps(doc, indent=1, allow_nan=True)
        assert to_json(study) == doc
        assert json.dumps(to_json(study), indent=1, allow_nan=True) == text  # key order too
        assert isinstance(study.setting.rate, float) and isinstance(study.setting.chips, int)
    # an integer where a number goes stays an integer, so the file reads back the same
    assert type(vul.top_minus_next.half_width) is int


def _drop(doc: dict[str, Any], *path: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    del doc[path[-1]]


def _set(doc: dict[str, Any], value: Any, *path: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


EDITS = [
    ("vul", lambda d: _drop(d, "rows", 1, "loss"), "rows[1]: missing key 'loss'"),
    ("vul", lambda d: _set(d, "3", "chips"), "chips: expected an integer, got a string"),
    ("vul", lambda d: _set(d, True, "seed"), "seed: expected an integer, got a boolean"),
    ("vul", lambda d: _set(d, math.nan, "rows", 0, "loss"), "rows[0].loss: expected a number"),
    ("vul", lambda d: _set(d, [1, "x"], "all_layers", "per_chip"), "all_layers.per_chip[1]"),
    ("vul", lambda d: _set(d, 5, "rows"), "rows: expected a list, got an integer"),
    ("vul", lambda d: _set(d, None, "base_cost"), "base_cost: expected an object, got null"),
    ("vul", lambda d: _set(d, 1, "rows", 0, "colour"), "rows[0]: unexpected key 'colour'"),
    ("tol", lambda d: _drop(d, "runs", 1, "rows", 0, "vs_first_run"), "missing key 'vs_first"),
    ("tol", lambda d: _set(d, None, "runs", 0, "rows", 0, "vs_first_run"), "the first run"),
    ("tol", lambda d: _set(d, "yes", "runs", 0, "rows", 1, "remap"), "expected a boolean"),
    ("tol", lambda d: _set(d, math.nan, "runs", 1, "rows", 0, "mean"), "got NaN"),
    ("tol", lambda d: _drop(d, "runs", 0, "search", "family", 0, "crossbars"), "family[0]"),
]


def _ft_report(tmp_path: Path, text: str) -> tuple[int, list[str], Path]:
    path, pdf = tmp_path / "study.json", tmp_path / "r.pdf"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["ft-report", str(path), "--out", str(pdf)])
    return result.exit_code, result.output.strip().splitlines(), pdf


@pytest.mark.parametrize(("which", "edit", "message"), EDITS)
def test_an_edited_study_is_one_error_line_through_ft_report(
    tmp_path: Path, which: str, edit: Any, message: str
) -> None:
    doc = copy.deepcopy(vulnerability_doc() if which == "vul" else tolerance_doc())
    edit(doc)
    code, lines, pdf = _ft_report(tmp_path, json.dumps(doc, allow_nan=True))
    assert code != 0 and len(lines) == 1 and lines[0].startswith("error"), lines
    assert f"is a damaged {doc['kind']} study" in lines[0] and message in lines[0], lines
    assert not pdf.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (json.dumps(vulnerability_doc())[:500], "cannot read"),  # truncated
        ('{"kind": "sweep"}', "is not a stored vulnerability or tolerance study"),
        ("[1, 2]", "is not a stored vulnerability or tolerance study"),
    ],
)
def test_a_truncated_or_foreign_file_is_one_error_line(
    tmp_path: Path, text: str, message: str
) -> None:
    code, lines, pdf = _ft_report(tmp_path, text)
    assert code != 0 and len(lines) == 1 and message in lines[0], lines
    assert not pdf.exists()


def test_a_sound_file_draws_its_pages(tmp_path: Path) -> None:
    doc = tolerance_doc()
    code, lines, pdf = _ft_report(tmp_path, json.dumps(doc, allow_nan=True))
    assert code == 0 and lines == [str(pdf)] and pdf.read_bytes().startswith(b"%PDF")
    assert isinstance(read_study(tmp_path / "study.json"), ToleranceStudy)
    with pytest.raises(UserError, match="cannot read"):
        read_study(tmp_path / "absent.json")


def test_vulnerability_pages_say_the_chip_images_they_scored() -> None:
    """The adaptive two-stage stop shows on the pages as evaluate's does: 2 chips x 20 of
    the 60 test images = 40 chip-images (a study without the count says nothing of it)."""
    import matplotlib.pyplot as plt

    from archsim.report.pages_tolerance import vulnerability_pages

    def texts(doc: dict[str, Any]) -> str:
        study = from_json(doc, "study.json")
        assert isinstance(study, VulnerabilityStudy)
        figs = vulnerability_pages(study)
        try:
            return " ".join(
                " ".join(t.get_text().split()) for f in figs for t in f.findobj(plt.Text)
            )
        finally:
            for f in figs:
                plt.close(f)

    two_stage = {**vulnerability_doc(), "images_per_chip": 20, "chip_images": 40}
    said = texts(two_stage)
    assert "2 chips (seed 0) x 20 of 60 test images per chip (two-stage)" in said
    assert "40 chip-images scored" in said
    every = texts({**vulnerability_doc(), "images_per_chip": 60, "chip_images": 120})
    assert "2 chips (seed 0) x 60 test images" in every and "120 chip-images" in every
    assert "chip-images" not in texts(vulnerability_doc())
