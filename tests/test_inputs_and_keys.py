"""Input handling (padding, seeded subsets), BatchNorm set keys and the load warning."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from archsim.data import get_dataset
from archsim.data.inputs import InputHandling, load_split, pad_images
from archsim.faults.bnsets import bn_set_key, parse_bn_set_key, qualify_legacy_keys, select_bn_set
from archsim.machine import oversubscription


def test_padding_is_centred_black() -> None:
    ds = get_dataset("digits", "test", limit=3)  # 8x8
    padded = pad_images(ds, 11)  # margins 1 top/left, 2 bottom/right
    assert padded.images.shape == (3, 1, 11, 11)
    assert torch.equal(padded.images[:, :, 1:9, 1:9], ds.images)
    black = float(ds.black[0])
    assert torch.all(padded.images[:, :, 0, :] == black)
    assert torch.all(padded.images[:, :, 9:, :] == black)
    assert torch.all(padded.images[:, :, :, 9:] == black)


def test_seeded_subset_is_reproducible_and_not_the_first_n() -> None:
    whole = get_dataset("digits", "train")
    a = load_split("digits", "train", None, InputHandling(100, subset_seed=3))
    b = load_split("digits", "train", None, InputHandling(100, subset_seed=3))
    first = load_split("digits", "train", None, InputHandling(100))
    assert torch.equal(a.images, b.images) and len(a) == 100
    assert not torch.equal(a.images, first.images)
    rows = {tuple(x.reshape(-1).tolist()) for x in whole.images}
    assert all(tuple(x.reshape(-1).tolist()) in rows for x in a.images)  # drawn from the split


@given(st.sampled_from(["dropconnect", "sft", "cell-isaac"]), st.floats(0, 1, allow_nan=False))
def test_keys_round_trip(model: str, rate: float) -> None:
    assert parse_bn_set_key(bn_set_key(model, rate)) == (model, rate)
    assert select_bn_set({bn_set_key(model, rate): 1}, model, rate) == bn_set_key(model, rate)
    other = "sft" if model != "sft" else "dropconnect"
    # another model's set serves only at rate 0, where no model draws a fault
    expected = bn_set_key(model, rate) if rate == 0 else None
    assert select_bn_set({bn_set_key(model, rate): 1}, other, rate) == expected


def test_legacy_keys_take_the_recorded_fault_model() -> None:
    sets = {"0.1": 1, "sft:0.2": 2}
    assert qualify_legacy_keys(sets, {"fault_model": "dropconnect"}) == {
        "dropconnect:0.1": 1,
        "sft:0.2": 2,
    }
    assert qualify_legacy_keys(
        sets, {"fault_model": "dropconnect", "recalibrated": {"fault_model": "cell-isaac"}}
    ) == {"cell-isaac:0.1": 1, "sft:0.2": 2}
    assert qualify_legacy_keys(sets, {}) == sets  # unknown: kept, matched by no fault model
    assert select_bn_set(sets, "dropconnect", 0.1) is None


def test_oversubscription_warns_only_above_the_cores() -> None:
    assert oversubscription(1, 1.9, 2) is None
    warning = oversubscription(2, 5.2, 2)
    assert warning is not None and "load average 5.2 on 2 core(s)" in warning
