"""`archsim vulnerability`, `archsim tolerance` and `archsim ft-report` end to end on digits,
and their one-line errors."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from faults_support import save_trained_lenet5
from page_layout import every_page_checked

from archsim.cli import cli


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_trained_lenet5(tmp_path_factory.mktemp("ft") / "lenet5.safetensors")


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*args])
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


COMMON = ("--chips", "3", "--limit", "60", "--no-progress", "--format", "json")


def test_vulnerability_ranks_every_weight_layer(checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "vul.json"
    code, text = _run(
        "vulnerability",
        "--checkpoint",
        str(checkpoint),
        "--fault-rate",
        "0.3",
        *COMMON,
        "--out",
        str(out),
    )
    assert code == 0, text
    rows = json.loads(text)["rows"]
    stored = json.loads(out.read_text())
    names = {r["group"] for r in stored["rows"]}
    assert names == {"conv1", "conv2", "fc1", "fc2", "fc3"}  # all-rram: every weight layer
    # the checkpoint holds no BatchNorm set (never recalibrated): training's, named so
    assert stored["bn_set"] == json.loads(text)["bn_set"] == "training"
    losses = [r["loss"] for r in rows]
    assert losses == sorted(losses, reverse=True) and [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
    for r in stored["rows"]:
        assert len(r["per_chip"]) == 3
        assert r["loss"] == pytest.approx(sum(r["per_chip"]) / 3)
        assert r["cpu_energy_delta_j"] != 0  # moving a layer changes the design point's cost


def test_tolerance_pairs_techniques_and_draws_the_report(checkpoint: Path, tmp_path: Path) -> None:
    vul, tol, pdf = tmp_path / "v.json", tmp_path / "t.json", tmp_path / "r.pdf"
    code, text = _run(
        "vulnerability",
        "--checkpoint",
        str(checkpoint),
        "--fault-rate",
        "0.2",
        *COMMON,
        "--out",
        str(vul),
    )
    assert code == 0, text
    code, text = _run(
        "tolerance",
        "--checkpoint",
        f"std={checkpoint}",
        "--fault-rate",
        "0.2",
        "--placement",
        "all-rram",
        "--technique",
        "none,remap,spare-1,cpu-1x1:none",
        "--vulnerability",
        str(vul),
        "--search-steps",
        "1",
        *COMMON,
        "--out",
        str(tol),
    )
    assert code == 0, text
    rows = {r["technique"]: r for r in json.loads(text)["rows"]}
    search = json.loads(tol.read_text())["runs"][0]["search"]
    assert {r["bn_set"] for r in rows.values()} == {"training"}
    # no budget: the longest prefix is chosen, and it is evaluated besides search-1
    assert search["chosen"] == search["family"][-1]["placement"] != "search-1"
    assert set(rows) == {
        "none",
        "remap",
        "spare-1",
        "cpu-1x1:none",
        "search-1:none",
        f"{search['chosen']}:none",
    }
    assert rows["none"]["gain"] == 0 and rows["none"]["gain_half_width"] == 0
    # rows nobody listed say which placement they are and why the study added them
    assert all("why" not in rows[n] for n in ("none", "remap", "spare-1", "cpu-1x1:none"))
    assert rows["search-1:none"]["why"].startswith("--search-steps 1: step 1 of the placement")
    chosen = rows[f"{search['chosen']}:none"]["why"]
    assert chosen.startswith("the placement search's choice under no budget: the longest")
    assert chosen.endswith(" on the CPU)")
    # the tables and the spares' conversions cost energy; nothing else changes for remap
    assert rows["remap"]["energy_per_image_j"] > rows["none"]["energy_per_image_j"]
    assert rows["remap"]["throughput_ips"] == rows["none"]["throughput_ips"]
    assert rows["spare-1"]["adc_conversions_per_image"] > rows["none"]["adc_conversions_per_image"]
    # search-0 is all-rram with nothing moved: the same point as `none`
    assert search["family"][0]["cpu_layers"] == ""
    assert search["family"][0]["energy_per_image_j"] == rows["none"]["energy_per_image_j"]
    # a budget that picks search-1, which --search-steps also lists: evaluated once
    budget = str(search["family"][1]["energy_per_image_j"])
    code, text = _run(
        "tolerance",
        "--checkpoint",
        str(checkpoint),
        "--fault-rate",
        "0.2",
        "--placement",
        "all-rram",
        "--technique",
        "none",
        "--vulnerability",
        str(vul),
        "--search-steps",
        "1",
        "--energy-budget",
        budget,
        *COMMON,
    )
    assert code == 0, text
    budgeted = json.loads(text)["rows"]
    assert [r["technique"] for r in budgeted] == ["none", "search-1:none"]
    assert budgeted[1]["why"].startswith("--search-steps 1: step 1") and (
        "; the placement search's choice under " in budgeted[1]["why"]
    )  # both reasons, one row
    # the budget in the reader's unit: J x 1e6 = uJ, '%g'
    words = f"{float(budget) * 1e6:g} uJ/image"
    assert f"; the placement search's choice under {words}:" in budgeted[1]["why"]
    with every_page_checked() as problems:
        code, text = _run("ft-report", str(vul), str(tol), "--out", str(pdf))
        assert code == 0, text
        code, text = _run(
            "vulnerability",
            "--checkpoint",
            str(checkpoint),
            "--fault-rate",
            "0.2",
            *COMMON,
            "--pdf",
            str(tmp_path / "v.pdf"),
        )
        assert code == 0, text
    assert pdf.read_bytes().startswith(b"%PDF")
    # every page of both PDFs: no two labels overlap, no axis has an offset exponent
    *found, pages = problems
    assert found == [] and int(pages.split()[0]) >= 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--technique", "magic"), "technique 'magic' must be"),
        (("--technique", "nowhere:remap"), "unknown placement 'nowhere'"),
        (("--fault-model", "cell-isaac"), "weight-granularity"),
        (("--chips", "1"), "--chips must be >= 2"),
        (("--fault-rate", "2"), "fault rate must be in [0, 1]"),
        (("--vulnerability", "/nonexistent.json"), "cannot read study /nonexistent.json"),
    ],
)
def test_tolerance_errors_are_one_line(
    checkpoint: Path, args: tuple[str, ...], message: str
) -> None:
    code, text = _run(
        "tolerance", "--checkpoint", str(checkpoint), "--limit", "20", "--no-progress", *args
    )
    lines = [line for line in text.splitlines() if line.startswith("error")]
    assert code != 0 and len(lines) == 1 and message in lines[0], text


def test_ft_report_refuses_other_files(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"kind": "sweep"}')
    code, text = _run("ft-report", str(bad), "--out", str(tmp_path / "r.pdf"))
    assert code != 0 and "not a stored vulnerability or tolerance study" in text
    assert not (tmp_path / "r.pdf").exists()


def test_two_runs_are_paired_on_the_same_chips(checkpoint: Path) -> None:
    # The same checkpoint twice: every technique's per-chip accuracies repeat exactly, so the
    # paired difference with the first run is 0 ± 0; the best-accuracy row is on the front.
    code, text = _run(
        "tolerance",
        "--checkpoint",
        f"a={checkpoint}",
        "--checkpoint",
        f"b={checkpoint}",
        "--technique",
        "none,remap",
        "--fault-rate",
        "0.3",
        *COMMON,
    )
    assert code == 0, text
    rows = json.loads(text)["rows"]
    second = [r for r in rows if r["run"] == "b"]
    assert [r["vs_first_run"] for r in second] == [{"difference": 0.0, "half_width": 0.0}] * 2
    best = max(rows, key=lambda r: r["mean"])
    assert best["on_front"]


@pytest.mark.slow
def test_vulnerability_stops_on_an_interval_by_default(checkpoint: Path) -> None:
    # No --chips: adaptive and two-stage; a pilot of 10 chips on all 60 images, then m per
    # chip, so chip-images = (5 layers + all) x (10 x 60 + (chips - 10) x m), printed.
    args = ("--checkpoint", str(checkpoint), "--fault-rate", "0.1", "--limit", "60")
    code, text = _run("vulnerability", *args, "--no-progress", "--format", "json")
    assert code == 0, text
    out = json.loads(text)
    k, m = out["chips"], out["images_per_chip"]
    assert "default: until every layer's 95% loss interval" in out["stopping"]
    assert 10 <= k <= 50 and 20 <= m <= 60
    assert out["chip_images"] == 6 * (10 * 60 + (k - 10) * m)
    widest = max((r["ci_high"] - r["ci_low"]) / 2 for r in out["rows"])
    assert widest <= 1.0 or ("notes" in out and k == 50)
    code, table = _run("vulnerability", *args, "--no-progress")
    assert code == 0 and f"chip_images: {out['chip_images']}" in table
