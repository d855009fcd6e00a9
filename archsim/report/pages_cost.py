"""Cost pages: mapping summary, Table II beside the paper, and 1x1-on-CPU vs on-RRAM."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from archsim.explore.records import CostRow
from archsim.explore.results import SweepData
from archsim.report.style import chunks, footnote, missing_page, page, si_axis, table
from archsim.report.variants import model_width, unique, variant

TITLE_MAP = "Mapping summary"
TITLE_T2 = "Table II: cost vs width, beside the drop-connect paper"
TITLE_POLICY = "1x1 convolutions on the CPU vs on RRAM"
TABLE2_NOTE = (
    "MobileNetV2's paper rows leave its 1x1 (pointwise) layers, run on the CPU, out "
    "of the RRAM figure; no simple layer subset reproduces both rows: a known, "
    "documented mismatch (docs/validation.md s.8)."
)


def _sweep_costs(data: SweepData) -> list[CostRow]:
    return [c for c in data.costs if not c.paper_setting]


def _budget_text(rows: list[CostRow]) -> str:
    budgets = sorted(
        {
            f"{c.budget_tiles} tiles" if c.budget_tiles else f"{c.budget_chips} chip(s)"
            for c in rows
            if c.budget_chips
        }
    )
    return ", ".join(budgets) or "not recorded"


MAP_HEADER = [
    "net",
    "width",
    "placement",
    "crossbars",
    "IMAs",
    "tiles",
    "chips",
    "util.",
    "RRAM layers",
    "CPU layers",
    "RRAM MACs/img",
    "CPU MACs/img",
    "images/s",
    "J/image",
    "occupied mm2",
    "provisioned mm2",
    "bottleneck",
]
T2_HEADER = [
    "net",
    "width",
    "paper latency (s)",
    "our latency (s)",
    "ours/paper",
    "paper energy (J)",
    "our energy (J)",
    "ours/paper",
    "our latency / x1.0",
    "paper latency / x1.0",
]


def _mapping_body(rows: list[CostRow]) -> list[list[object]]:
    return [
        [
            c.model,
            c.width,
            c.policy,
            c.crossbars,
            c.imas,
            c.tiles,
            c.chips,
            c.utilization,
            c.rram_layers,
            c.cpu_layers,
            c.rram_macs,
            c.cpu_macs,
            c.throughput_ips,
            c.energy_per_image_j,
            c.occupied_area_mm2,
            c.provisioned_area_mm2,
            c.bottleneck,
        ]
        for c in rows
    ]


def _mapping_page(data: SweepData, rows: list[CostRow], part: Sequence[Any]) -> Figure:
    fig = page(
        TITLE_MAP,
        f"Hardware {', '.join(data.hardware[:1]) or '-'}; input shapes of the sweep's "
        f"datasets; cost from the '{data.spec.cost.estimator}' estimator; "
        f"budget {_budget_text(rows)} (every point balanced inside it).",
    )
    table(fig, (0.02, 0.1, 0.96, 0.78), MAP_HEADER, part, font=6)
    footnote(
        fig,
        "crossbars..chips: one copy of each layer; util. = weight cells / cells of "
        "those crossbars. images/s: throughput while streaming, after replication "
        "in the budget; J/image: dynamic + static + CPU + links; occupied mm2: "
        "tiles used plus their share of the chip links; provisioned mm2: the "
        f"budget's chips. ({data.spec.cost.images} image(s) set only the derived batch time.)",
    )
    return fig


def _cpu_layers_text(rows: list[CostRow]) -> str:
    lines = []
    for c in rows:
        cpu = [layer.name for layer in c.layers if layer.target == "cpu"]
        lines.append(f"{c.model} x{c.width:g} {c.policy}: " + (", ".join(cpu) if cpu else "none"))
    return "Weight layers on the CPU path, per net, width and placement\n\n" + "\n".join(lines[:40])


def mapping_pages(data: SweepData) -> list[Figure]:
    rows = _sweep_costs(data)
    if not rows:
        return [missing_page(TITLE_MAP, "No map/simulate job is in the store yet.")]
    body = _mapping_body(rows)
    figs = [_mapping_page(data, rows, part) for part in chunks(body, 20)]
    text = _cpu_layers_text(rows)
    figs[-1].text(0.04, 0.62 - 0.045 * min(len(body), 20) / 2, text, fontsize=8, va="top")
    return figs


def _table2_bars(fig: Figure, bars: list[tuple[str, float, float]]) -> None:
    ax = fig.add_axes((0.08, 0.1, 0.86, 0.28))
    x = np.arange(len(bars))
    ax.bar(x - 0.2, [b[1] for b in bars], 0.4, label="archsim")
    ax.bar(x + 0.2, [b[2] for b in bars], 0.4, label="paper")
    ax.set_xticks(x, [b[0] for b in bars], fontsize=7)
    ax.set_ylabel("latency, 10,000 images (s)")
    ax.legend(fontsize=8)


def table2_pages(data: SweepData) -> list[Figure]:
    rows = data.table2
    if not rows:
        return [
            missing_page(
                TITLE_T2,
                "The sweep has no net of the paper's Table II (resnet20, "
                "vgg13, mobilenetv2) or cost.paper_table is off.",
            )
        ]
    body = [
        [
            r.model,
            r.width,
            r.paper_latency_s,
            r.latency_s,
            r.latency_vs_paper,
            r.paper_energy_j,
            r.energy_j,
            r.energy_vs_paper,
            r.latency_vs_x1,
            r.paper_latency_vs_x1,
        ]
        for r in rows
    ]
    bars = [
        (f"{r.model}\nx{r.width:g}", r.latency_s, r.paper_latency_s)
        for r in rows
        if r.paper_latency_s is not None
    ]
    fig = page(
        TITLE_T2,
        f"{data.table2_source}. Ours: the 'paper' throughput-bound estimator on "
        f"CIFAR-10 input shapes, 10,000 images, placement {data.spec.cost.policy}.",
    )
    table(fig, (0.02, 0.45, 0.96, 0.42), T2_HEADER, body, font=7.5)
    if bars:
        _table2_bars(fig, bars)
    footnote(fig, TABLE2_NOTE)
    return [fig]


def policy_pages(data: SweepData) -> list[Figure]:
    policies = data.policies
    if len(policies) < 2:
        return [
            missing_page(
                TITLE_POLICY,
                "The sweep costed a single placement policy (cost.compare_policies is empty).",
            )
        ]
    costs = _sweep_costs(data)
    nets = unique((c.model, c.width) for c in costs)
    fig = page(
        TITLE_POLICY,
        "Cost of each net under each placement policy (cpu-1x1: 1x1 convs "
        "on the modelled AVX CPU, fault-free; all-rram: every layer on "
        "crossbars), each balanced in the same hardware budget; "
        "crossbars: one copy of each layer.",
    )
    metrics = [
        ("throughput_ips", "throughput", "images/s"),
        ("energy_per_image_j", "energy per image", "J"),
        ("occupied_area_mm2", "occupied area", "mm²"),
        ("crossbars", "crossbars", ""),
    ]
    x = np.arange(len(nets))
    step = 0.8 / len(policies)
    notes = []
    for i, (name, label, unit) in enumerate(metrics):
        ax = fig.add_axes((0.1 + (i % 2) * 0.48, 0.52 if i < 2 else 0.12, 0.36, 0.3))
        every = []
        for j, policy in enumerate(policies):
            values = [
                next(
                    (
                        getattr(c, name)
                        for c in costs
                        if (c.model, c.width) == n and c.policy == policy
                    ),
                    0,
                )
                or 0
                for n in nets
            ]
            every += values
            ax.bar(x + (j - (len(policies) - 1) / 2) * step, values, step, label=policy)
        ax.set_xticks(x, [f"{m} x{w:g}" for m, w in nets], fontsize=7)
        ax.set_ylim(0, max(every) * 1.3 if max(every) > 0 else 1.0)  # room for the legend
        if unit:
            note = si_axis(ax, "y", every, label, unit, bars=True)
            notes += [note] if note else []
        else:
            ax.set_ylabel(label)
        ax.legend(fontsize=7)
    if notes:
        footnote(fig, "; ".join(notes).capitalize() + " under every placement.")
    figs = [fig]
    figs.extend(_policy_accuracy(data, policies))
    return figs


def _policy_accuracy(data: SweepData, policies: list[str]) -> list[Figure]:
    rates = data.spec.pareto_rates
    body = []
    for row in data.policy_accuracy:
        line: list[object] = [model_width(row.point), variant(row.point)]
        for cell in row.cells:
            line += cell.means
            line.append(
                None
                if cell.difference is None
                else f"{cell.difference:+.2f} ± {cell.half_width:.2f}"
            )
        body.append(line)
    if not body:
        return []
    columns = [
        "net",
        "model",
        *(
            name
            for r in rates
            for name in (
                *(f"{p} @{r:g} (%)" for p in policies),
                f"{policies[0]} - {policies[1]} @{r:g}",
            )
        ),
    ]
    figs = []
    for part in chunks(body, 22):
        fig = page(
            f"{TITLE_POLICY}: accuracy",
            "Mean accuracy over chips when the faults also hit the layers the policy puts "
            "on RRAM (models were trained under the main placement "
            f"{data.spec.cost.policy}). The difference is paired: per chip index (the "
            "same seed draws each chip's faults over the sites each placement puts on "
            "RRAM), on the same test images, with its Student-t 95% half-width.",
        )
        table(fig, (0.04, 0.08, 0.92, 0.8), columns, part, font=7)
        figs.append(fig)
    return figs
