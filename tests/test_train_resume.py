"""An interrupted run resumed from its last saved epoch equals an uninterrupted one exactly."""

from pathlib import Path
from typing import Any

import pytest
import torch

from archsim.checkpoint import read_checkpoint
from archsim.train import EpochRecord, make_spec, train
from archsim.train.state import partial_path

BASE: dict[str, Any] = dict(
    model="resnet20",
    dataset="digits",
    limit=256,
    val_limit=90,
    batch_size=64,
    val_chips=1,
    progress=False,
    seed=3,
)


class Interrupt(Exception):
    pass


def _stop_after(epoch: int):
    def hook(record: EpochRecord) -> None:
        if record.epoch == epoch:
            raise Interrupt

    return hook


def _same_numbers(a: list[EpochRecord], b: list[EpochRecord]) -> None:
    strip = [{**r.to_dict(), "seconds": 0} for r in a]
    assert strip == [{**r.to_dict(), "seconds": 0} for r in b]


@pytest.mark.parametrize(
    "fields, stops",
    [
        (dict(method="dropconnect", rate=0.2, epochs=3, recalibrate=(0.0, 0.2)), (0, 1)),
        (
            dict(
                method="progressive",
                rates=(0.01, 0.03),
                epochs=2,
                prune="admm",
                sparsity=0.5,
                admm_epochs=1,
                schedule="step",
                milestones=(1,),
            ),
            (0, 2),
        ),
        (dict(method="dropconnect", rate=0.1, epochs=3, optimizer="adam", lr=1e-3), (1,)),
    ],
)
def test_resumed_run_equals_uninterrupted(tmp_path: Path, fields: dict, stops: tuple) -> None:
    whole = train(make_spec(**BASE, **fields, out_dir=str(tmp_path / "a")))
    spec = make_spec(**BASE, **fields, out_dir=str(tmp_path / "b"))
    final = spec.checkpoint_path()
    for stop in stops:  # interrupted after each of these epochs, then run again
        with pytest.raises(Interrupt):
            train(spec, on_epoch=_stop_after(stop))
        assert partial_path(final).is_file() and not final.exists()
    resumed = train(spec)
    assert resumed.resumed_from == stops[-1] + 1
    assert not partial_path(final).exists()
    a, b = read_checkpoint(whole.checkpoint), read_checkpoint(resumed.checkpoint)
    assert a.state.keys() == b.state.keys()
    for key in a.state:
        assert torch.equal(a.state[key], b.state[key]), key
    assert a.bn_sets.keys() == b.bn_sets.keys()
    for rate in a.bn_sets:
        assert all(torch.equal(a.bn_sets[rate][k], b.bn_sets[rate][k]) for k in a.bn_sets[rate])
    _same_numbers(list(whole.curves), list(resumed.curves))


def test_complete_run_is_not_repeated_and_changed_spec_starts_over(tmp_path: Path) -> None:
    spec = make_spec(**BASE, epochs=1, out_dir=str(tmp_path))
    first = train(spec)
    again = train(spec)
    assert again.cached and again.checkpoint == first.checkpoint
    assert again.curves == first.curves
    other = train(make_spec(**{**BASE, "seed": 4}, epochs=1, out_dir=str(tmp_path)))
    assert not other.cached and other.curves != first.curves


def test_adam_state_is_saved_and_the_card_picks_adam(tmp_path: Path) -> None:
    spec = make_spec(**{**BASE, "model": "minimobilenet"}, epochs=2, out_dir=str(tmp_path))
    with pytest.raises(Interrupt):
        train(spec, on_epoch=_stop_after(0))
    partial = read_checkpoint(partial_path(spec.checkpoint_path()))
    assert partial.meta["spec"]["optimizer"] == "adam"  # minimobilenet-mnist's recipe
    assert partial.meta["spec"]["momentum"] is None
    kinds = {key.rsplit("/", 1)[1] for key in partial.extra if key.startswith("opt/")}
    assert kinds == {"step", "exp_avg", "exp_avg_sq"}
    done = train(spec)
    assert done.resumed_from == 1 and done.spec.optimizer == "adam"
