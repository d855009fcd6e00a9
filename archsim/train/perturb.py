"""Training-time weight perturbations (drop-connect masks, stuck-at faults) on named layers.

A perturbation is a `torch.nn.utils.parametrize` parametrization on a layer's `weight`: the
module keeps its one Parameter (the optimizer's, never copied) and every forward pass reads
`perturb(weight)` instead, so each read, i.e. each mini-batch, draws a fresh sample from the
caller's generator. Parametrizations are attached only inside `perturbed(...)` and removed on
exit, so checkpoints, validation and pruning always see the plain model and plain state-dict
keys. Registration uses `unsafe=True`, which skips parametrize's trial call: that call would
consume random numbers and break bit-for-bit reproducibility.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from torch import Tensor, nn
from torch.nn.utils import parametrize

from archsim.errors import UserError

# (layer name, weight) -> the weight this forward pass computes with
Sampler = Callable[[str, Tensor], Tensor]


class _Perturbation(nn.Module):
    """Parametrization object for one layer: delegates to the shared sampler."""

    def __init__(self, name: str, sampler: Sampler) -> None:
        super().__init__()
        self.layer = name
        self.sampler = sampler

    def forward(self, weight: Tensor) -> Tensor:
        return self.sampler(self.layer, weight)


def layer_modules(model: nn.Module, names: Sequence[str]) -> dict[str, nn.Module]:
    """The modules called `names`, each with a `weight` Parameter (one-line error otherwise)."""
    modules = dict(model.named_modules())
    found: dict[str, nn.Module] = {}
    for name in names:
        module = modules.get(name)
        if module is None or not isinstance(getattr(module, "weight", None), nn.Parameter):
            raise UserError(f"layer {name!r} is not a weight layer of this model")
        found[name] = module
    return found


def layer_weights(model: nn.Module, names: Sequence[str]) -> dict[str, nn.Parameter]:
    """The weight Parameters of the layers called `names` (the plain, unperturbed tensors)."""
    weights: dict[str, nn.Parameter] = {}
    for name, module in layer_modules(model, names).items():
        if parametrize.is_parametrized(module, "weight"):
            # torch's stubs type parametrizations as Tensor | Module; it is a ModuleDict
            weight = cast(Any, module).parametrizations.weight.original
        else:
            weight = module.weight
        assert isinstance(weight, nn.Parameter)
        weights[name] = weight
    return weights


@contextmanager
def perturbed(model: nn.Module, names: Sequence[str], sampler: Sampler | None) -> Iterator[None]:
    """Within the block, every forward through a layer in `names` uses `sampler(name, w)`.

    `sampler=None` (or no names) leaves the model untouched, so callers need no special case.
    """
    if sampler is None or not names:
        yield
        return
    modules = layer_modules(model, names)
    attached: list[nn.Module] = []
    try:
        for name, module in modules.items():
            if parametrize.is_parametrized(module, "weight"):
                raise RuntimeError(f"layer {name!r} is already perturbed")
            parametrize.register_parametrization(
                module, "weight", _Perturbation(name, sampler), unsafe=True
            )
            attached.append(module)
        yield
    finally:
        for module in attached:
            parametrize.remove_parametrizations(module, "weight", leave_parametrized=False)
