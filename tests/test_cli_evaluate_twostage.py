"""`archsim evaluate` at rate 0, with two-stage (images-per-chip, adaptive) designs, with
`--skip`, and `--plot`."""

import json
from pathlib import Path

import pytest
from cli_evaluate_support import checkpoint
from cli_evaluate_support import run_evaluate as _run

__all__ = ["checkpoint"]  # the module-scoped fixture, shared with the other evaluate tests


def test_rate_zero_is_evaluated_once(checkpoint: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import archsim.faults.sampler as sampler

    calls: list[int] = []
    real = sampler.correct_mask

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sampler, "correct_mask", counted)  # one call per chip scored
    code, out = _run(
        "--checkpoint", str(checkpoint), "--fault-rate", "0", "--chips", "7", "--format", "json"
    )
    assert code == 0, out
    assert len(calls) == 1  # one chip evaluated, standing for the 7
    assert json.loads(out)["per_chip"]["0.0"] == [json.loads(out)["rows"][0]["mean"]] * 7
    calls.clear()
    assert _run("--checkpoint", str(checkpoint), "--fault-rate", "0.1", "--chips", "7")[0] == 0
    assert len(calls) == 7  # faulty chips differ: each is evaluated
    # two-stage options do not apply at rate 0: one chip, every image, exact (no pilot)
    for two_stage in (
        ("--images-per-chip", "40"),
        ("--images-per-chip", "auto", "--adaptive", "5", "--pilot-chips", "3"),
    ):
        calls.clear()
        code, out = _run(
            "--checkpoint",
            str(checkpoint),
            "--fault-rate",
            "0",
            "--chips",
            "7",
            "--format",
            "json",
            *two_stage,
        )
        assert code == 0, out
        (row,) = json.loads(out)["rows"]
        assert len(calls) == 1 and row["images_per_chip"] == row["chip_images"] > 40
        assert row["std"] == 0 and row["chips"] == 7


def test_two_stage_options_and_their_errors(checkpoint: Path) -> None:
    code, out = _run(
        "--checkpoint",
        str(checkpoint),
        "--fault-rate",
        "0.05",
        "--chips",
        "6",
        "--images-per-chip",
        "40",
        "--format",
        "json",
    )
    assert code == 0, out
    (row,) = json.loads(out)["rows"]
    assert (row["images_per_chip"], row["chip_images"], row["chips"]) == (40, 6 * 40, 6)
    code, out = _run(
        "--checkpoint",
        str(checkpoint),
        "--fault-rate",
        "0.05",
        "--chips",
        "300",
        "--adaptive",
        "5",
        "--images-per-chip",
        "auto",
        "--pilot-chips",
        "5",
        "--pilot-images",
        "50",
        "--format",
        "json",
    )
    assert code == 0, out
    payload = json.loads(out)
    assert payload["rows"][0]["ci_high"] - payload["rows"][0]["mean"] <= 5
    assert "pilot of 5 chips" in payload["notes"]
    for bad, message in (
        (("--images-per-chip", "many"), "a count or 'auto'"),
        (("--images-per-chip", "1"), ">= 2"),
        (("--images-per-chip", "auto", "--chips", "10"), "needs a target"),
        (("--chip-cost", "-1"), "--chip-cost must be >= 0"),
        (("--stop-on", "yield"), "--stop-on yield needs --threshold"),
        (("--min-chips", "50", "--chips", "20"), "--min-chips 50 is more than --chips 20"),
        (("--fault-rate", "0.1,,0.2"), "empty rate between commas"),
        (
            (
                "--stop-on",
                "yield",
                "--threshold",
                "50",
                "--adaptive",
                "5",
                "--images-per-chip",
                "30",
            ),
            "exact per-chip",
        ),
    ):
        code, out = _run("--checkpoint", str(checkpoint), "--fault-rate", "0.05", *bad)
        assert code == 2 and out.startswith("error:") and message in out, out
        assert "Traceback" not in out


def test_without_a_chip_count_it_stops_on_an_interval_and_says_what_it_used(
    checkpoint: Path,
) -> None:
    code, out = _run(
        "--checkpoint", str(checkpoint), "--fault-rate", "0.05", "--limit", "40",
        "--pilot-chips", "4", "--pilot-images", "20", "--format", "json",
    )  # fmt: skip
    assert code == 0, out
    payload = json.loads(out)
    (row,) = payload["rows"]
    assert payload["stopping"].startswith(
        "default: until the 95% interval of the mean is within ±1"
    )
    # two-stage: each chip on its own sample of the 40 images, sized by the pilot
    assert "pilot of 4 chips" in payload["notes"] and row["images_per_chip"] <= 40
    assert payload["chip_images"] == row["chip_images"] > 0
    assert row["chips"] <= 100
    code, out = _run(
        "--checkpoint", str(checkpoint), "--fault-rate", "0.05", "--limit", "40", "--chips", "3",
        "--format", "json",
    )  # fmt: skip
    assert code == 0, out
    payload = json.loads(out)
    # a chip count given: exactly that many chips, each on every image, as before
    assert "stopping" not in payload and payload["chip_images"] == 3 * 40


def test_skip_scores_test_images_disjoint_from_the_first_ones(checkpoint: Path) -> None:
    code, out = _run(
        "--checkpoint", str(checkpoint), "--fault-rate", "0", "--chips", "2", "--skip", "300",
        "--format", "json",
    )  # fmt: skip
    assert code == 0, out
    (row,) = json.loads(out)["rows"]
    assert row["images_per_chip"] == 360 - 300  # the digits test split has 360 images
    code, out = _run("--checkpoint", str(checkpoint), "--skip", "360", "--chips", "2")
    assert code == 2 and "none would be left" in out


def test_plot_draws_the_evaluation_and_a_bad_suffix_is_refused_first(
    checkpoint: Path, tmp_path: Path
) -> None:
    from page_layout import offset_exponents, overlaps

    from archsim.api.faults import EvaluateSpec, MonteCarloSpec, evaluate
    from archsim.report.pages_evaluation import evaluation_figure

    png = tmp_path / "eval.png"
    code, out = _run(
        "--checkpoint", str(checkpoint), "--fault-rate", "0,0.1", "--chips", "3", "--limit", "40",
        "--plot", str(png),
    )  # fmt: skip
    assert code == 0, out
    assert png.read_bytes().startswith(b"\x89PNG")
    code, out = _run("--checkpoint", str(checkpoint), "--plot", str(tmp_path / "eval.txt"))
    assert code == 2 and "--plot must name a .png, .pdf, .svg file" in out
    spec = EvaluateSpec(checkpoint=str(checkpoint), rates=(0.0, 0.1), limit=40,
                        montecarlo=MonteCarloSpec(chips=3, progress=False))  # fmt: skip
    fig = evaluation_figure(evaluate(spec))
    assert overlaps(fig) == [] and offset_exponents(fig) == []
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["0", "0.1"]
