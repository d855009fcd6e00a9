"""The Python API chains the engines the way the data flow of archsim.api says."""

import pytest
import torch

from archsim import api


def test_extract_map_simulate_reproduces_table2_resnet20() -> None:
    # Table II (docs/validation.md s.8): ResNet-20 with 1x1 projection shortcuts, width 1.0,
    # 10,000 CIFAR-10 images -> 15.74 s and 113.32 J with the paper's estimator.
    model = api.get_net("resnet20", 1.0, shortcut="1x1")
    layers = api.extract(model, (3, 32, 32))
    # 40,813,184 MACs/image: conv1 442,368 + 18 block convs + two 1x1 shortcuts
    # (131,072 each) + fc 640 (derivation in tests/test_perf_table2.py).
    assert sum(spec.macs for spec in layers) == 40_813_184
    mapping = api.map_model(model, (3, 32, 32), "isaac", model_name="resnet20")
    result = api.estimate(mapping, "isaac", estimator="paper", images=10_000)
    assert result.total_latency_s == pytest.approx(15.74, rel=0.01)
    assert result.energy_per_image_j * 10_000 == pytest.approx(113.32, rel=0.01)


def test_draw_gives_the_same_chip_for_the_same_seed_and_index() -> None:
    model = api.get_net("lenet5", 1.0, in_channels=1)
    mapping = api.map_model(model, (1, 8, 8), "isaac", model_name="lenet5")
    first = api.draw(model, mapping, "dropconnect", 0.1, seed=3, chip=7)
    again = api.draw(model, mapping, "dropconnect", 0.1, seed=3, chip=7)
    other = api.draw(model, mapping, "dropconnect", 0.1, seed=3, chip=8)
    assert first.layers.keys() == again.layers.keys() == other.layers.keys()
    assert first.layers  # lenet5's convs and linears are on RRAM under cpu-1x1
    for name in first.layers:
        assert torch.equal(first.layers[name].index, again.layers[name].index)
        assert torch.equal(first.layers[name].kind, again.layers[name].kind)
    assert any(not torch.equal(first.layers[n].index, other.layers[n].index) for n in first.layers)


def test_design_point_is_the_balanced_mapping_the_cli_costs() -> None:
    import json

    from click.testing import CliRunner

    from archsim.cli import cli

    model = api.get_net("resnet20", 1.4, shortcut="1x1")
    mapping = api.design_point(model, (3, 32, 32), "isaac", model_name="resnet20", width=1.4)
    assert mapping.budget_chips == 1 and any(lm.replicas > 1 for lm in mapping.rram_layers)
    cost = api.estimate(mapping, "isaac", estimator="analytic")
    out = CliRunner().invoke(
        cli,
        [
            "map",
            "-m",
            "resnet20",
            "--width",
            "1.4",
            "--option",
            "shortcut=1x1",
            "--estimator",
            "analytic",
            "--format",
            "json",
        ],
    )
    cli_cost = json.loads(out.output)["costs"]
    assert cli_cost["throughput_images_per_s"] == float(f"{cost.throughput_images_per_s:.5g}")
    # options given for the policy alone keep the design point balanced (replicate left at
    # None takes the design point's default); only replicate=False keeps one copy per layer
    policy_only = api.design_point(model, (3, 32, 32), "isaac", options=api.MapOptions(),
                                   model_name="resnet20", width=1.4)  # fmt: skip
    assert [lm.replicas for lm in policy_only.rram_layers] == [
        lm.replicas for lm in mapping.rram_layers
    ]
    assert max(lm.replicas for lm in mapping.rram_layers) > 1
    plain = api.design_point(model, (3, 32, 32), "isaac", options=api.MapOptions(replicate=False))
    assert all(lm.replicas == 1 for lm in plain.rram_layers) and plain.budget_chips == 1
    # a plain mapping keeps its own default: one copy of each layer
    assert all(lm.replicas == 1 for lm in api.map_model(model, (3, 32, 32), "isaac").rram_layers)
