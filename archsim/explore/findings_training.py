"""The stochastic-training paper's findings and the linear-bottleneck study's."""

from __future__ import annotations

from archsim.explore.finding import (
    LB,
    OTHER_CELLS,
    SFT,
    Finding,
    make_finding,
    pair_arms,
    paired_series,
)
from archsim.explore.findings_data import Context
from archsim.explore.verdict import Rule
from archsim.faults.metrics import stability_score


def sft_progressive(ctx: Context) -> Finding:
    claim = "Progressive training beats one-shot at the higher fault rates"
    r, f = ctx.top_sft_rate, ctx.top_rate
    prog, one = ctx.sft_model("progressive", r, f), ctx.sft_model("oneshot", r, f)
    test = (
        f"progressive - one-shot (target {r:g}) at fault rate {f:g}"
        if r
        else ("needs one-shot and progressive training")
    )
    return make_finding("SFT-1", SFT, claim, Rule("greater"), test, pair_arms(ctx, prog, one))


def sft_collapse(ctx: Context) -> Finding:
    claim = "The baseline collapses at 1-2% stuck-at faults (mostly stuck-on)"
    f = ctx.low_rate
    rule = Rule("less", -10.0)
    std = ctx.standard(f, recal=ctx.baseline_recal) if f else None
    if std is None or ctx.spec.faults.model == "dropconnect":
        return make_finding(
            "SFT-2",
            SFT,
            claim,
            rule,
            "needs the sft (stuck-on) fault model at rates 0.01-0.02",
            None,
        )
    test = f"standard at fault rate {f:g} - fault-free (collapse: more than 10 points lost)"
    return make_finding("SFT-2", SFT, claim, rule, test, pair_arms(ctx, std, std.at(0.0)))


def sft_stuck_on(ctx: Context) -> Finding:
    claim = "Stuck-on faults are far more harmful than stuck-off faults"
    off, on = ctx.pure_fault_models()
    f = ctx.pareto_rate
    if not (off and on):
        return make_finding(
            "SFT-3",
            SFT,
            claim,
            Rule("greater"),
            "needs a stuck-off-only and a stuck-on-only fault model (faults.model "
            "and faults.compare_models, e.g. dropconnect and stuck-on)",
            None,
        )
    test = f"raw standard model, stuck-off only ({off}) - stuck-on only ({on}) at fault rate {f:g}"
    return make_finding(
        "SFT-3",
        SFT,
        claim,
        Rule("greater"),
        test,
        paired_series(ctx.under(off, f), ctx.under(on, f)),
    )


def sft_pruned(ctx: Context) -> Finding:
    claim = "Pruned models (magnitude, ADMM) are less tolerant than dense ones"
    f, prunes = ctx.low_rate, ctx.spec.training.prune
    if not prunes or not f or ctx.spec.faults.model == "dropconnect":
        return make_finding(
            "SFT-4", SFT, claim, Rule("less"), "needs a pruned model and the sft fault model", None
        )
    dense = ctx.standard(f, recal=ctx.baseline_recal)
    pruned = dense.replace(prune=prunes[0].name) if dense else None
    if not (dense and pruned):
        return make_finding("SFT-4", SFT, claim, Rule("less"), "", None)
    # loss_dense - loss_pruned = (clean_d + acc_p) - (clean_p + acc_d), chip by chip
    first = ctx.combine(dense.at(0.0), pruned)
    second = ctx.combine(pruned.at(0.0), dense)
    test = (
        f"accuracy lost at fault rate {f:g}: dense - {prunes[0].name} (both standard "
        "training); the accuracies shown are the two losses"
    )
    pair = paired_series(first, second)
    losses = [ctx.loss(dense), ctx.loss(pruned)]
    if pair and losses[0] is not None and losses[1] is not None:
        pair = (pair[0], (losses[0], losses[1]))
    return make_finding("SFT-4", SFT, claim, Rule("less"), test, pair)


def sft_stability(ctx: Context) -> Finding:
    claim = "Fault-aware training raises the Stability Score over the baseline"
    f, r = ctx.low_rate, ctx.top_sft_rate
    model = (ctx.sft_model("progressive", r, f) or ctx.sft_model("oneshot", r, f)) if r else None
    base = ctx.standard(f, recal=ctx.baseline_recal) if f else None
    if not (model and base):
        return make_finding(
            "SFT-5",
            SFT,
            claim,
            Rule("greater"),
            "needs stochastic fault training and the baseline",
            None,
        )
    means = [ctx.mean(a) for a in (model.at(0.0), base.at(0.0), model, base)]
    note = ""
    known = [m for m in means if m is not None]
    if len(known) == len(means):
        ss = [stability_score(known[i], known[1], known[i + 2]) for i in (0, 1)]
        note = f"SS at {f:g}: {model.method} {ss[0]:.2f}, baseline {ss[1]:.2f}"
    test = f"{model.method} (target {r:g}) - baseline at fault rate {f:g} (accuracy)"
    return make_finding(
        "SFT-5", SFT, claim, Rule("greater"), test, pair_arms(ctx, model, base), note
    )


def lb_tolerance(ctx: Context) -> Finding:
    claim = "Linear bottlenecks give no special fault tolerance"
    rule = Rule("less", 2.0)
    plain, lb = ctx.model_of("resnet20"), ctx.model_of("resnet20-bottleneck")
    if not (plain and lb):
        return make_finding(
            "LB-1", LB, claim, rule, "needs ResNet-20 with and without linear bottlenecks", None
        )
    f = ctx.top_rate
    a = ctx.best_dropconnect(f, model=lb)
    b = a.replace(model=plain) if a else None
    test = (
        f"{lb} - {plain}, drop-connect p={a.train_rate:g} at fault rate {f:g} "
        "(no special tolerance: not 2 points better)"
        if a
        else ""
    )
    return make_finding("LB-1", LB, claim, rule, test, pair_arms(ctx, a, b), OTHER_CELLS)


def lb_fluctuation(ctx: Context) -> Finding:
    claim = "Accuracy per epoch on faulty chips fluctuates under drop-connect"
    steps = ctx.epoch_steps()
    if steps is None:
        return make_finding(
            "LB-2",
            LB,
            claim,
            Rule("greater"),
            "needs per-epoch validation on faulty chips, standard and drop-connect, "
            "at the same rate, over 3+ epochs",
            None,
        )
    first, second, text = steps
    return make_finding(
        "LB-2",
        LB,
        claim,
        Rule("greater"),
        text,
        paired_series(first, second),
        "pairs are epoch steps of the same net and seed on the same validation chips and images",
    )
