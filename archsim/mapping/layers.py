"""The hook path: layers of any `nn.Module` from one zero-input pass with forward hooks.

`archsim.mapping.graph` reads models from their torch.fx graph and uses this path only for
code torch.fx cannot trace; `describe` (one module call -> LayerSpec) serves both.

Every leaf module (and every module holding parameters of its own) gets a forward hook, so
layers come out in execution order with their real input and output shapes. What hooks can
see is what the model does through modules; functional calls (`F.relu`, `x + y`,
`torch.flatten`) are invisible and simply not listed. They hold no parameters, so no weight is
lost, but a convolution done with `F.conv2d` on a module's own parameter shows up as that
module, listed `unsupported`. A module called twice appears twice, the second time as
`name#2` (its MACs count twice; its parameters belong to both listings). A module with
parameters that never runs is reported by `unused_parameter_modules`.

MACs count multiply-accumulates of conv and linear layers per image
(conv: out_h * out_w * cout * cin/groups * kh * kw; linear: in * out per position); BN,
pooling, activations and adds count 0 here, as in the usual model MAC figures.
"""

import math
from collections.abc import Sequence
from dataclasses import replace

import torch
from torch import nn

from archsim.errors import UserError
from archsim.mapping.records import LayerSpec

POOLS = (
    nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d,
    nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d,
)  # fmt: skip
ACTIVATIONS = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.GELU, nn.SiLU, nn.Sigmoid,
    nn.Tanh, nn.Hardswish, nn.Hardsigmoid, nn.Hardtanh, nn.Mish,
)  # fmt: skip
SOFTMAXES = (nn.Softmax, nn.LogSoftmax)
NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)
FLATTENS = (nn.Flatten, nn.Unflatten)
NO_OPS = (nn.Identity, nn.Dropout, nn.Dropout2d, nn.AlphaDropout)
UNMAPPED_CONVS = (nn.Conv1d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


def _pair(value: object) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    assert isinstance(value, tuple | list), value
    return (int(value[0]), int(value[-1]))


def _first_tensor(value: object) -> torch.Tensor | None:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, list | tuple):
        for item in value:
            found = _first_tensor(item)
            if found is not None:
                return found
    if isinstance(value, dict):
        return _first_tensor(list(value.values()))
    return None


def _shape(value: object) -> tuple[int, ...]:
    tensor = _first_tensor(value)
    return tuple(tensor.shape[1:]) if tensor is not None else ()


def _is_add(module: nn.Module, inputs: tuple[object, ...]) -> bool:
    """A parameter-free module named Add (archsim.nets.blocks.Add or a user's) on 2 tensors."""
    tensors = [x for x in inputs if isinstance(x, torch.Tensor)]
    return type(module).__name__ == "Add" and len(tensors) >= 2


def _conv_padding(module: nn.Conv2d) -> tuple[int, int]:
    if isinstance(module.padding, str):  # "valid" or "same"
        if module.padding == "valid":
            return (0, 0)
        kh, kw = module.kernel_size
        dh, dw = module.dilation
        return (dh * (kh - 1) // 2, dw * (kw - 1) // 2)
    return _pair(module.padding)


def describe(name: str, module: nn.Module, inputs: tuple[object, ...], output: object) -> LayerSpec:
    """The LayerSpec of one call of `module` (batch dimension dropped from shapes)."""
    in_shape, out_shape = _shape(inputs), _shape(output)
    params = sum(p.numel() for p in module.parameters(recurse=False))
    # the fields every kind has; each kind below replaces its own
    base = LayerSpec(
        name=name, kind="other", in_shape=in_shape, out_shape=out_shape, macs=0, params=params
    )
    if isinstance(module, nn.Conv2d):
        out_h, out_w = (out_shape[1], out_shape[2]) if len(out_shape) == 3 else (1, 1)
        kh, kw = module.kernel_size
        cin_per_group = module.in_channels // module.groups
        return replace(
            base,
            kind="conv",
            macs=out_h * out_w * module.out_channels * cin_per_group * kh * kw,
            in_channels=module.in_channels,
            out_channels=module.out_channels,
            kernel=(kh, kw),
            stride=_pair(module.stride),
            padding=_conv_padding(module),
            groups=module.groups,
            has_bias=module.bias is not None,
        )
    if isinstance(module, nn.Linear):
        positions = math.prod(out_shape[:-1])
        return replace(
            base,
            kind="linear",
            macs=positions * module.in_features * module.out_features,
            in_channels=module.in_features,
            out_channels=module.out_features,
            has_bias=module.bias is not None,
        )
    if isinstance(module, NORMS):
        channels = module.num_features
        return replace(base, kind="bn", in_channels=channels, out_channels=channels)
    if isinstance(module, POOLS):
        kernel = getattr(module, "kernel_size", None) or getattr(module, "output_size", 1)
        stride = getattr(module, "stride", None) or kernel
        return replace(base, kind="pool", kernel=_pair(kernel), stride=_pair(stride))
    if isinstance(module, ACTIVATIONS):
        return replace(base, kind="act")
    if isinstance(module, SOFTMAXES):
        return replace(base, kind="softmax")
    if isinstance(module, nn.LayerNorm):
        return replace(base, kind="norm")
    if isinstance(module, FLATTENS):
        return replace(base, kind="flatten")
    if params == 0 and _is_add(module, inputs):
        return replace(base, kind="add")
    if params == 0:
        return base
    kind = type(module).__name__
    reason = (
        f"{kind}: only 2-D convolutions and Linear layers map onto crossbars"
        if isinstance(module, UNMAPPED_CONVS)
        else f"{kind} holds {params} parameters but is not a layer type the mapper knows"
    )
    return replace(base, supported=False, reason=reason)


def check_input_shape(input_shape: Sequence[int]) -> tuple[int, ...]:
    shape = tuple(input_shape)
    if not shape or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in shape):
        raise UserError(f"input shape must be positive integers like 3,32,32, got {shape}")
    return shape


def _owns_parameters(module: nn.Module) -> bool:
    return any(True for _ in module.parameters(recurse=False))


def _hooked_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Leaves and modules with parameters of their own; the root is named by its class."""
    return [
        (name or type(module).__name__, module)
        for name, module in model.named_modules()
        if not any(True for _ in module.children()) or _owns_parameters(module)
    ]


def extract_layers(model: nn.Module, input_shape: Sequence[int]) -> list[LayerSpec]:
    """LayerSpecs of every hooked module call, in execution order, for one image."""
    shape = check_input_shape(input_shape)
    calls: dict[str, int] = {}
    specs: list[LayerSpec] = []

    def make_hook(name: str):  # type: ignore[no-untyped-def]
        def hook(module: nn.Module, inputs: tuple[object, ...], output: object) -> None:
            calls[name] = calls.get(name, 0) + 1
            call_name = name if calls[name] == 1 else f"{name}#{calls[name]}"
            specs.append(describe(call_name, module, inputs, output))

        return hook

    modes = {module: module.training for module in model.modules()}
    handles = [m.register_forward_hook(make_hook(n)) for n, m in _hooked_modules(model)]
    threads = torch.get_num_threads()
    try:
        model.eval()  # batch-1 BatchNorm in training mode would fail or update statistics
        sample = sample_input(model, shape)
        # One batch-1 pass is tiny: a second intra-op thread only adds synchronisation (10x
        # slower on a busy 2-core machine), so trace single-threaded and restore afterwards.
        torch.set_num_threads(1)
        with torch.no_grad():
            model(sample)
    except RuntimeError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(
            f"{type(model).__name__} cannot run on input shape "
            f"{','.join(map(str, shape))}: {first_line}"
        ) from exc
    finally:
        torch.set_num_threads(threads)
        for handle in handles:
            handle.remove()
        for module, training in modes.items():
            module.training = training
    return specs


def sample_input(model: nn.Module, shape: tuple[int, ...]) -> torch.Tensor:
    reference = next(model.parameters(), None)
    dtype = reference.dtype if reference is not None and reference.is_floating_point() else None
    device = reference.device if reference is not None else None
    return torch.zeros((1, *shape), dtype=dtype or torch.float32, device=device)


def unused_parameter_modules(model: nn.Module, specs: Sequence[LayerSpec]) -> list[str]:
    """Modules holding parameters of their own that did not run in the extracting pass."""
    seen = {spec.name.split("#")[0] for spec in specs}
    return [
        name
        for name, module in _hooked_modules(model)
        if _owns_parameters(module) and name not in seen
    ]
