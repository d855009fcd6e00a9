"""BatchNorm recalibration ("UpdateVar"): only BatchNorm statistics change, and they are the
statistics of the faulty network over the training data."""

import torch
from torch import nn

from archsim.faults.bnsets import bn_set_key
from archsim.faults.presets import get_fault_model
from archsim.nets import get_net
from archsim.train.recalibrate import recalibrate

DROP = get_fault_model("dropconnect")


def _batches(x: torch.Tensor, size: int):
    return lambda: ((x[i : i + size], torch.zeros(0)) for i in range(0, len(x), size))


def test_only_batchnorm_statistics_change() -> None:
    model = get_net("resnet20", 1.0, 10, 1)
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(64, 1, 8, 8)
    layers = ["layer1.0.conv1", "layer2.1.conv2"]
    sets = recalibrate(
        model, layers, [0.0, 0.3], DROP, _batches(x, 16), torch.Generator().manual_seed(0)
    )
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # model untouched
    assert model.training and all(p.requires_grad for p in model.parameters())
    assert not any(getattr(m, "momentum", 0.1) is None for m in model.modules())
    assert set(sets) == {bn_set_key("dropconnect", 0.0), bn_set_key("dropconnect", 0.3)}
    bn_keys = {
        k
        for k in before
        if k.rsplit(".", 1)[-1] in ("running_mean", "running_var", "num_batches_tracked")
    }
    for stats in sets.values():
        assert set(stats) == bn_keys  # nothing but BatchNorm statistics
        assert int(stats["bn1.num_batches_tracked"]) == 4
        assert not torch.equal(stats["bn1.running_mean"], before["bn1.running_mean"])
    # faults at 0.3 sit after bn1 (in layer1.0.conv1), so bn1's statistics are the same
    # at both rates and the first faulted layer's BatchNorm differs
    a, b = sets[bn_set_key("dropconnect", 0.0)], sets[bn_set_key("dropconnect", 0.3)]
    assert torch.allclose(a["bn1.running_mean"], b["bn1.running_mean"])
    assert not torch.allclose(a["layer1.0.bn1.running_mean"], b["layer1.0.bn1.running_mean"])


def test_statistics_are_cumulative_averages_of_the_pass() -> None:
    torch.manual_seed(0)
    conv = nn.Conv2d(2, 3, 3, bias=False)
    model = nn.Sequential(conv, nn.BatchNorm2d(3))
    x = torch.randn(40, 2, 6, 6) + 0.5
    stats = recalibrate(model, [], [0.0], DROP, _batches(x, 10), torch.Generator())[
        bn_set_key("dropconnect", 0.0)
    ]
    with torch.no_grad():
        y = conv(x)  # [40, 3, 4, 4]
    chunks = y.split(10)
    mean = torch.stack([c.mean(dim=(0, 2, 3)) for c in chunks]).mean(0)
    var = torch.stack([c.transpose(0, 1).reshape(3, -1).var(dim=1) for c in chunks]).mean(0)
    torch.testing.assert_close(stats["1.running_mean"], mean)
    torch.testing.assert_close(stats["1.running_var"], var)


def test_faults_at_the_rate_scale_the_mean_by_one_minus_p() -> None:
    # y = sum_i w_i x_i m_i with P(m_i = 0) = p and no rescaling: E[y] = (1 - p) * y_clean
    torch.manual_seed(1)
    lin = nn.Linear(400, 2, bias=False)
    with torch.no_grad():
        lin.weight.fill_(0.01)
    model = nn.Sequential(lin, nn.BatchNorm1d(2))
    x = torch.rand(2000, 400) + 1.0
    sets = recalibrate(
        model, ["0"], [0.0, 0.4], DROP, _batches(x, 50), torch.Generator().manual_seed(2)
    )
    clean = sets[bn_set_key("dropconnect", 0.0)]["1.running_mean"]
    faulty = sets[bn_set_key("dropconnect", 0.4)]["1.running_mean"]
    torch.testing.assert_close(faulty / clean, torch.full((2,), 0.6), atol=0.01, rtol=0)
