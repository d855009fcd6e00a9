"""The model zoo's registry: names, options with defaults and checks, and `get_net`.

Each entry knows how to check its options (unknown ones are rejected, never ignored) and how
to build the net. Building runs under a forked, seeded torch RNG so the same call gives the
same initial weights without touching the caller's global random state.
"""

import functools
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType

import torch
from torch import nn

from archsim.errors import UserError
from archsim.nets import blocks, bottleneck, mobilenetv2, options, resnet, user, vgg, vit
from archsim.nets.lenet import LeNet5
from archsim.nets.width import check_width

Check = Callable[[str, str, object], object]  # (net, option, value) -> normalised value
Builder = Callable[..., nn.Module]  # (width, num_classes, in_channels, **options) -> net

CIFAR_SHAPE = (3, 32, 32)
MNIST_SHAPE = (1, 28, 28)
HE_2016 = "He et al., Deep Residual Learning for Image Recognition, CVPR 2016 (section 4.2)"
LIUFU_2024 = (
    "Liufu, Exploration of Linear Bottleneck Architecture for RRAM Fault-tolerant Deep "
    "Learning, 2024 (docs/sources.md s.1)"
)


@dataclass(frozen=True)
class NetInfo:
    """What a zoo entry is: its options (name -> default), usual input shape and paper."""

    name: str
    description: str
    options: Mapping[str, object]
    input_shape: tuple[int, int, int]
    paper: str
    source_digest: str = ""  # a user model's file (archsim.nets.user); "" for the zoo


@dataclass(frozen=True)
class _Entry:
    info: NetInfo
    checks: Mapping[str, Check]
    build: Builder
    zoo: bool = True  # zoo nets: size check on the meta device and the zoo's initialisation


@dataclass
class _Registry:
    entries: dict[str, _Entry] = field(default_factory=dict)

    def add(
        self,
        name: str,
        description: str,
        input_shape: tuple[int, int, int],
        paper: str,
        build: Builder,
        **option_specs: tuple[object, Check],
    ) -> None:
        defaults = MappingProxyType({k: default for k, (default, _) in option_specs.items()})
        checks = MappingProxyType({k: check for k, (_, check) in option_specs.items()})
        info = NetInfo(name, description, defaults, input_shape, paper)
        self.entries[name] = _Entry(info, checks, build)


def _shortcut(allowed: tuple[str, ...]) -> Check:
    return lambda net, option, value: options.choice(net, option, value, allowed)


def _replace_check(net: str, option: str, value: object) -> object:
    return options.index_tuple(net, option, value, resnet.block_conv_count(3))


_positive: Check = options.positive_int
_RESNET_SHORTCUT = ("A", _shortcut(blocks.SHORTCUTS))

_REGISTRY = _Registry()
for _depth in (20, 32, 44, 56):
    _REGISTRY.add(
        f"resnet{_depth}",
        f"CIFAR ResNet-{_depth}: 3 stages of {(_depth - 2) // 6} basic blocks, 16/32/64 "
        "channels; shortcut A (zero-pad), 1x1 or 3x3 projection",
        CIFAR_SHAPE,
        HE_2016,
        partial(resnet.CifarResNet, (_depth - 2) // 6),
        shortcut=_RESNET_SHORTCUT,
    )
for _name in vgg.CONFIGS:
    _REGISTRY.add(
        _name,
        f"CIFAR VGG-{_name[3:]}: conv3x3-BN-ReLU stacks, max-pools, one Linear from 512",
        CIFAR_SHAPE,
        "Simonyan and Zisserman, Very Deep Convolutional Networks, ICLR 2015 "
        "(CIFAR variant of kuangliu/pytorch-cifar)",
        partial(vgg.CifarVGG, vgg.CONFIGS[_name]),
    )
_REGISTRY.add(
    "mobilenetv2",
    "CIFAR MobileNetV2: 17 inverted-residual blocks, stem stride 1, 1280-channel last conv",
    CIFAR_SHAPE,
    "Sandler et al., MobileNetV2: Inverted Residuals and Linear Bottlenecks, CVPR 2018 "
    "(CIFAR variant of kuangliu/pytorch-cifar)",
    mobilenetv2.CifarMobileNetV2,
    expansion=(6, _positive),
    shortcut=("1x1", _shortcut(mobilenetv2.SHORTCUTS)),
    activation=("relu", _shortcut(tuple(mobilenetv2.ACTIVATIONS))),
)
_REGISTRY.add(
    "minimobilenet",
    "mini-MobileNet: k linear-bottleneck blocks (8 channels, expansion 6) and a Linear layer",
    MNIST_SHAPE,
    LIUFU_2024,
    lambda width, num_classes, in_channels, blocks, **rest: bottleneck.MiniMobileNet(
        blocks, width, num_classes, in_channels, **rest
    ),
    blocks=(2, _positive),
    channels=(8, _positive),
    expansion=(6, _positive),
    pool_size=(7, _positive),
)
_REGISTRY.add(
    "resnet20-bottleneck",
    "ResNet-20 with the block 3x3 convs at 0-based indices `replace` (0..17) turned into "
    "linear bottlenecks",
    CIFAR_SHAPE,
    LIUFU_2024,
    lambda width, num_classes, in_channels, replace, **rest: bottleneck.bottleneck_resnet20(
        replace, width, num_classes, in_channels, **rest
    ),
    replace=(bottleneck.PAPER_REPLACED, _replace_check),
    shortcut=_RESNET_SHORTCUT,
    expansion=(6, _positive),
)
_REGISTRY.add(
    "lenet5",
    "LeNet-5: conv5x5 6, pool, conv5x5 16, pool, 120, 84 (both convs padded by 2)",
    MNIST_SHAPE,
    "LeCun et al., Gradient-Based Learning Applied to Document Recognition, Proc. IEEE 1998",
    LeNet5,
)
_REGISTRY.add(
    "vit",
    "small vision transformer: patch embedding, `depth` blocks of multi-head attention and a "
    "GELU MLP, mean pooling; 8x8 by default, image_size=28 patch=4 (or 7) for 28x28",
    (1, 8, 8),
    "Dosovitskiy et al., An Image is Worth 16x16 Words, ICLR 2021",
    vit.VisionTransformer,
    image_size=(8, _positive),
    patch=(2, _positive),
    depth=(2, _positive),
    heads=(2, _positive),
    head_dim=(16, _positive),
    mlp_ratio=(2, _positive),
)


def list_nets() -> list[NetInfo]:
    """Every zoo entry, in registry order."""
    return [entry.info for entry in _REGISTRY.entries.values()]


@functools.lru_cache(maxsize=64)
def _user_entry(text: str, stamp: tuple[int, int]) -> _Entry:
    """A user model's entry; `stamp` (the file's mtime and size) re-reads an edited file."""
    net = user.load_user_net(text)
    info = NetInfo(
        net.name,
        net.description,
        MappingProxyType(net.options),
        net.input_shape,
        f"user model (source sha256 {net.source_digest[:12]})",
        net.source_digest,
    )

    def build(width: float, classes: int, channels: int, **chosen: object) -> nn.Module:
        return user.build_user_net(net, width, classes, channels, chosen)

    checks = MappingProxyType({k: (lambda _net, _key, value: value) for k in net.options})
    return _Entry(info, checks, build, zoo=False)


def _entry(name: object) -> _Entry:
    if user.is_user_spec(name):
        text = str(name).strip()
        return _user_entry(text, user.source_stamp(text))
    key = str(name).strip().lower().replace("_", "-")
    if key not in _REGISTRY.entries:
        known = ", ".join(_REGISTRY.entries)
        raise UserError(f"unknown model {name!r}; known models: {known}")
    return _REGISTRY.entries[key]


def net_info(name: str) -> NetInfo:
    """The NetInfo of one net (names are case-insensitive; '_' may stand for '-')."""
    return _entry(name).info


RESERVED = ("width", "num_classes", "in_channels", "seed")  # get_net's own arguments


def check_option_names(net: str, given: Iterable[str]) -> None:
    """Refuse a net option named like one of get_net's own arguments (`--option width=2`)."""
    if reserved := sorted(set(given) & set(RESERVED)):
        raise UserError(
            f"{net}: {reserved[0]} is not a net option; it has an option of its own "
            f"(--{reserved[0].replace('_', '-')})"
        )


def check_options(name: str, given: Mapping[str, object]) -> dict[str, object]:
    """All options of `name`: defaults overridden by `given`, each value checked."""
    entry = _entry(name)
    net = entry.info.name
    check_option_names(net, given)
    unknown = sorted(set(given) - set(entry.checks))
    if unknown:
        known = ", ".join(entry.checks) or "none"
        raise UserError(f"{net}: unknown option {unknown[0]!r}; known options: {known}")
    merged = {**entry.info.options, **given}
    return {key: entry.checks[key](net, key, value) for key, value in merged.items()}


# float32 weights, their gradients, the optimizer's momentum and a copy (a checkpoint, a
# faulty chip's weights): what one training or evaluation run holds at least.
_COPIES = 4


def _memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # not a POSIX system: assume no bound
        return 1 << 62


def check_size(name: str, width: float, build: Callable[[], nn.Module]) -> int:
    """The parameter count of `build()`, measured on torch's meta device (nothing is
    allocated); a net too large for this machine's memory is a UserError with the estimate."""
    with torch.device("meta"):
        params = sum(p.numel() for p in build().parameters())
    need, have = params * 4 * _COPIES, _memory_bytes()
    if need > have:
        raise UserError(
            f"{name} at width {width:g} has {params:,} parameters: about "
            f"{need / 2**30:,.1f} GiB to train or evaluate, more than this "
            f"machine's {have / 2**30:,.0f} GiB of memory; use a smaller width or fewer classes"
        )
    return params


def get_net(
    name: str,
    width: float = 1.0,
    num_classes: int = 10,
    in_channels: int | None = None,
    *,
    seed: int = 0,
    **net_options: object,
) -> nn.Module:
    """Build zoo net `name` at `width`; `in_channels` defaults to its usual input's channels.

    `name` may also be a user model, `path/to/file.py:factory` or `module:factory`
    (`archsim.nets.user`): built by its factory, with its own initialisation.

    Raises UserError (one line) for an unknown name, a bad width, class or channel count, or
    an unknown or invalid option.
    """
    entry = _entry(name)
    checked_width = check_width(width)
    classes = options.positive_int(entry.info.name, "num_classes", num_classes)
    channels = entry.info.input_shape[0] if in_channels is None else in_channels
    channels = options.positive_int(entry.info.name, "in_channels", channels)
    resolved = check_options(name, net_options)
    if entry.zoo:
        check_size(
            entry.info.name,
            checked_width,
            lambda: entry.build(checked_width, classes, channels, **resolved),
        )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = entry.build(checked_width, classes, channels, **resolved)
        if entry.zoo:
            blocks.init_weights(net)
    return net
