"""The one codec between explore's records and their stored forms: a nested design point and
statistics written in place (CSV and JSON), read back checked, a stored job's extra keys passed
over, a damaged value named where it is."""

from __future__ import annotations

import pytest
from sweep_rows import POINT, accuracy_row, tolerance_row

from archsim.explore.codec import FormatError, csv_columns, csv_row, decode_record, encode
from archsim.explore.ft_records import Setting, ToleranceStudy
from archsim.explore.records import AccuracyRow, DesignPoint, Stats
from archsim.faults.stats import summarize


def test_a_rows_point_and_statistics_are_its_own_columns_in_place() -> None:
    row = accuracy_row([40.0, 60.0], fault_rate=0.1, train_seed=3)
    cells = csv_row(row)
    # the point's columns first (train_seed apart: results.csv has kept it last), then the
    # rate, then the statistics with the yield under its column name
    assert list(cells)[:11] == [*(k for k in POINT if k != "train_seed"), "fault_rate"]
    assert list(cells)[11:19] == ["mean", "std", "ci_low", "ci_high", "p5", "p50", "p95", "yield"]
    assert csv_columns(AccuracyRow)[-1] == "train_seed" and cells["train_seed"] == 3
    assert (cells["mean"], cells["model"]) == (50.0, "resnet20")
    assert "per_chip" not in cells and "point" not in cells  # hidden; nested in place
    # tolerance.csv leaves out the point's hardware, net and recalibration, and the yield
    names = csv_row(tolerance_row([50.0])).keys()
    assert not {"hardware", "net", "recalibrate", "yield"} & set(names)


def test_a_flat_record_is_written_in_place_and_read_back_checked() -> None:
    setting = Setting(model="lenet5", dataset="digits", hardware="isaac",
                      fault_model="dropconnect", rate=0.1, seed=0, chips=3, images=100)  # fmt: skip
    study = ToleranceStudy(setting=setting, budget_chips=1, runs=())
    doc = encode(study)
    assert list(doc) == [*encode(setting), "budget_chips", "runs"]  # no `setting` key
    assert decode_record(ToleranceStudy, doc) == study
    with pytest.raises(FormatError, match="missing key 'rate'"):
        decode_record(ToleranceStudy, {k: v for k, v in doc.items() if k != "rate"})
    with pytest.raises(FormatError, match="unexpected key 'setting'"):
        decode_record(ToleranceStudy, {**doc, "setting": {}})


def test_a_stored_point_and_result_are_read_with_their_other_keys_passed_over() -> None:
    stored = {**POINT, "tolerance": "remap", "fault_model": "dropconnect"}
    assert DesignPoint.stored(stored) == DesignPoint(**POINT)
    with pytest.raises(FormatError, match=r"point\.width: expected a number, got a string"):
        DesignPoint.stored({**POINT, "width": "1.0"})
    # a tolerance result stores no yield and an old store no interval: None, as stored
    stats = Stats.stored({"mean": 50.0, "p5": 41.0, "p50": 50.0, "p95": 59.0, "chips": 2})
    assert (stats.std, stats.ci_low, stats.yield_fraction) == (None, None, None)


def test_the_statistics_of_chips_are_stored_under_the_evaluate_jobs_keys() -> None:
    # chips 40 and 60: mean 50, sd sqrt(200) = 14.142; percentiles interpolate linearly
    # (p5 = 40 + 0.05 * 20 = 41); threshold 50: one chip of two passes
    stats = Stats.of(summarize([40.0, 60.0], threshold=50.0))
    doc = encode(stats)
    assert list(doc) == ["mean", "std", "ci_low", "ci_high", "p5", "p50", "p95", "yield"]
    assert (doc["mean"], doc["p5"], doc["p50"], doc["yield"]) == (50.0, 41.0, 50.0, 0.5)
    assert doc["std"] == pytest.approx(200**0.5)
    assert Stats.stored(doc) == stats
