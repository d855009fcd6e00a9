"""`MapOptions`: one record for how a network is mapped, apart from a zoo net's own options,
from `archsim map`'s command line (`parse_request`) down to `map_specs`."""

import dataclasses

import pytest

from archsim.api.mapping import MapOptions, MapRequest, design_points
from archsim.cli.map import MapArgs, parse_request
from archsim.errors import UserError
from archsim.mapping.mapper import map_net
from archsim.mapping.policy import Override


def test_map_options_are_frozen_keyword_only_and_hashable() -> None:
    options = MapOptions(policy="all-rram", overrides=["fc=cpu", Override("conv1", "cpu")])
    assert options.overrides == ("fc=cpu", Override("conv1", "cpu"))  # a list becomes a tuple
    assert hash(options) == hash(dataclasses.replace(options))
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.policy = "cpu-1x1"  # type: ignore[misc]
    with pytest.raises(TypeError):
        MapOptions("all-rram")  # type: ignore[misc]
    assert (MapOptions().policy, MapOptions().replicate) == ("cpu-1x1", None)
    # None defers to the caller's default; an explicit choice wins over it
    assert MapOptions().replicates(True) and not MapOptions().replicates(False)
    assert not MapOptions(replicate=False).replicates(True)
    assert MapOptions(replicate=True).replicates(False)


def test_a_net_option_named_policy_is_the_nets_not_the_mappers() -> None:
    mapped = map_net("resnet20", 1.0, "isaac", options=MapOptions(policy="all-rram"),
                     net_options={"shortcut": "1x1"})  # fmt: skip
    # all-rram puts the 1x1 shortcut convs on crossbars (cpu-1x1 would send them to the CPU)
    assert mapped.policy == "all-rram" and mapped.layer("layer2.0.shortcut.0").target == "rram"
    with pytest.raises(UserError, match="unknown option 'policy'"):
        map_net("resnet20", 1.0, "isaac", net_options={"policy": "all-rram"})


def test_parse_request_reads_one_record_of_command_line_options() -> None:
    request = parse_request(MapArgs(
        model="resnet20", width="1.0,1.4", hw="isaac", policy="all-rram",
        overrides=("fc=cpu",), options=("shortcut=1x1", "policy=x"), dataset="cifar100",
        replicate=False, budget_tiles=3, pack_imas=True,
    ))  # fmt: skip
    expected = MapOptions(policy="all-rram", overrides=("fc=cpu",), replicate=False,
                          budget_tiles=3, pack_imas=True)  # fmt: skip
    assert request.mapping == expected
    assert request.net_options == {"shortcut": "1x1", "policy": "x"}
    assert request.widths == (1.0, 1.4)
    assert (request.input_shape, request.num_classes) == ((3, 32, 32), 100)
    assert request.budget_chips is None
    with pytest.raises(UserError, match="either --budget-chips or --budget-tiles"):
        parse_request(MapArgs(model="m", width="1", hw="isaac", policy="cpu-1x1",
                              budget_chips="2", budget_tiles=3))  # fmt: skip


def test_design_points_share_one_budget_and_keep_the_options() -> None:
    options = MapOptions(policy="all-rram", replicate=True, pack_imas=True)
    points = design_points(MapRequest(model="lenet5", widths=(1.0, 2.0), hardware="isaac",
                                      mapping=options, input_shape=(1, 28, 28)))  # fmt: skip
    first, second = (p.mapping for p in points)
    # the default budget: the fewest chips holding the widest point unreplicated (one chip)
    assert first.budget_chips == second.budget_chips == 1
    assert all(m.policy == "all-rram" and m.packed_imas and m.replicate for m in (first, second))
    assert (first.width, second.width) == (1.0, 2.0)
    assert all(p.hardware is not None and p.hardware.name == "isaac" for p in points)
