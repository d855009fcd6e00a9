"""The three papers' findings, each tested on a sweep's stored results (the findings page).

One `Finding` per claim, always: a claim whose models, rates or placements the sweep did not
run says "not in this sweep" and what it would need, rather than vanishing. Every effect is
paired (`verdict.paired_effect`): the two accuracies come from evaluations on the same chips
(chip i of the sweep's chip seed) and the same test images, per training seed. Where the two
models have different crossbar layouts (another width, net or placement), chip i is the same
seed but not the same cells, so only the images and the chip stream are shared; the note says so.

Settings picked from a grid: the first model listed (at the smallest width), the top fault
rate, the best drop rate at that rate (the highest mean over chips and seeds), recalibration
on for drop-connect models and off for the standard baseline where both were run (the
drop-connect paper's setting).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from archsim.explore.findings_data import Arm, Context
from archsim.explore.verdict import Effect, Rule, paired_effect, verdict
from archsim.faults.metrics import stability_score

DC, SFT, LB, STEM = ("drop-connect paper", "stochastic-training paper",
                     "linear-bottleneck study", "input handling")
OTHER_CELLS = "different crossbar layouts: same chip seeds and images, not the same cells"


@dataclass(frozen=True)
class Finding:
    key: str
    source: str
    claim: str  # the paper's own claim
    rule: Rule
    test: str  # what was compared, or what the sweep would need
    effect: Effect | None
    means: tuple[float, float] | None  # the two compared accuracies (pooled means)
    verdict: str
    note: str = ""


Pair = tuple[Effect | None, tuple[float, float] | None] | None


def _finding(key: str, source: str, claim: str, rule: Rule, test: str, pair: Pair,
             note: str = "") -> Finding:
    effect, means = pair if pair else (None, None)
    if not test:  # the spec asks for it, the store does not hold it
        test = "its evaluations are not in the store (an unfinished sweep?)"
    return Finding(key, source, claim, rule, test, effect, means, verdict(effect, rule), note)


def _paired(first: dict[int, np.ndarray], second: dict[int, np.ndarray]) -> Pair:
    seeds = sorted(set(first) & set(second))
    if not seeds:
        return None
    a, b = [list(first[s]) for s in seeds], [list(second[s]) for s in seeds]
    effect = paired_effect(a, b)
    if effect is None:
        return None
    return effect, (float(np.mean([np.mean(x) for x in a])),
                    float(np.mean([np.mean(x) for x in b])))


def _pair(ctx: Context, first: Arm | None, second: Arm | None) -> Pair:
    if first is None or second is None:
        return None
    return _paired(ctx.series(first), ctx.series(second))


def dc_collapse(ctx: Context) -> Finding:
    claim = "A standard model collapses under zero faults; a drop-connect model keeps accuracy"
    dc, f = ctx.best_dropconnect(ctx.top_rate), ctx.top_rate
    std = ctx.standard(f, recal=ctx.baseline_recal)
    test = (f"drop-connect p={dc.train_rate:g}{ctx.recal_text(dc)} - standard"
            f"{ctx.recal_text(std)} at fault rate {f:g}" if dc and std else
            "needs standard and drop-connect training at a nonzero fault rate")
    return _finding("DC-1", DC, claim, Rule("greater"), test, _pair(ctx, dc, std))


def dc_small_loss(ctx: Context) -> Finding:
    claim = "Drop-connect loses under 1% accuracy up to 30% faults (abstract)"
    f = ctx.top_rate
    dc = ctx.best_dropconnect(f)
    clean = dc.at(0.0) if dc else None
    test = (f"drop-connect p={dc.train_rate:g}{ctx.recal_text(dc)} at fault rate {f:g} - "
            "fault-free" if dc else "needs drop-connect training")
    return _finding("DC-2", DC, claim, Rule("greater", -1.0), test, _pair(ctx, dc, clean))


def dc_rate_above_fault(ctx: Context) -> Finding:
    claim = "The best drop rate exceeds the fault rate"
    for f in ctx.fault_rates:
        above = ctx.best_dropconnect(f, f.__lt__)  # drop rates p with f < p
        below = ctx.best_dropconnect(f, f.__ge__, with_standard=True)  # p <= f
        if above and below:
            test = (f"best p > f (p={above.train_rate:g}) - best p <= f "
                    f"(p={below.train_rate:g}) at fault rate {f:g}{ctx.recal_text(above)}")
            return _finding("DC-3", DC, claim, Rule("greater"), test, _pair(ctx, above, below))
    return _finding("DC-3", DC, claim, Rule("greater"),
                    "needs drop rates both above and at or below a test fault rate", None)


def dc_widening(ctx: Context) -> Finding:
    claim = "Widening buys accuracy under faults, at a throughput and energy cost"
    widths = ctx.spec.widths
    if len(widths) < 2:
        return _finding("DC-4", DC, claim, Rule("greater"),
                        "needs two or more widths (this sweep: one)", None)
    f = ctx.top_rate
    narrow = ctx.best_dropconnect(f)
    wide = narrow.replace(width=max(widths)) if narrow else None
    test = (f"width {max(widths):g} - width {min(widths):g}, drop-connect "
            f"p={narrow.train_rate:g} at fault rate {f:g}" if narrow else "")
    cost = ctx.cost_ratio(min(widths), max(widths))
    return _finding("DC-4", DC, claim, Rule("greater"), test, _pair(ctx, wide, narrow),
                    "; ".join(x for x in (cost, OTHER_CELLS) if x))


# The placement that differs from the main one only in putting the 1x1 convs on RRAM.
ONE_BY_ONE_ON_RRAM = {"cpu-1x1": "all-rram", "cpu-1x1-ends": "cpu-ends"}


def dc_pointwise_on_rram(ctx: Context) -> Finding:
    claim = "1x1 layers on faulty RRAM hurt far more than on the CPU"
    other = ONE_BY_ONE_ON_RRAM.get(ctx.main_policy, "")
    if other not in ctx.policies:
        return _finding("DC-5", DC, claim, Rule("greater"),
                        f"needs main policy cpu-1x1 or cpu-1x1-ends with compare policy "
                        f"all-rram or cpu-ends (this sweep: {', '.join(ctx.policies)})", None)
    f = ctx.pareto_rate
    cpu = ctx.best_dropconnect(f)
    rram = cpu.replace(policy=other) if cpu else None
    test = (f"{ctx.main_policy} - {other}, drop-connect p={cpu.train_rate:g}"
            f"{ctx.recal_text(cpu)} at fault rate {f:g}" if cpu else "")
    return _finding("DC-5", DC, claim, Rule("greater"), test, _pair(ctx, cpu, rram),
                    OTHER_CELLS)


def dc_shortcuts(ctx: Context) -> Finding:
    claim = "3x3 shortcuts do about as well as 1x1 shortcuts on the CPU"
    one, three = ctx.model_with("shortcut", "1x1"), ctx.model_with("shortcut", "3x3")
    rule = Rule("within", 2.0)
    if not (one and three):
        return _finding("DC-6", DC, claim, rule,
                        "needs ResNet-20 with 1x1 and with 3x3 shortcuts", None)
    f = ctx.top_rate
    a = ctx.best_dropconnect(f, model=three)
    b = a.replace(model=one) if a else None
    test = f"3x3 - 1x1 shortcuts at fault rate {f:g}" if a else ""
    return _finding("DC-6", DC, claim, rule, test, _pair(ctx, a, b), OTHER_CELLS)


def dc_recalibration(ctx: Context) -> Finding:
    claim = ("Drop-connect training, not BatchNorm recalibration alone, carries the gain "
             "(the paper recalibrates only drop-connect models)")
    f = ctx.top_rate
    dc = ctx.best_dropconnect(f, recal=True)
    std = ctx.standard(f, recal=True)
    raw = ctx.standard(f, recal=False)
    if not (dc and std and raw):
        return _finding("DC-7", DC, claim, Rule("greater"),
                        "needs recalibration both on and off", None)
    test = (f"drop-connect p={dc.train_rate:g} - standard, both recalibrated, at fault rate "
            f"{f:g}")
    m_dc, m_std, m_raw = ctx.mean(dc), ctx.mean(std), ctx.mean(raw)
    note = ""
    if m_dc is not None and m_std is not None and m_raw is not None and m_dc != m_raw:
        share = (m_std - m_raw) / (m_dc - m_raw)
        note = (f"recalibrating the standard model alone buys {share:.0%} of the gain of "
                f"drop-connect + recalibration over the raw standard model "
                f"({m_raw:.1f} -> {m_std:.1f} vs {m_dc:.1f})")
    return _finding("DC-7", DC, claim, Rule("greater"), test, _pair(ctx, dc, std), note)


def stem_share(ctx: Context) -> Finding:
    claim = ("Independent check: zero faults in the single-channel stem alone cost 7-20 "
             "points at 5-10%")
    policy = "first-conv-rram"
    if policy not in ctx.policies:
        return _finding("STEM", STEM, claim, Rule("greater"),
                        f"needs compare policy {policy} beside {ctx.main_policy}", None)
    f = ctx.pareto_rate
    std = ctx.standard(f, recal=ctx.baseline_recal)
    stem = std.replace(policy=policy) if std else None
    clean = std.at(0.0) if std else None
    pair = _pair(ctx, clean, stem)
    every = "all-rram" if "all-rram" in ctx.policies else ctx.main_policy
    whole = _pair(ctx, clean, std.replace(policy=every) if std else None)
    note = OTHER_CELLS
    if pair and whole and pair[0] and whole[0] and whole[0].mean:
        note = (f"loss with faults on every {every} RRAM layer: {whole[0].mean:.1f} "
                f"[{whole[0].low:.1f}, {whole[0].high:.1f}]; the stem's share "
                f"{pair[0].mean / whole[0].mean:.0%}; input {ctx.input_text}")
    test = (f"loss of the standard model{ctx.recal_text(std)} with faults on the stem only "
            f"(fault-free - {policy}) at fault rate {f:g}" if std else "")
    return _finding("STEM", STEM, claim, Rule("greater"), test, pair, note)


def sft_progressive(ctx: Context) -> Finding:
    claim = "Progressive training beats one-shot at the higher fault rates"
    r, f = ctx.top_sft_rate, ctx.top_rate
    prog, one = ctx.sft_model("progressive", r, f), ctx.sft_model("oneshot", r, f)
    test = f"progressive - one-shot (target {r:g}) at fault rate {f:g}" if r else (
        "needs one-shot and progressive training")
    return _finding("SFT-1", SFT, claim, Rule("greater"), test, _pair(ctx, prog, one))


def sft_collapse(ctx: Context) -> Finding:
    claim = "The baseline collapses at 1-2% stuck-at faults (mostly stuck-on)"
    f = ctx.low_rate
    rule = Rule("less", -10.0)
    std = ctx.standard(f, recal=ctx.baseline_recal) if f else None
    if std is None or ctx.spec.faults.model == "dropconnect":
        return _finding("SFT-2", SFT, claim, rule,
                        "needs the sft (stuck-on) fault model at rates 0.01-0.02", None)
    test = f"standard at fault rate {f:g} - fault-free (collapse: more than 10 points lost)"
    return _finding("SFT-2", SFT, claim, rule, test, _pair(ctx, std, std.at(0.0)))


def sft_stuck_on(ctx: Context) -> Finding:
    claim = "Stuck-on faults are far more harmful than stuck-off faults"
    off, on = ctx.pure_fault_models()
    f = ctx.pareto_rate
    if not (off and on):
        return _finding("SFT-3", SFT, claim, Rule("greater"),
                        "needs a stuck-off-only and a stuck-on-only fault model (faults.model "
                        "and faults.compare_models, e.g. dropconnect and stuck-on)", None)
    test = (f"raw standard model, stuck-off only ({off}) - stuck-on only ({on}) at fault rate "
            f"{f:g}")
    return _finding("SFT-3", SFT, claim, Rule("greater"), test,
                    _paired(ctx.under(off, f), ctx.under(on, f)))


def sft_pruned(ctx: Context) -> Finding:
    claim = "Pruned models (magnitude, ADMM) are less tolerant than dense ones"
    f, prunes = ctx.low_rate, ctx.spec.training.prune
    if not prunes or not f or ctx.spec.faults.model == "dropconnect":
        return _finding("SFT-4", SFT, claim, Rule("less"),
                        "needs a pruned model and the sft fault model", None)
    dense = ctx.standard(f, recal=ctx.baseline_recal)
    pruned = dense.replace(prune=prunes[0].name) if dense else None
    if not (dense and pruned):
        return _finding("SFT-4", SFT, claim, Rule("less"), "", None)
    # loss_dense - loss_pruned = (clean_d + acc_p) - (clean_p + acc_d), chip by chip
    first = ctx.combine(dense.at(0.0), pruned)
    second = ctx.combine(pruned.at(0.0), dense)
    test = (f"accuracy lost at fault rate {f:g}: dense - {prunes[0].name} (both standard "
            "training); the accuracies shown are the two losses")
    pair = _paired(first, second)
    losses = [ctx.loss(dense), ctx.loss(pruned)]
    if pair and losses[0] is not None and losses[1] is not None:
        pair = (pair[0], (losses[0], losses[1]))
    return _finding("SFT-4", SFT, claim, Rule("less"), test, pair)


def sft_stability(ctx: Context) -> Finding:
    claim = "Fault-aware training raises the Stability Score over the baseline"
    f, r = ctx.low_rate, ctx.top_sft_rate
    model = (ctx.sft_model("progressive", r, f) or ctx.sft_model("oneshot", r, f)) if r else None
    base = ctx.standard(f, recal=ctx.baseline_recal) if f else None
    if not (model and base):
        return _finding("SFT-5", SFT, claim, Rule("greater"),
                        "needs stochastic fault training and the baseline", None)
    means = [ctx.mean(a) for a in (model.at(0.0), base.at(0.0), model, base)]
    note = ""
    known = [m for m in means if m is not None]
    if len(known) == len(means):
        ss = [stability_score(known[i], known[1], known[i + 2]) for i in (0, 1)]
        note = f"SS at {f:g}: {model.method} {ss[0]:.2f}, baseline {ss[1]:.2f}"
    test = f"{model.method} (target {r:g}) - baseline at fault rate {f:g} (accuracy)"
    return _finding("SFT-5", SFT, claim, Rule("greater"), test, _pair(ctx, model, base), note)


def lb_tolerance(ctx: Context) -> Finding:
    claim = "Linear bottlenecks give no special fault tolerance"
    rule = Rule("less", 2.0)
    plain, lb = ctx.model_of("resnet20"), ctx.model_of("resnet20-bottleneck")
    if not (plain and lb):
        return _finding("LB-1", LB, claim, rule,
                        "needs ResNet-20 with and without linear bottlenecks", None)
    f = ctx.top_rate
    a = ctx.best_dropconnect(f, model=lb)
    b = a.replace(model=plain) if a else None
    test = (f"{lb} - {plain}, drop-connect p={a.train_rate:g} at fault rate {f:g} "
            "(no special tolerance: not 2 points better)" if a else "")
    return _finding("LB-1", LB, claim, rule, test, _pair(ctx, a, b), OTHER_CELLS)


def lb_fluctuation(ctx: Context) -> Finding:
    claim = "Accuracy per epoch on faulty chips fluctuates under drop-connect"
    steps = ctx.epoch_steps()
    if steps is None:
        return _finding("LB-2", LB, claim, Rule("greater"),
                        "needs per-epoch validation on faulty chips, standard and drop-connect, "
                        "at the same rate, over 3+ epochs", None)
    first, second, text = steps
    return _finding("LB-2", LB, claim, Rule("greater"), text, _paired(first, second),
                    "pairs are epoch steps of the same net and seed on the same validation "
                    "chips and images")


BUILDERS: tuple[Callable[[Context], Finding], ...] = (
    dc_collapse, dc_small_loss, dc_rate_above_fault, dc_widening, dc_pointwise_on_rram,
    dc_shortcuts, dc_recalibration, sft_progressive, sft_collapse, sft_stuck_on, sft_pruned,
    sft_stability, lb_tolerance, lb_fluctuation, stem_share,
)


def findings(data: Any) -> list[Finding]:
    """Every finding, tested on `data` (a `results.SweepData`)."""
    ctx = Context(data)
    return [build(ctx) for build in BUILDERS]


FINDING_COLUMNS = ("key", "source", "claim", "rule", "test", "first", "second", "effect",
                   "ci_low", "ci_high", "pairs", "seeds", "chip_sd", "seed_sd", "verdict", "note")


def finding_rows(data: Any) -> list[dict[str, Any]]:
    """The findings as flat rows (the CSV export and docs)."""
    out = []
    for f in findings(data):
        e = f.effect
        out.append({"key": f.key, "source": f.source, "claim": f.claim, "rule": f.rule.text(),
                    "test": f.test, "first": f.means[0] if f.means else None,
                    "second": f.means[1] if f.means else None,
                    "effect": e.mean if e else None, "ci_low": e.low if e else None,
                    "ci_high": e.high if e else None, "pairs": e.chips if e else None,
                    "seeds": len(e.seed_means) if e else None,
                    "chip_sd": e.chip_sd if e else None, "seed_sd": e.seed_sd if e else None,
                    "verdict": f.verdict, "note": f.note})
    return out
