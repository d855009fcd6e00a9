"""Fault maps on disk: round trip, and one-line errors for maps that do not fit."""

from pathlib import Path

import pytest
import torch
from faults_support import TinyNet, toy_mapping
from safetensors.torch import save_file

from archsim.errors import UserError
from archsim.faults import (
    ChipDrawer,
    FaultInjector,
    LayerFaults,
    get_fault_model,
    load_fault_map,
    save_fault_map,
)


def _chip(preset: str = "cell-isaac", width: int = 8):
    model = TinyNet(width=width)
    mapping = toy_mapping(model)
    inj = FaultInjector(model, mapping)
    return inj, mapping, ChipDrawer(inj.sites, get_fault_model(preset)).draw(0.1, 4, 2)


@pytest.mark.parametrize("preset", ["sft", "cell-isaac", "column-isaac"])
def test_round_trip(tmp_path: Path, preset: str) -> None:
    inj, mapping, chip = _chip(preset)
    path = save_fault_map(tmp_path / "chip.safetensors", chip, mapping)
    back = load_fault_map(path, inj.sites)
    assert back.kind == chip.kind and back.rate == 0.1 and (back.seed, back.chip) == (4, 2)
    assert back.meta["model"] == "tiny" and back.meta["layers"]["conv1"] == list(
        chip.layers["conv1"].shape
    )
    for name, states in chip.dense().items():
        assert torch.equal(back.dense()[name], states)
    assert torch.equal(inj.faulted_weights(back)["conv3"], inj.faulted_weights(chip)["conv3"])
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write left nothing behind


def test_map_of_another_mapping_is_rejected(tmp_path: Path) -> None:
    _, mapping, chip = _chip(width=8)
    path = save_fault_map(tmp_path / "chip.safetensors", chip, mapping)
    wider = FaultInjector(TinyNet(width=16), toy_mapping(TinyNet(width=16)))
    with pytest.raises(UserError, match="layer 'conv1' has shape"):
        load_fault_map(path, wider.sites)
    all_rram = TinyNet(width=8)
    inj = FaultInjector(all_rram, toy_mapping(all_rram, lambda n, m: True))
    with pytest.raises(UserError, match=r"missing \['conv2'\]"):
        load_fault_map(path, inj.sites)


def test_bad_files_are_user_errors(tmp_path: Path) -> None:
    inj, mapping, chip = _chip()
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x00" * 64)
    with pytest.raises(UserError, match="not a readable fault map"):
        load_fault_map(junk, inj.sites)
    plain = tmp_path / "plain.safetensors"
    save_file({"conv1": torch.zeros(1)}, str(plain))
    with pytest.raises(UserError, match="not an archsim fault map"):
        load_fault_map(plain, inj.sites)
    with pytest.raises(UserError, match="not found"):
        load_fault_map(tmp_path / "absent.safetensors", inj.sites)
    bad = chip.dense()
    bad["fc"][0, 0, 0] = 7
    layers = {
        name: LayerFaults(tuple(s.shape), torch.arange(s.numel()), s.reshape(-1))
        for name, s in bad.items()
    }
    path = save_fault_map(
        tmp_path / "bad.safetensors",
        type(chip)(chip.kind, layers, chip.fault_model, chip.rate),
        mapping,
    )
    with pytest.raises(UserError, match="states other than"):
        load_fault_map(path, inj.sites)
