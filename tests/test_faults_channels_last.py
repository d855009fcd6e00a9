"""A channels_last model takes the same chips as the default layout: same faults, same accuracy."""

import pytest
import torch
from faults_support import digits, toy_mapping, trained_tiny

from archsim.faults import (
    ChipDrawer,
    ChipPlan,
    FaultInjector,
    MonteCarloSpec,
    RunInfo,
    get_fault_model,
    run_chips,
)

INFO = RunInfo("tiny", 1.0, "digits", "test", "test", 16)


def _injectors() -> tuple[FaultInjector, FaultInjector]:
    plain = trained_tiny()
    nhwc = trained_tiny().to(memory_format=torch.channels_last)
    assert not nhwc.conv3.weight.is_contiguous()  # really the other layout
    return FaultInjector(plain, toy_mapping(plain)), FaultInjector(nhwc, toy_mapping(nhwc))


@pytest.mark.parametrize("preset", ["sft", "cell-isaac"])
def test_channels_last_model_gives_identical_per_chip_accuracies(preset: str) -> None:
    _, _, x, y = digits()
    spec = MonteCarloSpec(chips=5, seed=3, progress=False)
    results = []
    for inj, images in zip(
        _injectors(), (x, x.contiguous(memory_format=torch.channels_last)), strict=True
    ):
        drawer = ChipDrawer(inj.sites, get_fault_model(preset))
        before = {n: w.clone() for n, w in inj.weights.items()}
        results.append(run_chips(inj, ChipPlan(drawer, 0.05), images, y, spec, INFO))
        for name, weight in inj.weights.items():  # floats restored after the session
            assert torch.equal(weight, before[name]), name
    plain, nhwc = results
    assert nhwc.per_chip == plain.per_chip
    assert nhwc.realised_fraction == plain.realised_fraction > 0
    assert len(set(plain.per_chip)) > 1  # the chips really differ


def test_channels_last_faulted_weights_match_the_default_layout() -> None:
    plain, nhwc = _injectors()
    chip = ChipDrawer(plain.sites, get_fault_model("sft")).draw(0.1, seed=1, chip=0)
    a, b = plain.faulted_weights(chip), nhwc.faulted_weights(chip)
    for name in a:
        assert torch.equal(a[name], b[name]), name
        assert not torch.equal(a[name], plain.clean[name]), name  # faults landed
    with nhwc.applied(chip) as model:
        for name, weight in b.items():
            assert torch.equal(model.get_submodule(name).weight, weight), name
