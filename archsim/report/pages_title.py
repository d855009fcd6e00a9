"""The title page: what was swept, where every number came from, and how complete it is."""

from __future__ import annotations

import datetime
import textwrap
from typing import Any

from matplotlib.figure import Figure

from archsim.explore.results import SweepData
from archsim.report.style import page, table


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _commit(commit: str) -> str:
    return commit[:12] + ("+dirty" if commit.endswith("+dirty") else "")


def _grid_lines(data: SweepData) -> list[str]:
    s = data.spec
    t, f, c = s.training, s.faults, s.cost
    datasets = sorted({(d.name, d.input_shape) for d in data.datasets.values()})
    tunes = bool(t.prune) or any(m in ("oneshot", "progressive") for m in t.methods)
    tuning = f" (fine-tuning {t.tune_epochs})" if tunes else ""
    lines = [
        f"models: {', '.join(m.name for m in s.models)}    widths: "
        f"{', '.join(f'{w:g}' for w in s.widths)}",
        "datasets: " + ", ".join(f"{n} {'x'.join(map(str, shape))}" for n, shape in datasets),
        f"training: {', '.join(t.methods)}; {t.epochs} epochs{tuning}, "
        f"batch {t.batch_size}, lr {t.lr:g} {t.lr_schedule}; BatchNorm recalibration: "
        f"{', '.join('on' if r else 'off' for r in t.recalibrate)}",
    ]
    if t.dropconnect_rates:
        lines.append(f"drop-connect rates: {', '.join(f'{r:g}' for r in t.dropconnect_rates)}")
    if t.sft_rates:
        lines.append(
            f"stochastic fault training rates: {', '.join(f'{r:g}' for r in t.sft_rates)}"
            f" (fault model {t.sft_fault_model})"
        )
    if t.prune:
        lines.append(f"pruning: {', '.join(p.name for p in t.prune)}")
    lines += [
        f"test faults: model {f.model}, rates {', '.join(f'{r:g}' for r in f.rates)}, "
        f"{f.chips} chips per point, seed {s.seed}"
        + (f", yield threshold {f.threshold:g}%" if f.threshold is not None else ""),
        f"hardware {', '.join(data.hardware[:1]) or '-'}"
        + (f" (variants: {', '.join(data.hardware[1:])})" if data.hardware[1:] else "")
        + f"; placement {c.policy} (compared: "
        f"{', '.join(c.compare_policies) or 'none'}); estimator {c.estimator}, "
        f"{c.images} image(s) per cost",
        f"Pareto: accuracy ({s.pareto.metric} over chips) at fault rate(s) "
        f"{', '.join(f'{r:g}' for r in s.pareto_rates)} vs throughput, energy per image and "
        "occupied area",
    ]
    return lines


DESCRIPTION_CHARS = 160  # characters per line of the spec's description (9 pt on A4)
LINE = 0.019  # a 9 pt line's height, figure fraction


def title_page(data: SweepData) -> list[Figure]:
    s = data.spec
    described = textwrap.wrap(s.description, DESCRIPTION_CHARS)
    fig = page(f"archsim sweep report: {s.name}", "\n".join(described))
    # the grid starts under the description, however many lines it takes
    y = min(0.86, 0.915 - LINE * len(described) - 0.015)
    for line in _grid_lines(data):
        fig.text(0.04, y, line, fontsize=9.5, va="top")
        y -= 0.032
    done = data.jobs_total - sum(data.missing.values())
    status = f"{done} of {data.jobs_total} jobs in the store"
    if data.missing:
        status += " (missing: " + ", ".join(f"{n} {k}" for k, n in sorted(data.missing.items()))
        status += "; rerun the sweep to finish them)"
    fig.text(0.04, y - 0.01, status, fontsize=10, fontweight="bold", va="top")
    fig.text(0.04, y - 0.06, "Provenance", fontsize=12, fontweight="bold", va="top")
    meta = data.meta
    fig.text(
        0.04,
        y - 0.095,
        f"results store: {data.store} (schema {meta.get('schema_version', '?')}, created by "
        f"archsim {meta.get('created_by', '?')}); every row also records its own archsim "
        "version, git commit, config, seed and times",
        fontsize=8.5,
        va="top",
    )
    rows: list[list[Any]] = [
        [
            sw.id,
            sw.status,
            sw.executor,
            sw.archsim_version,
            _commit(sw.git_commit),
            sw.host,
            _when(sw.started_at),
            _when(sw.finished_at),
            f"{sw.jobs_run if sw.jobs_run is not None and sw.jobs_run >= 0 else '-'}"
            f" / {sw.jobs_total}",
        ]
        for sw in data.sweeps[-12:]
    ]
    table(
        fig,
        (0.04, 0.06, 0.92, max(0.1, y - 0.2)),
        [
            "run",
            "status",
            "executor",
            "archsim",
            "git commit",
            "host",
            "started",
            "finished",
            "jobs run / total",
        ],
        rows,
        font=8,
    )
    return [fig]
