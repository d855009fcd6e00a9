"""Accuracy vs fault rate (Table I style): curves with 95% confidence bands, the table of
means, and the Stability Score table of the stochastic-training paper (scored in
`explore.page_rows`)."""

from __future__ import annotations

from matplotlib.figure import Figure

from archsim.explore.page_rows import main_rows
from archsim.explore.records import AccuracyRow
from archsim.explore.results import SweepData
from archsim.report.paper import SS_SOURCE, SS_TABLE, TABLE1, TABLE1_RATES, TABLE1_SOURCE
from archsim.report.style import chunks, footnote, missing_page, page, table
from archsim.report.variants import model_width, unique, variant

TITLE_CURVES = "Accuracy vs fault rate"
TITLE_SS = "Stability Score"


def curve_pages(data: SweepData) -> list[Figure]:
    rows = main_rows(data.accuracy, data.spec.cost.policy)
    if not rows:
        return [missing_page(TITLE_CURVES, "No evaluation is in the store yet.")]
    groups = unique((r.point.model, r.point.width, r.point.prune) for r in rows)
    figs = []
    for chunk in chunks(groups, 4):
        fig = page(
            f"{TITLE_CURVES} (Table I style)",
            f"Mean accuracy over {data.spec.faults.chips} chips, shaded: 95% confidence "
            f"interval of the mean; fault model {data.spec.faults.model}, placement "
            f"{data.spec.cost.policy}.",
        )
        for i, (model, width, prune) in enumerate(chunk):
            ax = fig.add_subplot((len(chunk) + 1) // 2, 2, i + 1)
            mine = [
                r
                for r in rows
                if (r.point.model, r.point.width, r.point.prune) == (model, width, prune)
            ]
            for name in unique(variant(r.point) for r in mine):
                line = sorted(
                    (r for r in mine if variant(r.point) == name), key=lambda r: r.fault_rate
                )
                x = [r.fault_rate for r in line]
                drawn = ax.plot(x, [r.stats.mean for r in line], marker="o", ms=3, label=name)
                lows = [r.stats.ci_low for r in line if r.stats.ci_low is not None]
                highs = [r.stats.ci_high for r in line if r.stats.ci_high is not None]
                if len(lows) == len(highs) == len(line):
                    ax.fill_between(
                        x,
                        lows,
                        highs,
                        color=drawn[0].get_color(),
                        alpha=0.18,
                        lw=0,
                    )
            ax.set_title(f"{model} x{width:g}" + (f" pruned {prune}" if prune else ""), fontsize=9)
            ax.set_xlabel("test fault rate (fraction)")
            ax.set_ylabel("accuracy (%)")
            ax.set_ylim(0, 100)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=6)
        fig.subplots_adjust(top=0.85, bottom=0.08, hspace=0.4, wspace=0.25)
        figs.append(fig)
    figs.extend(_mean_tables(data, rows))
    return figs


def _cell(r: AccuracyRow) -> str:
    """Mean ± the 95% CI's upper half-width."""
    return f"{r.stats.mean:.2f}" + (
        f" ±{r.stats.ci_high - r.stats.mean:.1f}" if r.stats.ci_high is not None else ""
    )


def _mean_tables(data: SweepData, rows: list[AccuracyRow]) -> list[Figure]:
    faults = sorted(unique(r.fault_rate for r in rows))
    names = unique((model_width(r.point), variant(r.point)) for r in rows)
    body = []
    for net, name in names:
        cells = {
            r.fault_rate: r for r in rows if (model_width(r.point), variant(r.point)) == (net, name)
        }
        body.append([net, name, *(_cell(cells[f]) if f in cells else "-" for f in faults)])
    figs = []
    for part in chunks(body, 22):
        fig = page(
            "Accuracy (%) vs test fault rate: mean ± 95% CI half-width",
            "Table I layout of the stochastic fault-tolerant training paper.",
        )
        table(
            fig,
            (0.04, 0.08, 0.92, 0.8),
            ["net", "model", *(f"{f:g}" for f in faults)],
            part,
            font=7,
        )
        figs.append(fig)
    if data.spec.faults.model == "sft":
        fig = page("Reference: the paper's Table I excerpt", TABLE1_SOURCE)
        table(
            fig,
            (0.04, 0.3, 0.92, 0.55),
            ["model", *(f"{r:g}" for r in TABLE1_RATES)],
            [[name, *values] for name, values in TABLE1.items()],
            font=8,
        )
        footnote(
            fig,
            "Numbers copied from the paper (CIFAR-10, 160 epochs, 100 runs per point) "
            "for comparison; they are not produced by this sweep.",
        )
        figs.append(fig)
    return figs


def stability_pages(data: SweepData) -> list[Figure]:
    if data.stability is None:
        return [
            missing_page(
                TITLE_SS,
                "It needs evaluations at fault rate 0 (clean accuracy) "
                "and at a nonzero fault rate.",
            )
        ]
    rates = [r for r in data.spec.pareto_rates if r > 0]
    body = []
    for row in data.stability:
        line = [model_width(row.point), variant(row.point), row.pretrain, row.retrain]
        for cell in row.cells:
            if cell is None:
                line += [None, None, None]
                continue
            interval = cell.interval
            line += [
                cell.defect,
                cell.score,
                None if interval is None else f"{interval[0]:.3g} - {interval[1]:.3g}",
            ]
        body.append(line)
    columns = ["net", "model", "Acc_pretrain (%)", "Acc_retrain (%)"]
    for rate in rates:
        columns += [f"Acc_defect@{rate:g} (%)", f"SS@{rate:g}", f"SS@{rate:g} 95%"]
    figs = []
    for part in chunks(body, 20):
        fig = page(
            TITLE_SS,
            "SS = Acc_retrain / (Acc_pretrain - Acc_defect): Acc_pretrain is the "
            "fault-free accuracy of the standard model (pruned alike), "
            "Acc_retrain this model's; "
            "inf when no accuracy was lost. Higher is more stable. Its 95% "
            "interval maps the chips' 95% interval of Acc_defect (the only "
            "term that varies between chips) through the formula.",
        )
        if data.spec.faults.model != "sft":
            table(fig, (0.04, 0.08, 0.92, 0.78), columns, part, font=7)
            figs.append(fig)
            continue
        table(fig, (0.04, 0.4, 0.92, 0.46), columns, part, font=7)
        table(
            fig,
            (0.2, 0.06, 0.6, 0.28),
            ["paper model", "Acc_retrain (%)", "SS@0.01", "SS@0.02"],
            [[k, *v] for k, v in SS_TABLE.items()],
            font=7,
        )
        footnote(fig, f"Bottom: reference values from the {SS_SOURCE}, not from this sweep.")
        figs.append(fig)
    return figs
