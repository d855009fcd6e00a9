"""Extract every operation of a model from its `torch.fx` graph, run once on a zero input.

The model is traced symbolically (no data), then the graph is interpreted on a batch-1 zero
input so each node's real input and output shapes are known. Modules defined by torch.nn,
the zoo's one-op blocks (`Add`, `ZeroPadShortcut`, `SkippingMaxPool`: childless modules of
`archsim.nets`) and childless modules holding parameters of their own stay whole: they are
described as the hook path describes them (`layers.describe`), so the zoo maps exactly as it
did from hooks. Every other module is traced through, so `F.relu`, `x + y`, `torch.cat`,
`x.flatten(1)`, matmuls, softmax and layer norm come out as operations of their own
(`functional.py`), named by the module they run in (`layer1.0.add`, `blocks.0.attn.softmax`).

Not listed: placeholders and the output, shape queries (`x.size(0)`, `x.shape`: no data)
and ops on parameters alone (`self.pos.unsqueeze(0)`: weight preparation); a parameter
that reaches an op counts as that op's parameter.

A model `torch.fx` cannot trace (data-dependent control flow, unsupported Python) falls back
to forward hooks (`layers.extract_layers`): modules only, functional calls unseen. The
mapping then says so in a note (`graph_notes`), naming the reason the trace failed.
"""

from collections.abc import Sequence
from typing import Any

import torch
from torch import fx, nn

from archsim.errors import UserError
from archsim.mapping.functional import describe_op, op_name
from archsim.mapping.layers import (
    check_input_shape,
    describe,
    extract_layers,
    sample_input,
    unused_parameter_modules,
)
from archsim.mapping.records import LayerSpec

SKIPPED_OPS = ("placeholder", "output", "get_attr")


class _Tracer(fx.Tracer):
    """torch.nn modules, childless zoo blocks and childless parameter owners are leaves."""

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        if super().is_leaf_module(m, module_qualified_name):
            return True
        if next(m.children(), None) is not None:
            return False
        owns = next(m.parameters(recurse=False), None) is not None
        return owns or type(m).__module__.startswith("archsim.nets.")


def trace_graph(model: nn.Module) -> fx.GraphModule:
    """The fx graph of `model`; raises whatever torch.fx raises for untraceable code."""
    graph = _Tracer().trace(model)
    return fx.GraphModule(model, graph)


def _scope(node: fx.Node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    return str(next(reversed(stack.values()))[0]) if stack else ""


def _is_data(value: object) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    return isinstance(value, list | tuple) and any(_is_data(v) for v in value)


class _Recorder(fx.Interpreter):
    """Runs the graph and turns every data-carrying node into a LayerSpec."""

    def __init__(self, module: fx.GraphModule) -> None:
        super().__init__(module)
        self.specs: list[LayerSpec] = []
        self.calls: dict[str, int] = {}
        self.param_of: dict[fx.Node, str] = {}  # nodes computed from parameters alone
        self.names: set[str] = set()

    def _unique(self, base: str) -> str:
        name, index = base, 0
        while name in self.names:
            index += 1
            name = f"{base}_{index}"
        self.names.add(name)
        return name

    def run_node(self, n: fx.Node) -> Any:
        result = super().run_node(n)
        if n.op == "get_attr":
            self.param_of[n] = str(n.target)
            return result
        if n.op in SKIPPED_OPS or not _is_data(result):
            return result
        inputs = n.all_input_nodes
        if n.op != "call_module" and inputs and all(i in self.param_of for i in inputs):
            self.param_of[n] = self.param_of[inputs[0]]  # weight preparation, not data
            return result
        args, _ = self.fetch_args_kwargs_from_env(n)
        if n.op == "call_module":
            target = str(n.target)
            self.calls[target] = self.calls.get(target, 0) + 1
            count = self.calls[target]
            name = target if count == 1 else f"{target}#{count}"
            self.specs.append(describe(name, self.fetch_attr(target), tuple(args), result))
            return result
        scope = _scope(n)
        short = op_name(n.op, n.target)
        name = self._unique(f"{scope}.{short}" if scope else short)

        def parameter(index: int) -> str | None:
            arg = n.args[index] if index < len(n.args) else None
            return self.param_of.get(arg) if isinstance(arg, fx.Node) else None

        self.specs.append(describe_op(name, n.op, n.target, args, result, parameter))
        return result


def graph_layers(model: nn.Module, input_shape: Sequence[int]) -> list[LayerSpec]:
    """LayerSpecs of every operation of `model`'s graph in execution order, for one image;
    the hook path's layers when torch.fx cannot trace the model (see `graph_notes`)."""
    shape = check_input_shape(input_shape)
    try:
        module = trace_graph(model)
    except Exception:  # any trace failure means: use the hook path
        return extract_layers(model, shape)
    modes = {m: m.training for m in model.modules()}
    threads = torch.get_num_threads()
    recorder = _Recorder(module)
    try:
        model.eval()
        sample = sample_input(model, shape)
        torch.set_num_threads(1)  # batch 1: a second thread only adds synchronisation
        with torch.no_grad():
            recorder.run(sample)
    except UserError:
        raise
    except Exception as exc:  # the model's own code failed on this input
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{type(model).__name__} cannot run on input shape "
                        f"{','.join(map(str, shape))}: {first}") from exc  # fmt: skip
    finally:
        torch.set_num_threads(threads)
        for m, training in modes.items():
            m.training = training
    return recorder.specs


def _unused_in_graph(model: nn.Module, module: fx.GraphModule) -> list[str]:
    """Modules owning parameters that no leaf call and no get_attr of the graph reads."""
    used: set[str] = set()
    for node in module.graph.nodes:
        if node.op == "call_module":
            prefix = f"{node.target}."
            used.update(prefix + n for n, _ in model.get_submodule(node.target).named_parameters())
        elif node.op == "get_attr":
            used.add(str(node.target))
    unused = []
    for name, m in model.named_modules():
        own = [f"{name}.{p}" if name else p for p, _ in m.named_parameters(recurse=False)]
        if own and not any(p in used for p in own):
            unused.append(name or type(model).__name__)
    return unused


def graph_notes(model: nn.Module, specs: Sequence[LayerSpec]) -> list[str]:
    """Notes on what the extraction could not see: modules with parameters that never ran,
    and, for an untraceable model, that its functional ops were not seen."""
    try:
        module = trace_graph(model)
    except Exception as exc:  # the reason goes into the note
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        notes = [f"torch.fx cannot trace {type(model).__name__} ({text}): layers from module "
                 "forward hooks; functional ops (F.relu, x + y, torch.cat, ...) not seen "
                 "and not costed"]  # fmt: skip
        unused = unused_parameter_modules(model, specs)
    else:
        notes, unused = [], _unused_in_graph(model, module)
    if unused:
        notes.append(f"modules with parameters that never ran (not mapped): {', '.join(unused)}")
    return notes
