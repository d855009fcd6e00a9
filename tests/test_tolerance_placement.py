"""The placement search's rule on a hand-made vulnerability table."""

from archsim.explore.ft_placement import Candidate, choose, greedy_order
from archsim.explore.ft_records import PointCost, VulnerabilityRow


def _row(name: str, loss: float, delta_j: float) -> VulnerabilityRow:
    return VulnerabilityRow(
        rank=0,
        group=name,
        weights=100,
        loss=loss,
        ci_low=loss - 1,
        ci_high=loss + 1,
        loss_per_kweight=10 * loss,
        chips=2,
        cpu_energy_delta_j=delta_j,
        cpu_throughput_delta_ips=0.0,
        loss_per_uj=loss / (delta_j * 1e6),
        per_chip=(loss, loss),
    )


def test_greedy_takes_loss_per_joule_and_skips_harmless_layers() -> None:
    # loss per joule: stem 20 / 1e-6 = 2e7, fc 3 / 1e-7 = 3e7, big 5 / 1e-3 = 5e3;
    # a move that saves energy (shortcut, -1e-7 J) comes first; a layer losing nothing
    # (or gaining, noise) is never moved.
    rows = [
        _row("stem", 20.0, 1e-6),
        _row("big", 5.0, 1e-3),
        _row("fc", 3.0, 1e-7),
        _row("shortcut", 0.5, -1e-7),
        _row("free", 0.0, 1e-9),
        _row("noise", -0.4, 1e-9),
    ]
    assert greedy_order(rows) == ["shortcut", "fc", "stem", "big"]


def _candidate(k: int, energy: float, throughput: float) -> Candidate:
    return Candidate(
        f"search-{k}",
        tuple(f"l{i}" for i in range(k)),
        50.0 + k,
        PointCost(
            throughput_ips=throughput,
            energy_per_image_j=energy,
            occupied_area_mm2=1.0,
            crossbars=10,
            adc_conversions_per_image=1e5,
        ),
    )


def test_choose_takes_the_longest_prefix_within_the_budget() -> None:
    family = [_candidate(0, 1e-4, 9e4), _candidate(1, 3e-4, 8e4), _candidate(2, 5e-4, 5e4)]
    assert choose(family).label == "search-2"  # no budget: everything
    assert choose(family, energy_budget_j=3.6e-4).label == "search-1"
    assert choose(family, min_throughput_ips=8.5e4).label == "search-0"
    assert choose(family, energy_budget_j=5e-5).label == "search-0"  # nothing fits: all-rram
    assert family[1].overrides == ("l0=cpu",)
