"""The model zoo: CIFAR ResNets, VGGs, MobileNetV2, the linear-bottleneck nets and LeNet-5.

`get_net(name, width, num_classes, in_channels, **options)` builds a net, `list_nets()`
describes them, and model cards (`load_card`, `list_cards`) bind a net to a dataset and a
training recipe from the papers.
"""

from archsim.nets.cards import ModelCard, TrainingRecipe, list_cards, load_card
from archsim.nets.registry import NetInfo, check_options, get_net, list_nets, net_info

__all__ = [
    "ModelCard",
    "NetInfo",
    "TrainingRecipe",
    "check_options",
    "get_net",
    "list_cards",
    "list_nets",
    "load_card",
    "net_info",
]
