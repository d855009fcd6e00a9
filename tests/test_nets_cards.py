"""Model cards: every shipped card loads and builds its net; recipes match the papers; bad
card files give one-line errors naming the file."""

from importlib import resources
from pathlib import Path

import pytest
import torch

from archsim.errors import UserError
from archsim.nets import list_cards, load_card

REPO = Path(__file__).resolve().parents[1]
EXPECTED_CARDS = [
    "lenet5-digits",
    "minimobilenet-mnist",
    "mobilenetv2-cifar10",
    "resnet20-bottleneck",
    "resnet20-cifar10",
    "resnet20-cifar10-3x3",
    "resnet20-cifar10-optionA",
    "resnet20-digits",
    "resnet32-cifar100",
    "vgg13-cifar10",
    "vit-digits",
    "vit-fashion-mnist",
]

GOOD_CARD = """\
name: my-card
description: a user's card
architecture: resnet20
options: {shortcut: "1x1"}
dataset: digits
input_shape: [1, 8, 8]
num_classes: 10
training:
  epochs: 10
  lr: 0.05
  batch_size: 32
  schedule: {kind: step, milestones: [5, 8]}
source: written by the test
"""


def test_the_shipped_cards_are_the_papers_nets() -> None:
    assert list_cards() == EXPECTED_CARDS


def test_cards_are_package_data_and_models_cards_points_at_them() -> None:
    shipped = resources.files("archsim").joinpath("modelcards")
    assert shipped.joinpath("resnet20-cifar10.yaml").is_file()
    assert (REPO / "models" / "cards").resolve() == (REPO / "archsim" / "modelcards").resolve()


@pytest.mark.parametrize("name", EXPECTED_CARDS)
def test_every_card_builds_a_net_for_its_dataset(name: str) -> None:
    card = load_card(name)
    assert card.name == name
    assert card.source.strip()
    net = card.build().eval()
    with torch.no_grad():
        assert net(torch.zeros(1, *card.input_shape)).shape == (1, card.num_classes)


def test_drop_connect_card_has_the_papers_recipe_and_1x1_shortcuts() -> None:
    card = load_card("resnet20-cifar10")
    assert (card.architecture, card.options, card.dataset) == (
        "resnet20", {"shortcut": "1x1"}, "cifar10",
    )  # fmt: skip
    recipe = card.training
    assert (recipe.optimizer, recipe.epochs, recipe.lr, recipe.momentum) == ("sgd", 200, 0.1, 0.9)
    assert (recipe.weight_decay, recipe.batch_size) == (1e-4, 128)
    assert recipe.schedule.kind == "step"
    assert (recipe.schedule.milestones, recipe.schedule.gamma) == ((100, 150), 0.1)
    # 269,722 (option A) + 1x1 projections 16*32 + 64 and 32*64 + 128 = 272,474
    assert sum(p.numel() for p in card.build().parameters()) == 272_474


def test_stochastic_training_cards_use_160_cosine_epochs() -> None:
    for name, classes in (("resnet20-cifar10-optionA", 10), ("resnet32-cifar100", 100)):
        card = load_card(name)
        assert card.options == {"shortcut": "A"}
        assert card.num_classes == classes
        assert (card.training.epochs, card.training.lr) == (160, 0.1)
        assert card.training.schedule.kind == "cosine"


def test_bottleneck_card_replaces_the_papers_six_convs() -> None:
    card = load_card("resnet20-bottleneck")
    # the paper's 4th, 6th, 10th, 12th, 16th and 18th convs, counted from 1
    assert card.resolved_options()["replace"] == (3, 5, 9, 11, 15, 17)
    assert card.resolved_options()["expansion"] == 6


def test_a_card_file_given_by_path_loads(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD_CARD)
    card = load_card(path)
    assert card.training.optimizer == "sgd"  # default
    assert card.width == 1.0
    assert card.build(width=1.4).conv1.out_channels == 22  # floor(16 * 1.4)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("lr: 0.05", "lr: 0.05\n  lr: 0.1"), "duplicate key 'lr'"),
        (("source:", "colour: red\nsource:"), "colour: unknown key (allowed: name, description"),
        (("architecture: resnet20", "architecture: resnet18"), "unknown model 'resnet18'"),
        (('{shortcut: "1x1"}', "{shortcut: B}"), "option shortcut='B' is not one of A, 1x1"),
        (('{shortcut: "1x1"}', "{depth: 3}"), "unknown option 'depth'"),
        (("[5, 8]", "[5, 12]"), "milestones [5, 12] must increase and stay below epochs=10"),
        (("[1, 8, 8]", "[3, 32, 32]"), "dataset digits has input_shape [1, 8, 8] and 10"),
        (("dataset: digits", "dataset: imagenet"), "unknown dataset 'imagenet'"),
        (("kind: step", "kind: linear"), "training.schedule"),
        (("lr: 0.05", "lr: -1"), "training.lr: Input should be greater than 0"),
    ],
)
def test_bad_card_files_give_one_line_naming_the_file(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    old, new = edit
    assert old in GOOD_CARD
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD_CARD.replace(old, new, 1))
    with pytest.raises(UserError) as caught:
        load_card(path)
    text = str(caught.value)
    assert str(path) in text
    assert message in text
    assert "\n" not in text


def test_unknown_card_name_lists_the_known_ones() -> None:
    with pytest.raises(UserError, match="unknown model card 'resnet99'; known cards: lenet5"):
        load_card("resnet99")


def test_a_missing_card_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"missing\.yaml: file not found"):
        load_card(tmp_path / "missing.yaml")
