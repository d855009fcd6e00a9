"""A small sweep on a local Ray cluster (2 CPUs) gives exactly the rows the local executor does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_explore_toykinds import run_toy, store_rows

pytest.importorskip("ray")


@pytest.mark.slow  # about 15 s: starts a local Ray cluster
def test_ray_and_local_executors_store_identical_rows(tmp_path: Path) -> None:
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    run_toy(tmp_path / "local", jobs=2, executor="local", width=4)
    run_toy(tmp_path / "ray", jobs=2, executor="ray", width=4)
    local_rows = store_rows(tmp_path / "local")
    assert len(local_rows) == 13
    assert store_rows(tmp_path / "ray") == local_rows
