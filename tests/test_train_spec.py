"""Specs, recipes, schedules, stages and the stochastic fault sampler."""

import math
from pathlib import Path

import pytest
import torch
from torch import nn

from archsim.errors import UserError
from archsim.faults.presets import get_fault_model
from archsim.nets import check_options
from archsim.train import make_spec, train
from archsim.train.perturb import perturbed
from archsim.train.resolve import card_reason, resolve_spec
from archsim.train.schedule import learning_rate, plan_epochs
from archsim.train.stochastic import StochasticFaults


def test_resolve_fills_from_the_card_and_scales_milestones() -> None:
    digits = resolve_spec(make_spec(dataset="digits"))
    assert (digits.card, digits.epochs, digits.batch_size, digits.schedule) == (
        "resnet20-digits",
        15,
        64,
        "cosine",
    )
    assert digits.options == {"shortcut": "A"} and digits.fault_model == "dropconnect"
    # --model resnet20 is the zoo's ResNet-20 (option A, as `archsim map` means) whatever the
    # dataset: no card for fashion-mnist, so the first ResNet-20 card with option A
    plain = resolve_spec(make_spec(dataset="fashion-mnist"))
    assert plain.card == "resnet20-cifar10-optionA" and plain.options == {"shortcut": "A"}
    assert plain.options == check_options("resnet20", {})
    assert (plain.epochs, plain.schedule) == (160, "cosine")
    fm = resolve_spec(
        make_spec(
            dataset="fashion-mnist",
            epochs=20,
            method="oneshot",
            rate=0.02,
            options={"shortcut": "1x1"},
        )
    )
    assert fm.card == "resnet20-cifar10" and fm.options == {"shortcut": "1x1"}
    assert fm.schedule == "step" and fm.milestones == (10, 15)  # 100, 150 of 200
    assert (fm.lr, fm.momentum, fm.weight_decay, fm.batch_size) == (0.1, 0.9, 1e-4, 128)
    assert fm.fault_model == "sft" and fm.val_rate == 0.02
    assert resolve_spec(fm) == fm


def test_every_default_card_says_why_it_was_picked() -> None:
    # the four ways `find_card` picks (see resolve.py's doc), each with its reason
    assert card_reason(make_spec(dataset="digits")) == "the zoo's recipe for resnet20 on digits"
    fashion = card_reason(make_spec(dataset="fashion-mnist"))  # resnet20-cifar10-optionA
    assert fashion == "no resnet20 card for fashion-mnist: the card of resnet20's default options"
    shortcut = make_spec(dataset="digits", options={"shortcut": "1x1"})  # resnet20-cifar10
    assert card_reason(shortcut) == "picked by --option shortcut=1x1: the card with those options"
    assert card_reason(make_spec(dataset="digits", card="resnet20-cifar10")) == ""


def test_optimizer_comes_from_the_card_unless_given() -> None:
    from archsim.train.state import make_optimizer

    sgd = resolve_spec(make_spec(dataset="digits"))
    assert sgd.optimizer == "sgd" and "optimizer" not in sgd.identity()  # digests unchanged
    adam = resolve_spec(make_spec(model="minimobilenet", dataset="mnist"))
    assert (adam.card, adam.optimizer, adam.lr, adam.momentum, adam.weight_decay) == (
        "minimobilenet-mnist",
        "adam",
        1e-3,
        None,
        0.0,
    )
    assert adam.identity()["optimizer"] == "adam" and resolve_spec(adam) == adam
    net = nn.Linear(3, 2)
    opt = make_optimizer(adam, net)
    assert isinstance(opt, torch.optim.Adam) and opt.param_groups[0]["lr"] == 1e-3
    forced = resolve_spec(make_spec(model="minimobilenet", dataset="mnist", optimizer="sgd"))
    assert (forced.optimizer, forced.momentum) == ("sgd", 0.9)
    assert isinstance(make_optimizer(forced, net), torch.optim.SGD)
    with pytest.raises(UserError, match="--momentum is for --optimizer sgd"):
        resolve_spec(make_spec(model="minimobilenet", dataset="mnist", momentum=0.5))
    with pytest.raises(UserError, match="--momentum is for --optimizer sgd"):
        make_spec(optimizer="adam", momentum=0.5)
    with pytest.raises(UserError, match="optimizer"):
        make_spec(optimizer="rmsprop")


def test_checkpoint_names() -> None:
    assert str(make_spec(width=1.2, dataset="fashion-mnist").checkpoint_path()) == (
        "models/resnet20-w1.2-fashion-mnist-standard.safetensors"
    )
    spec = make_spec(
        method="progressive",
        rates=(0.01, 0.1),
        prune="admm",
        sparsity=0.7,
        admm_epochs=2,
        out_dir="out",
    )
    assert spec.checkpoint_path().name == (
        "resnet20-w1-digits-progressive-r0.1-admm0.7.safetensors"
    )


def test_learning_rate_schedules() -> None:
    spec = resolve_spec(make_spec(epochs=4, lr=0.2, schedule="cosine"))
    plans = plan_epochs(spec)
    assert learning_rate(spec, plans[0], 0, 10) == pytest.approx(0.2)
    assert learning_rate(spec, plans[2], 0, 10) == pytest.approx(0.1)
    assert learning_rate(spec, plans[3], 5, 10) == pytest.approx(
        0.1 * (1 + math.cos(math.pi * 3.5 / 4))
    )
    step = resolve_spec(make_spec(epochs=4, lr=0.2, schedule="step", milestones=(2, 3)))
    assert [learning_rate(step, p, 0, 10) for p in plan_epochs(step)] == pytest.approx(
        [0.2, 0.2, 0.02, 0.002]
    )


def test_progressive_plan_one_stage_per_rate() -> None:
    spec = resolve_spec(
        make_spec(
            method="progressive",
            rates=(0.01, 0.05, 0.1),
            epochs=2,
            prune="admm",
            sparsity=0.4,
            admm_epochs=1,
        )
    )
    plans = plan_epochs(spec)
    assert [(p.phase, p.stage, p.rate, p.phase_epoch) for p in plans] == [
        ("admm", 0, 0.0, 0),
        ("train", 0, 0.01, 0),
        ("train", 0, 0.01, 1),
        ("train", 1, 0.05, 0),
        ("train", 1, 0.05, 1),
        ("train", 2, 0.1, 0),
        ("train", 2, 0.1, 1),
    ]
    assert [p.epoch for p in plans] == list(range(7))


@pytest.mark.parametrize(
    "fields, message",
    [
        (dict(method="progressive", rates=(0.1, 0.05)), "ascending"),
        (dict(method="progressive"), "needs --rates"),
        (dict(method="oneshot", rate=0.1, rates=(0.1,)), "--rates is for"),
        (dict(method="dropconnect", rate=1.0), r"rate must be in \[0, 1\)"),
        (dict(recalibrate=(0.1, 1.5)), "recalibration rates"),
        (dict(fault_model="nope"), "unknown fault model"),
        (dict(epochs=0), "--epochs"),
        (dict(bogus=1), "--bogus"),
    ],
)
def test_bad_specs_are_one_line_user_errors(fields: dict, message: str) -> None:
    with pytest.raises(UserError, match=message) as info:
        make_spec(**fields)
    assert "\n" not in str(info.value)


def test_stochastic_faults_fresh_per_pass_at_the_rate_with_stuck_on_values() -> None:
    lin = nn.Linear(500, 400, bias=False)
    model = nn.Sequential(lin)
    w = lin.weight.detach().clone()
    top = w.abs().max()
    sampler = StochasticFaults(0.1, get_fault_model("sft"), torch.Generator().manual_seed(0))
    used = []
    with perturbed(model, ["0"], sampler):
        for _ in range(2):
            used.append(model[0].weight.detach().clone())
    assert torch.equal(lin.weight, w)  # the parameter itself is never changed
    faulty = [u != w for u in used]
    assert not torch.equal(faulty[0], faulty[1])
    n = w.numel()
    for f, u in zip(faulty, used, strict=True):
        assert abs(int(f.sum()) - 0.1 * n) <= 3.29 * math.sqrt(n * 0.09)
        on = u[f] != 0  # stuck-on: +-max|w|; stuck-off: 0, in ratio 9.04 : 1.75
        assert torch.all(u[f][on].abs() == top)
        assert float(on.float().mean()) == pytest.approx(9.04 / 10.79, abs=0.02)


def test_oneshot_and_progressive_record_their_rates(tmp_path: Path) -> None:
    base = dict(
        dataset="digits",
        limit=128,
        val_limit=60,
        batch_size=64,
        val_chips=1,
        progress=False,
        out_dir=str(tmp_path),
    )
    one = train(make_spec(**base, method="oneshot", rate=0.02, epochs=2))
    prog = train(make_spec(**base, method="progressive", rates=(0.01, 0.02), epochs=1))
    assert [c.rate for c in one.curves] == [0.02, 0.02]
    assert [(c.stage, c.rate) for c in prog.curves] == [(0, 0.01), (1, 0.02)]
    assert all(c.val_rate == 0.02 and len(c.chip_accs) == 1 for c in one.curves + prog.curves)
