"""The drop-connect paper's findings, and the single-channel stem's share of the damage."""

from __future__ import annotations

from archsim.explore.finding import (
    DC,
    OTHER_CELLS,
    STEM,
    Finding,
    make_finding,
    pair_arms,
)
from archsim.explore.findings_data import Context
from archsim.explore.verdict import Rule


def dc_collapse(ctx: Context) -> Finding:
    claim = "A standard model collapses under zero faults; a drop-connect model keeps accuracy"
    dc, f = ctx.best_dropconnect(ctx.top_rate), ctx.top_rate
    std = ctx.standard(f, recal=ctx.baseline_recal)
    test = (
        f"drop-connect p={dc.train_rate:g}{ctx.recal_text(dc)} - standard"
        f"{ctx.recal_text(std)} at fault rate {f:g}"
        if dc and std
        else "needs standard and drop-connect training at a nonzero fault rate"
    )
    return make_finding("DC-1", DC, claim, Rule("greater"), test, pair_arms(ctx, dc, std))


def dc_small_loss(ctx: Context) -> Finding:
    claim = "Drop-connect loses under 1% accuracy up to 30% faults (abstract)"
    f = ctx.top_rate
    dc = ctx.best_dropconnect(f)
    clean = dc.at(0.0) if dc else None
    test = (
        f"drop-connect p={dc.train_rate:g}{ctx.recal_text(dc)} at fault rate {f:g} - fault-free"
        if dc
        else "needs drop-connect training"
    )
    return make_finding("DC-2", DC, claim, Rule("greater", -1.0), test, pair_arms(ctx, dc, clean))


def dc_rate_above_fault(ctx: Context) -> Finding:
    claim = "The best drop rate exceeds the fault rate"
    for f in ctx.fault_rates:
        above = ctx.best_dropconnect(f, f.__lt__)  # drop rates p with f < p
        below = ctx.best_dropconnect(f, f.__ge__, with_standard=True)  # p <= f
        if above and below:
            test = (
                f"best p > f (p={above.train_rate:g}) - best p <= f "
                f"(p={below.train_rate:g}) at fault rate {f:g}{ctx.recal_text(above)}"
            )
            return make_finding(
                "DC-3", DC, claim, Rule("greater"), test, pair_arms(ctx, above, below)
            )
    return make_finding(
        "DC-3",
        DC,
        claim,
        Rule("greater"),
        "needs drop rates both above and at or below a test fault rate",
        None,
    )


def dc_widening(ctx: Context) -> Finding:
    claim = "Widening buys accuracy under faults, at a throughput and energy cost"
    widths = ctx.spec.widths
    if len(widths) < 2:
        return make_finding(
            "DC-4", DC, claim, Rule("greater"), "needs two or more widths (this sweep: one)", None
        )
    f = ctx.top_rate
    narrow = ctx.best_dropconnect(f)
    wide = narrow.replace(width=max(widths)) if narrow else None
    test = (
        f"width {max(widths):g} - width {min(widths):g}, drop-connect "
        f"p={narrow.train_rate:g} at fault rate {f:g}"
        if narrow
        else ""
    )
    cost = ctx.cost_ratio(min(widths), max(widths))
    return make_finding(
        "DC-4",
        DC,
        claim,
        Rule("greater"),
        test,
        pair_arms(ctx, wide, narrow),
        "; ".join(x for x in (cost, OTHER_CELLS) if x),
    )


# The placement that differs from the main one only in putting the 1x1 convs on RRAM.
ONE_BY_ONE_ON_RRAM = {"cpu-1x1": "all-rram", "cpu-1x1-ends": "cpu-ends"}


def dc_pointwise_on_rram(ctx: Context) -> Finding:
    claim = "1x1 layers on faulty RRAM hurt far more than on the CPU"
    other = ONE_BY_ONE_ON_RRAM.get(ctx.main_policy, "")
    if other not in ctx.policies:
        return make_finding(
            "DC-5",
            DC,
            claim,
            Rule("greater"),
            f"needs main policy cpu-1x1 or cpu-1x1-ends with compare policy "
            f"all-rram or cpu-ends (this sweep: {', '.join(ctx.policies)})",
            None,
        )
    f = ctx.pareto_rate
    cpu = ctx.best_dropconnect(f)
    rram = cpu.replace(policy=other) if cpu else None
    test = (
        f"{ctx.main_policy} - {other}, drop-connect p={cpu.train_rate:g}"
        f"{ctx.recal_text(cpu)} at fault rate {f:g}"
        if cpu
        else ""
    )
    return make_finding(
        "DC-5", DC, claim, Rule("greater"), test, pair_arms(ctx, cpu, rram), OTHER_CELLS
    )


def dc_shortcuts(ctx: Context) -> Finding:
    claim = "3x3 shortcuts do about as well as 1x1 shortcuts on the CPU"
    one, three = ctx.model_with("shortcut", "1x1"), ctx.model_with("shortcut", "3x3")
    rule = Rule("within", 2.0)
    if not (one and three):
        return make_finding(
            "DC-6", DC, claim, rule, "needs ResNet-20 with 1x1 and with 3x3 shortcuts", None
        )
    f = ctx.top_rate
    a = ctx.best_dropconnect(f, model=three)
    b = a.replace(model=one) if a else None
    test = f"3x3 - 1x1 shortcuts at fault rate {f:g}" if a else ""
    return make_finding("DC-6", DC, claim, rule, test, pair_arms(ctx, a, b), OTHER_CELLS)


def dc_recalibration(ctx: Context) -> Finding:
    claim = (
        "Drop-connect training, not BatchNorm recalibration alone, carries the gain "
        "(the paper recalibrates only drop-connect models)"
    )
    f = ctx.top_rate
    dc = ctx.best_dropconnect(f, recal=True)
    std = ctx.standard(f, recal=True)
    raw = ctx.standard(f, recal=False)
    if not (dc and std and raw):
        return make_finding(
            "DC-7", DC, claim, Rule("greater"), "needs recalibration both on and off", None
        )
    test = f"drop-connect p={dc.train_rate:g} - standard, both recalibrated, at fault rate {f:g}"
    m_dc, m_std, m_raw = ctx.mean(dc), ctx.mean(std), ctx.mean(raw)
    note = ""
    if m_dc is not None and m_std is not None and m_raw is not None and m_dc != m_raw:
        share = (m_std - m_raw) / (m_dc - m_raw)
        note = (
            f"recalibrating the standard model alone buys {share:.0%} of the gain of "
            f"drop-connect + recalibration over the raw standard model "
            f"({m_raw:.1f} -> {m_std:.1f} vs {m_dc:.1f})"
        )
    return make_finding("DC-7", DC, claim, Rule("greater"), test, pair_arms(ctx, dc, std), note)


def stem_share(ctx: Context) -> Finding:
    claim = "Zero faults in the 144-weight single-channel stem alone cost accuracy"
    policy = "first-conv-rram"
    if policy not in ctx.policies:
        return make_finding(
            "STEM",
            STEM,
            claim,
            Rule("greater"),
            f"needs compare policy {policy} beside {ctx.main_policy}",
            None,
        )
    f = ctx.pareto_rate
    std = ctx.standard(f, recal=ctx.baseline_recal)
    stem = std.replace(policy=policy) if std else None
    clean = std.at(0.0) if std else None
    pair = pair_arms(ctx, clean, stem)
    every = "all-rram" if "all-rram" in ctx.policies else ctx.main_policy
    whole = pair_arms(ctx, clean, std.replace(policy=every) if std else None)
    note = OTHER_CELLS
    if pair and whole and pair[0] and whole[0] and whole[0].mean:
        note = (
            f"loss with faults on every {every} RRAM layer: {whole[0].mean:.1f} "
            f"[{whole[0].low:.1f}, {whole[0].high:.1f}]; the stem's share "
            f"{pair[0].mean / whole[0].mean:.0%}; input {ctx.input_text}"
        )
    test = (
        f"loss of the standard model{ctx.recal_text(std)} with faults on the stem only "
        f"(fault-free - {policy}) at fault rate {f:g}"
        if std
        else ""
    )
    return make_finding("STEM", STEM, claim, Rule("greater"), test, pair, note)
