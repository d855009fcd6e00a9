"""Several chips per pass (vmap over stacked faulty weights) equals the per-chip loop."""

import pytest
import torch
from faults_support import digits, toy_mapping, trained_tiny

from archsim.errors import UserError
from archsim.faults import ChipDrawer, FaultInjector, get_fault_model
from archsim.faults.batched import batched_correct, check_chips_per_pass
from archsim.faults.sampler import correct_mask
from archsim.mapping.mapper import map_model
from archsim.nets import get_net


def _per_chip(
    injector: FaultInjector, chips: list, x: torch.Tensor, y: torch.Tensor
) -> torch.Tensor:
    rows = []
    for chip in chips:
        with injector.chip(chip) as model:
            rows.append(correct_mask(model, x, y, 64))
    return torch.stack(rows)


@pytest.mark.parametrize("preset, rate", [("cell-isaac", 0.05), ("dropconnect", 0.3)])
def test_a_pass_of_four_chips_gives_each_chips_own_verdicts(preset: str, rate: float) -> None:
    model = trained_tiny()
    injector = FaultInjector(model, toy_mapping(model))
    _, _, x, y = digits()
    drawer = ChipDrawer(injector.sites, get_fault_model(preset))
    chips = [drawer.draw(rate, 3, c) for c in range(4)]
    with injector.session():
        batched = batched_correct(injector, chips, x, y, batch_size=100)
        alone = _per_chip(injector, chips, x, y)
    assert batched.shape == (4, len(y)) and torch.equal(batched, alone)
    assert len({tuple(row.tolist()) for row in alone}) > 1  # the chips do differ


def test_a_resnet_with_batchnorm_and_shortcuts_batches_exactly() -> None:
    torch.manual_seed(0)
    model = get_net("resnet20", 0.5, 10, 1, seed=0).eval()
    _, _, x, y = digits()
    x, y = x[:96], y[:96]
    with torch.no_grad():  # give BN non-trivial statistics
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.1, 0.1)
                module.running_var.uniform_(0.5, 1.5)
    injector = FaultInjector(model, map_model(model, (1, 8, 8), "isaac"))
    drawer = ChipDrawer(injector.sites, get_fault_model("dropconnect"))
    chips = [drawer.draw(0.1, 0, c) for c in range(3)]
    with injector.session():
        batched = batched_correct(injector, chips, x, y, batch_size=40)
        alone = _per_chip(injector, chips, x, y)
    assert torch.equal(batched, alone)


def test_chips_per_pass_is_checked() -> None:
    assert check_chips_per_pass(8) == 8
    for bad in (0, 65):
        with pytest.raises(UserError, match="chips per pass must be an integer from 1 to 64"):
            check_chips_per_pass(bad)


@pytest.mark.parametrize("adaptive", [None, 2.0])
def test_monte_carlo_with_passes_of_three_chips_equals_the_per_chip_loop(
    adaptive: float | None,
) -> None:
    from archsim.faults import ChipPlan, MonteCarloSpec, RunInfo, run_chips

    model = trained_tiny()
    injector = FaultInjector(model, toy_mapping(model))
    _, _, x, y = digits()
    drawer = ChipDrawer(injector.sites, get_fault_model("cell-isaac"))
    info = RunInfo("tiny", 1.0, "digits", "test", "test", 16)
    results = [
        run_chips(
            injector,
            ChipPlan(drawer, 0.05),
            x,
            y,
            MonteCarloSpec(
                chips=10, progress=False, adaptive=adaptive, min_chips=4, chips_per_pass=per_pass
            ),
            info,
        )
        for per_pass in (1, 3)
    ]
    one, three = results
    assert one.per_chip == three.per_chip and one.chip_images == three.chip_images
    assert one.realised_fraction == three.realised_fraction
