"""LayerSpecs of the functional operations of a traced graph (`F.relu`, `x + y`, `torch.cat`).

`graph.py` traces a model with `torch.fx`; modules come out as `call_module` nodes (described
by `layers.describe`), everything else as `call_function` / `call_method` nodes described
here from the op and its real input and output tensors. Each known op gets a kind the cost
model prices (see `archsim.perf.plan_other`):

- `act`: elementwise activations (ReLU, GELU, sigmoid, ...), one digital-unit op per element.
- `add`: a sum or difference of two activations (a residual add), one op per element.
- `eltwise`: other elementwise arithmetic (a product, a scale by a constant or a parameter,
  adding a parameter such as a position embedding), one op per element.
- `pool`: functional pooling and means over spatial dims, one op per window element.
- `softmax`, `norm` (layer norm): several ops per element on the digital units.
- `matmul`: a product of two activations (attention's Q K^T and A V): MACs on the CPU path,
  there being no stationary weight to store on a crossbar.
- `concat`, `transpose`: data movement, priced as a copy through the tile's eDRAM buffer.
- `flatten`: views (reshape, flatten, squeeze, slicing), no data moves, no cost.

An op outside these tables, or a weight op on a parameter (`F.conv2d(x, self.w)`), is
`unsupported` with the reason: weights reach crossbars only through nn.Conv2d / nn.Linear.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import torch

from archsim.mapping.records import LayerSpec

ACT_NAMES = frozenset({
    "relu", "relu_", "relu6", "gelu", "sigmoid", "sigmoid_", "tanh", "tanh_", "silu",
    "leaky_relu", "elu", "selu", "hardswish", "hardsigmoid", "hardtanh", "mish", "softplus",
    "prelu", "celu", "logsigmoid", "softsign", "tanhshrink", "clamp", "clip",
})  # fmt: skip
ADD_NAMES = frozenset({"add", "sub", "add_", "sub_", "iadd", "isub"})
ELTWISE_NAMES = frozenset({"mul", "mul_", "imul", "truediv", "div", "div_", "itruediv",
                           "neg", "pow", "sqrt", "rsqrt", "exp", "abs"})  # fmt: skip
POOL_NAMES = frozenset({
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "mean", "amax",
    "sum",
})  # fmt: skip
SOFTMAX_NAMES = frozenset({"softmax", "log_softmax"})
NORM_NAMES = frozenset({"layer_norm"})
MATMUL_NAMES = frozenset({"matmul", "bmm", "mm", "einsum"})
CONCAT_NAMES = frozenset({"cat", "concat", "concatenate", "stack", "hstack", "vstack"})
TRANSPOSE_NAMES = frozenset({"permute", "transpose", "t", "movedim", "swapaxes"})
VIEW_NAMES = frozenset({
    "view", "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "contiguous",
    "getitem", "expand", "expand_as", "view_as", "reshape_as", "chunk", "split", "unbind",
    "narrow", "select", "dropout", "detach", "clone", "float", "to", "type_as",
})  # fmt: skip
WEIGHT_OPS = frozenset({"conv1d", "conv2d", "conv3d", "linear", "bilinear", "addmm",
                        "conv_transpose2d", "embedding"})  # fmt: skip

KIND_BY_NAME: dict[str, str] = {
    **dict.fromkeys(ACT_NAMES, "act"), **dict.fromkeys(ADD_NAMES, "add"),
    **dict.fromkeys(ELTWISE_NAMES, "eltwise"), **dict.fromkeys(POOL_NAMES, "pool"),
    **dict.fromkeys(SOFTMAX_NAMES, "softmax"), **dict.fromkeys(NORM_NAMES, "norm"),
    **dict.fromkeys(MATMUL_NAMES, "matmul"), **dict.fromkeys(CONCAT_NAMES, "concat"),
    **dict.fromkeys(TRANSPOSE_NAMES, "transpose"), **dict.fromkeys(VIEW_NAMES, "flatten"),
}  # fmt: skip
REASONS = {
    "act": "activation in the tile's digital units",
    "add": "elementwise add of two activations in the tile's digital units",
    "eltwise": "elementwise arithmetic in the tile's digital units",
    "pool": "pooling / mean in the tile's digital units",
    "softmax": "softmax in the tile's digital units (exp by lookup, sum, divide)",
    "norm": "layer norm in the tile's digital units (mean, variance, scale, shift)",
    "matmul": "activation x activation matmul on the CPU path (no stationary weights)",
    "concat": "concatenation, a copy through the eDRAM buffer",
    "transpose": "layout change, a copy through the eDRAM buffer",
    "flatten": "view/reshape, no computation",
}


def op_name(op: str, target: object) -> str:
    """A short name of a graph op: the method name, or the function's name ('add', 'relu')."""
    if op == "call_method":
        return str(target)
    name = getattr(target, "__name__", str(target))
    return name.strip("_") if name.startswith("__") else name


def _tensors(values: Sequence[object]) -> list[torch.Tensor]:
    found: list[torch.Tensor] = []
    for value in values:
        if isinstance(value, torch.Tensor):
            found.append(value)
        elif isinstance(value, list | tuple):
            found += _tensors(value)
    return found


def _shape(value: object) -> tuple[int, ...]:
    tensors = _tensors([value])
    return tuple(tensors[0].shape[1:]) if tensors else ()


def _matmul_macs(a: torch.Tensor, out: torch.Tensor) -> int:
    """Per image: every output element sums over the shared dimension (a's last)."""
    per_image = math.prod(out.shape[1:]) if out.dim() > 1 else 1
    return per_image * int(a.shape[-1])


def _einsum_macs(equation: str, operands: list[torch.Tensor], batch: int) -> int | None:
    """MACs per image of an einsum: the product of every index's size (each output element
    sums over the contracted ones), divided by the batch; None for '...' equations."""
    inputs = equation.replace(" ", "").split("->")[0].split(",")
    if "." in equation or len(inputs) != len(operands):
        return None
    sizes: dict[str, int] = {}
    for letters, tensor in zip(inputs, operands, strict=True):
        sizes.update(zip(letters, (int(d) for d in tensor.shape), strict=True))
    return math.prod(sizes.values()) // max(1, batch)


def _pool_kernel(inputs: list[torch.Tensor], out: torch.Tensor) -> tuple[int, int]:
    spatial_in = tuple(inputs[0].shape[2:]) if inputs and inputs[0].dim() == 4 else ()
    if len(spatial_in) == 2 and out.dim() < 4:  # a mean over H and W: one window of all
        return (int(spatial_in[0]), int(spatial_in[1]))
    if len(spatial_in) == 2 and out.dim() == 4:
        return (max(1, spatial_in[0] // out.shape[2]), max(1, spatial_in[1] // out.shape[3]))
    return (1, 1)


def describe_op(
    name: str,
    op: str,
    target: object,
    args: Sequence[object],
    result: object,
    parameters: Callable[[int], str | None],
) -> LayerSpec:
    """The LayerSpec of one functional op; `parameters(i)` names the parameter behind
    argument i (None for activations) so that weight ops on parameters are refused."""
    short = op_name(op, target)
    tensors = _tensors(list(args))
    param_args = [p for i in range(len(args)) if (p := parameters(i)) is not None]
    activations = [t for i, t in enumerate(args)
                   if isinstance(t, torch.Tensor) and parameters(i) is None]  # fmt: skip
    params = sum(t.numel() for i, t in enumerate(args)
                 if isinstance(t, torch.Tensor) and parameters(i) is not None)  # fmt: skip
    first = activations[0] if activations else (tensors[0] if tensors else None)
    in_shape = tuple(first.shape[1:]) if first is not None else ()
    # the fields every kind has; each outcome below replaces its own
    base = LayerSpec(name=name, kind="other", in_shape=in_shape, out_shape=_shape(result),
                     macs=0, params=params)  # fmt: skip
    kind = KIND_BY_NAME.get(short)
    if short in WEIGHT_OPS or (kind == "matmul" and param_args):
        return replace(base, supported=False, reason=(
            f"{short} on parameter {param_args[0] if param_args else '?'}: weights map onto "
            "crossbars only through nn.Conv2d and nn.Linear modules"))  # fmt: skip
    if kind is None:
        return replace(base, supported=False, reason=f"{short}: no mapping for this operation")
    if kind == "add" and len(activations) < 2:
        kind = "eltwise"  # a constant or a parameter added: not a residual sum
    reason = f"{short}: {REASONS[kind]}"
    out = _tensors([result])
    if kind == "matmul" and len(activations) >= 2 and out:
        a, b = activations[0], activations[1]
        macs = (_einsum_macs(str(args[0]), activations, out[0].shape[0])
                if short == "einsum" else _matmul_macs(a, out[0]))  # fmt: skip
        if macs is None:
            return replace(base, supported=False, reason="einsum with '...': no mapping")
        return replace(base, kind="matmul", macs=macs, operand_elements=math.prod(b.shape[1:]),
                       reason=reason)  # fmt: skip
    if kind == "matmul":
        return replace(base, supported=False, reason=f"{short}: needs two activation operands")
    if kind == "pool" and out:
        return replace(base, kind="pool", kernel=_pool_kernel(activations, out[0]), reason=reason)
    return replace(base, kind=kind, reason=reason)
