"""Chip fault maps: realised rates, reproducibility, common random numbers, what is faulted."""

import numpy as np
import pytest
import torch
from faults_support import TinyNet, toy_mapping
from scipy import stats

from archsim.errors import UserError
from archsim.faults import (
    ChipDrawer,
    FaultInjector,
    FaultModel,
    check_rate,
    fault_sites,
    get_fault_model,
)
from archsim.faults.draw import lines_to_faults
from archsim.faults.models import OK, STUCK_OFF, STUCK_ON
from archsim.mapping.records import CrossbarBlock

RATE = 0.1


def _setup(width: int = 16, **kw: object) -> tuple[TinyNet, FaultInjector]:
    torch.manual_seed(0)
    model = TinyNet(width=width)
    return model, FaultInjector(model, toy_mapping(model, **kw))  # type: ignore[arg-type]


def _within_binomial(k: int, n: int, p: float) -> bool:
    lo, hi = stats.binom.interval(0.999, n, p)
    return lo <= k <= hi


@pytest.mark.parametrize("preset", ["dropconnect", "sft", "cell-isaac"])
def test_realised_fault_fraction_is_binomial(preset: str) -> None:
    _, inj = _setup()
    fm = get_fault_model(preset)
    drawer = ChipDrawer(inj.sites, fm)
    faulty = total = on = 0
    for chip in range(20):
        for s in drawer.draw(RATE, seed=3, chip=chip).dense().values():
            faulty += int((s != OK).sum())
            on += int((s == STUCK_ON).sum())
            total += s.numel()
    per_weight = sum(int(np.prod(site.weight_shape)) for site in inj.sites)
    assert total == 20 * per_weight * (8 if fm.granularity == "cell" else 1)
    assert _within_binomial(faulty, total, RATE)
    assert _within_binomial(on, faulty, fm.p_on)


@pytest.mark.parametrize("granularity", ["row", "column"])
def test_clustered_lines_are_binomial_and_stick_every_cell_on_them(granularity: str) -> None:
    _, inj = _setup()
    drawer = ChipDrawer(inj.sites, get_fault_model(f"{granularity}-isaac"))
    lines = np.concatenate([drawer.line_states(RATE, 1, c).ravel() for c in range(40)])
    assert lines.size == 40 * 5 * 128  # conv1: 16 > 15 weights a row -> 2; conv3: 2; fc: 1
    assert _within_binomial(int((lines != OK).sum()), lines.size, RATE)
    chip = drawer.draw(RATE, 1, 0)
    line = drawer.line_states(RATE, 1, 0)
    conv1 = chip.dense()["conv1"].reshape(16, 9, 8)[:15]  # channels 0-14 share crossbar 0
    if granularity == "row":  # matrix row r sits on crossbar row r
        expected = torch.from_numpy(line[0, :9])[None, :, None].expand(15, 9, 8)
    else:  # output channel c uses crossbar columns 8c .. 8c+7
        expected = torch.from_numpy(line[0, :120].reshape(15, 1, 8)).expand(15, 9, 8)
    assert torch.equal(conv1, expected)


def test_stuck_lines_follow_block_offsets() -> None:
    _, inj = _setup()
    site = inj.sites[0]  # conv1: 9 rows x 16 columns; as two blocks sharing one crossbar
    blocks = (
        CrossbarBlock("conv1", 0, 0, 0, 9, 0, 10, 0, 0, 0, 0, row_offset=0, col_offset=0),
        CrossbarBlock("conv1", 0, 0, 0, 9, 10, 16, 0, 0, 0, 0, row_offset=20, col_offset=81),
    )
    split = type(site)(**{**site.__dict__, "blocks": blocks})
    lines = np.zeros((1, 128), dtype=np.int8)
    lines[0, 22] = STUCK_ON  # crossbar row 22 = matrix row 2 of the second block
    rows = lines_to_faults(split, {(0, 0, 0, 0): 0}, lines, "row").dense().reshape(16, 9, 8)
    assert torch.equal(torch.nonzero(rows.sum(-1)).unique(dim=0)[:, 1], torch.full((6,), 2))
    assert bool((rows[10:, 2] == STUCK_ON).all()) and int((rows != OK).sum()) == 6 * 8
    lines[0, 22] = OK
    lines[0, 81 + 8 * 3 + 5] = STUCK_OFF  # column of cell 5 of channel 13 (4th of block 2)
    cols = lines_to_faults(split, {(0, 0, 0, 0): 0}, lines, "column").dense().reshape(16, 9, 8)
    assert bool((cols[13, :, 5] != OK).all()) and int((cols != OK).sum()) == 9


def test_chip_i_is_the_same_map_whatever_the_count_or_order() -> None:
    _, inj = _setup()
    fm = get_fault_model("cell-isaac")
    forward = [ChipDrawer(inj.sites, fm).draw(RATE, 7, c) for c in range(5)]
    backward = {c: ChipDrawer(inj.sites, fm).draw(RATE, 7, c) for c in (4, 2, 0)}
    for c, chip in backward.items():
        for name, states in chip.dense().items():
            assert torch.equal(states, forward[c].dense()[name])
    assert not torch.equal(forward[0].dense()["conv3"], forward[1].dense()["conv3"])
    other_seed = ChipDrawer(inj.sites, fm).draw(RATE, 8, 0)
    assert not torch.equal(other_seed.dense()["conv3"], forward[0].dense()["conv3"])


def test_common_random_numbers_across_models_of_the_same_shape() -> None:
    _, inj = _setup()
    torch.manual_seed(1)
    other = TinyNet(width=16)  # other weights, e.g. another training method
    inj_other = FaultInjector(other, toy_mapping(other))
    fm = get_fault_model("sft")
    a = ChipDrawer(inj.sites, fm).draw(RATE, 0, 3).dense()
    b = ChipDrawer(inj_other.sites, fm).draw(RATE, 0, 3).dense()
    assert all(torch.equal(a[n], b[n]) for n in a)


def test_only_rram_weights_are_faulted() -> None:
    model, inj = _setup()
    assert [s.name for s in inj.sites] == ["conv1", "conv3", "fc"]  # conv2 is 1x1 -> CPU
    before = {k: v.clone() for k, v in model.state_dict().items()}
    chip = ChipDrawer(inj.sites, get_fault_model("dropconnect")).draw(1.0, 0, 0)
    with inj.applied(chip):
        now = model.state_dict()
        changed = {k for k in before if not torch.equal(before[k], now[k])}
        assert changed == {"conv1.weight", "conv3.weight", "fc.weight"}
        assert all(float(now[f"{n}.weight"].abs().sum()) == 0 for n in ("conv1", "conv3", "fc"))
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # restored exactly


def test_rate_one_gives_the_all_stuck_weights() -> None:
    _, inj = _setup(encoding="differential")
    qmax_weights = {n: q.scale * q.qmax for n, q in inj.quantized.items()}
    sft = ChipDrawer(inj.sites, get_fault_model("sft")).draw(1.0, 0, 0)
    for name, w in inj.faulted_weights(sft).items():
        states = sft.dense()[name]
        sign = torch.where(inj.quantized[name].codes < 0, -1.0, 1.0)
        expected = torch.where(states == STUCK_ON, sign * qmax_weights[name], 0.0)
        assert torch.equal(w, expected)
    all_on = FaultModel("all-on", "cell", stuck_off=0.0, stuck_on=1.0)
    chip = ChipDrawer(inj.sites, all_on).draw(1.0, 0, 0)
    for w in inj.faulted_weights(chip).values():  # both arrays all 3s: pos - neg = 0
        assert float(w.abs().sum()) == 0.0


def test_rate_zero_is_the_quantized_model_and_bad_rates_are_user_errors() -> None:
    _, inj = _setup()
    chip = ChipDrawer(inj.sites, get_fault_model("cell-isaac")).draw(0.0, 0, 0)
    assert chip.faulty_fraction() == 0.0
    clean, faulted = inj.faulted_weights(None), inj.faulted_weights(chip)
    assert all(torch.equal(clean[n], faulted[n]) for n in clean)
    for bad in (-0.1, 1.5, float("nan"), "x"):
        with pytest.raises(UserError, match="fault rate"):
            check_rate(bad)  # type: ignore[arg-type]
    with pytest.raises(UserError, match="presets: dropconnect, sft, cell-isaac"):
        get_fault_model("nope")


def test_fault_sites_reject_a_mapping_of_another_model() -> None:
    model, _ = _setup(width=16)
    with pytest.raises(UserError, match="conv1"):
        fault_sites(model, toy_mapping(TinyNet(width=8)))


@pytest.mark.parametrize("preset", ["row-isaac", "column-isaac"])
def test_clustered_faults_on_the_real_mapper_cover_every_cell(preset: str) -> None:
    from archsim.mapping.mapper import map_model
    from archsim.mapping.options import MapOptions
    from archsim.nets import get_net

    model = get_net("minimobilenet", 1.0, 10, 1)  # depthwise convs packed block-diagonally
    mapping = map_model(
        model, (1, 28, 28), "isaac-differential", options=MapOptions(policy="all-rram")
    )
    inj = FaultInjector(model, mapping)
    drawer = ChipDrawer(
        inj.sites, get_fault_model(preset), mapping.crossbar_rows, mapping.crossbar_cols
    )
    assert drawer.draw(1.0, 0, 0).faulty_fraction() == 1.0  # every cell lies on a stuck line
    assert drawer.draw(0.0, 0, 0).faulty_fraction() == 0.0


def test_real_mapper_cpu_1x1_policy_leaves_shortcuts_and_batchnorm_alone() -> None:
    from archsim.mapping.mapper import map_model
    from archsim.mapping.options import MapOptions
    from archsim.nets import get_net

    model = get_net("resnet20", 1.0, 10, 3, shortcut="1x1")
    mapping = map_model(model, (3, 32, 32), "isaac", options=MapOptions(policy="cpu-1x1"))
    inj = FaultInjector(model, mapping)
    names = {s.name for s in inj.sites}
    assert len(names) == 20 and not any("shortcut" in n for n in names)  # 19 3x3 convs + fc
    before = {k: v.clone() for k, v in model.state_dict().items()}
    chip = ChipDrawer(inj.sites, get_fault_model("cell-isaac")).draw(1.0, 0, 0)
    with inj.applied(chip):
        now = model.state_dict()
        changed = {k.rsplit(".", 1)[0] for k in before if not torch.equal(before[k], now[k])}
    assert changed == names


@pytest.mark.parametrize("per_channel", [False, True])
def test_in_place_chip_swaps_match_the_full_faulted_weights(per_channel: bool) -> None:
    torch.manual_seed(0)
    model = TinyNet(width=16)
    inj = FaultInjector(model, toy_mapping(model), per_channel=per_channel)
    floats = {n: w.detach().clone() for n, w in inj.weights.items()}
    drawer = ChipDrawer(inj.sites, get_fault_model("cell-isaac"))
    with inj.session():
        for c in range(3):
            chip = drawer.draw(0.05, 0, c)
            expected = inj.faulted_weights(chip)
            with inj.chip(chip):
                assert all(torch.equal(inj.weights[n], expected[n]) for n in expected)
            assert all(torch.equal(inj.weights[n], inj.clean[n]) for n in expected)
    assert all(torch.equal(inj.weights[n], floats[n]) for n in floats)
    with pytest.raises(RuntimeError, match="inside session"), inj.chip(chip):
        pass


def test_channels_last_weights_take_chips_too() -> None:
    torch.manual_seed(0)
    model = TinyNet(width=16)
    inj = FaultInjector(model, toy_mapping(model))
    model.to(memory_format=torch.channels_last)
    assert not model.conv3.weight.is_contiguous()
    chip = ChipDrawer(inj.sites, get_fault_model("sft")).draw(0.2, 0, 0)
    expected = inj.faulted_weights(chip)
    with inj.applied(chip):
        assert all(torch.equal(inj.weights[n], expected[n]) for n in expected)
