"""Shared pytest setup: deterministic, single-threaded torch so tests are repeatable."""

import os

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _quiet_machine_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """The oversubscription warning reads the shared machine's load: keep tests independent
    of what else runs (its text is tested through `archsim.machine.oversubscription`)."""
    import archsim.machine

    monkeypatch.setattr(archsim.machine.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
