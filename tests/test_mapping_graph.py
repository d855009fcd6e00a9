"""Layers from the torch.fx graph: functional ops listed and costed, the zoo unchanged, the
hook fallback and unsupported ops as documented in archsim/mapping/graph.py and mapper.py."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from archsim.errors import UserError
from archsim.mapping.geometry import Geometry
from archsim.mapping.graph import graph_layers
from archsim.mapping.layers import extract_layers
from archsim.mapping.mapper import map_model
from archsim.mapping.options import MapOptions
from archsim.nets import get_net, list_nets
from archsim.perf.des import simulate
from archsim.perf.plan import build_plans, plan_mapping
from tests.test_perf_des import COSTS

ISAAC = Geometry(128, 128, 2, 16, "offset", 8, 12, 168, 64, "isaac")


class Functional(nn.Module):
    """The issue's new-user net: F.relu, a residual `y + x` and F.adaptive_avg_pool2d."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x))
        y = F.relu(self.conv2(x))
        y = y + x
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


def test_functional_net_maps_every_op_with_its_cost() -> None:
    m = map_model(Functional(), (1, 8, 8), ISAAC)
    rows = [(lm.spec.name, lm.spec.kind, lm.target) for lm in m.layers]
    assert rows == [
        ("conv1", "conv", "rram"), ("relu", "act", "digital"), ("conv2", "conv", "rram"),
        ("relu_1", "act", "digital"), ("add", "add", "digital"),
        ("adaptive_avg_pool2d", "pool", "digital"), ("flatten", "flatten", "digital"),
        ("fc", "linear", "rram"),
    ]  # fmt: skip
    plans = {p.name: p for p in build_plans(m, COSTS)}
    # 8 channels x 8x8 = 512 elements: ReLU one sigmoid-unit op each, the add one
    # shift-and-add op each; the global pool reads 64 elements per output, 8 outputs -> 512.
    assert plans["relu"].action_counts == {"tile.sigmoid/op": 512.0}
    assert plans["relu_1"].action_counts == {"tile.sigmoid/op": 512.0}
    assert plans["add"].action_counts == {"tile.shift_add/op": 512.0}
    assert plans["adaptive_avg_pool2d"].action_counts == {"tile.maxpool/op": 512.0}
    # one tile at 1e9 ops/s: 512 ops take 512 ns, spread over the 8 row groups
    assert sum(plans["add"].stages[0].durations_s) == pytest.approx(512e-9)
    assert plans["flatten"].stages == ()  # a view: no data moves
    assert not any("not seen" in note for note in m.notes)


def test_every_zoo_net_maps_from_its_graph_exactly_as_from_hooks() -> None:
    # the CNNs write every op as a module; the transformer uses functional ops on purpose
    for info in (i for i in list_nets() if i.name != "vit"):
        net = get_net(info.name, width=0.25)
        assert graph_layers(net, info.input_shape) == extract_layers(net, info.input_shape)


class Attention(nn.Module):
    """One attention head on 4 tokens of 6 values: x Wq, x Wk, x Wv, softmax(q k^T) v."""

    def __init__(self) -> None:
        super().__init__()
        self.q, self.k, self.v = nn.Linear(6, 6), nn.Linear(6, 6), nn.Linear(6, 6)
        self.norm = nn.LayerNorm(6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = x.flatten(1).view(x.size(0), 4, 6)
        q, k, v = self.q(tokens), self.k(tokens), self.v(tokens)
        weights = torch.softmax(q @ k.transpose(1, 2), dim=-1)
        return self.norm(weights @ v).mean(1)


def test_attention_matmuls_run_on_the_cpu_with_their_macs() -> None:
    m = map_model(Attention(), (24,), ISAAC)
    by_name = {lm.spec.name: lm for lm in m.layers}
    # q k^T: 4x4 scores, each a sum over 6 -> 96 MACs; weights v: 4x6 outputs over 4 -> 96.
    assert (by_name["matmul"].target, by_name["matmul"].spec.macs) == ("cpu", 96)
    assert (by_name["matmul_1"].target, by_name["matmul_1"].spec.macs) == ("cpu", 96)
    assert by_name["matmul"].spec.operand_elements == 6 * 4  # k^T is 6x4
    # the three projections: 4 token positions x 6 x 6 = 144 MACs each, on crossbars
    assert [by_name[n].spec.macs for n in ("q", "k", "v")] == [144, 144, 144]
    assert m.cpu_macs == 192 and m.rram_macs == 3 * 144
    plans = {p.name: p for p in build_plans(m, COSTS)}
    # link in: q (24 values) and k^T (24) at 4 bits; out: 16 scores at 8 bits
    assert plans["matmul"].action_counts == {"cpu/mac": 96.0, "cpu.link/bit": 48 * 4 + 16 * 8}
    assert plans["softmax"].action_counts == {"tile.sigmoid/op": 3 * 16.0}  # 3 ops x 16
    assert plans["norm"].action_counts == {"tile.shift_add/op": 5 * 24.0}  # 5 ops x 24
    assert plans["transpose"].action_counts == {"tile.edram/bit": 2 * 24 * 4.0}  # a copy
    assert plans["mean"].action_counts == {"tile.maxpool/op": 24.0}  # 6 outputs x 4 tokens
    assert simulate(plan_mapping(m, COSTS)).energy_per_image_j > 0


class Cumulative(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.cumsum(x, dim=1))


def test_an_unsupported_op_is_an_error_unless_mapped_anyway() -> None:
    with pytest.raises(UserError, match=r"cumsum cannot be mapped \(cumsum: no mapping"):
        map_model(Cumulative(), (4,), ISAAC)
    m = map_model(Cumulative(), (4,), ISAAC, options=MapOptions(allow_unsupported=True))
    assert [(lm.spec.name, lm.target) for lm in m.layers] == [
        ("cumsum", "unsupported"), ("fc", "rram")]  # fmt: skip
    assert "left out of every cost and total (mapped anyway): 1 op(s), 0 parameters" in m.notes
    plans = {p.name: p for p in build_plans(m, COSTS)}
    assert plans["cumsum"].stages == () and plans["cumsum"].action_counts == {}


class FunctionalWeight(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(3, 1, 3, 3))
        self.head = nn.Linear(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(F.conv2d(x, self.weight).mean((2, 3)))


def test_a_weight_used_functionally_is_unsupported_with_the_reason() -> None:
    spec = graph_layers(FunctionalWeight(), (1, 5, 5))[0]
    assert (spec.name, spec.supported) == ("conv2d", False)
    assert "conv2d on parameter weight" in spec.reason and "nn.Conv2d" in spec.reason


class Branchy(nn.Module):
    """Data-dependent control flow: torch.fx cannot trace it."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(F.relu(x) if x.sum() > 0 else x)


def test_untraceable_code_falls_back_to_hooks_with_a_note() -> None:
    m = map_model(Branchy(), (4,), ISAAC)
    assert [lm.spec.name for lm in m.layers] == ["fc"]  # the functional ReLU is not seen
    note = next(n for n in m.notes if n.startswith("torch.fx cannot trace Branchy"))
    assert "from module forward hooks" in note and "not costed" in note
