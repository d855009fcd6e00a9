"""Evaluate the Fashion-MNIST experiment's checkpoints over simulated chips, and plot.

    python docs/experiment_eval.py eval --checkpoint CKPT --label NAME --fault-model dropconnect \
        --rates 0,0.05,0.1 --chips 30 --recal both --out docs/experiment/NAME.json
    python docs/experiment_eval.py plot --results docs/experiment --png docs/experiment.png
    python docs/experiment_eval.py table --results docs/experiment

`eval` uses the fault simulator's own Monte-Carlo (`archsim.faults.montecarlo.run_chips`): the
checkpoint's RRAM layers (its stored policy and overrides) are quantized to the hardware's
bits, chip i of seed 0 is drawn for each i < chips and swapped in, and accuracy is measured on
the LAST `--images` test images (disjoint from the first ones used for per-epoch validation).
Rate 0 has no faults, so one "chip" is evaluated there. `--recal off` uses the plain BatchNorm
statistics, `on` the set recalibrated for the chip's rate, `both` does both.
"""

import argparse
import json
from pathlib import Path

import torch

from archsim.atomic import atomic_write_text
from archsim.checkpoint import load_checkpoint
from archsim.data import get_dataset
from archsim.faults.chip import ChipDrawer
from archsim.faults.inject import FaultInjector
from archsim.faults.montecarlo import MonteCarloSpec, RunInfo, run_chips
from archsim.faults.presets import get_fault_model
from archsim.mapping.mapper import map_model


def evaluate(args: argparse.Namespace) -> None:
    model, meta, bn_sets = load_checkpoint(args.checkpoint)  # contiguous weights: the
    # injector indexes them flat (a channels-last model fails there at this commit)
    test = get_dataset(meta["dataset"], "test", args.data_dir)
    images = test.images[-args.images:].contiguous(memory_format=torch.channels_last)
    labels = test.labels[-args.images:]
    shape = tuple(meta["input_shape"])
    mapping = map_model(model, shape, meta["hardware"], policy=meta["policy"],
                        overrides=meta["overrides"], model_name=meta["net"],
                        width=float(meta["width"]))
    info = RunInfo(meta["net"], float(meta["width"]), meta["dataset"], meta["hardware"],
                   meta["policy"], mapping.weight_bits, False, str(args.checkpoint))
    injector = FaultInjector(model, mapping)
    drawer = ChipDrawer(injector.sites, get_fault_model(args.fault_model),
                        mapping.crossbar_rows, mapping.crossbar_cols)
    modes = {"off": [False], "on": [True], "both": [False, True]}[args.recal]
    rows = []
    for rate in (float(r) for r in args.rates.split(",")):
        for recal in modes:
            mc = MonteCarloSpec(chips=1 if rate == 0 else args.chips, seed=0, progress=False)
            res = run_chips(injector, drawer, rate, images, labels, mc, info,
                            bn_sets=bn_sets if recal else None)
            s = res.summary
            rows.append({"label": args.label, "fault_model": args.fault_model, "rate": rate,
                         "recal": recal, "bn_set": res.bn_set, "chips": res.chips,
                         "mean": s.mean, "std": s.std, "ci_low": s.ci_low,
                         "ci_high": s.ci_high, "p5": s.p5, "p95": s.p95,
                         "per_chip": list(res.per_chip)})
            print(f"{args.label} {args.fault_model} rate {rate:g} recal {'on' if recal else 'off'}"
                  f": {s.mean:.2f} +- {s.std or 0:.2f} ({res.chips} chips)", flush=True)
    out = {"checkpoint": str(args.checkpoint), "label": args.label, "images": len(labels),
           "curves": meta["curves"], "spec": meta["spec"], "rows": rows}
    atomic_write_text(args.out, json.dumps(out, indent=1))


def plot(args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = {p.stem: json.loads(p.read_text()) for p in sorted(Path(args.results).glob("*.json"))}
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.8))
    ax = axes[0]
    for label, style in (("standard", "tab:blue"), ("dropconnect", "tab:red")):
        for recal, dash in ((False, "--"), (True, "-")):
            rows = [r for r in runs[label]["rows"] if r["recal"] == recal]
            ax.errorbar([r["rate"] for r in rows], [r["mean"] for r in rows],
                        yerr=[r["std"] or 0 for r in rows], color=style, linestyle=dash,
                        marker="o", capsize=3,
                        label=f"{label}, BN recalibration {'on' if recal else 'off'}")
    ax.set(xlabel="fault rate (weights forced to 0)", ylabel="test accuracy (%)",
           title="drop-connect fault model, mean +- sd over chips", ylim=(0, 100))
    ax.legend(fontsize=8)
    ax = axes[1]
    for label, color in (("baseline", "tab:blue"), ("oneshot", "tab:green"),
                         ("progressive", "tab:purple")):
        rows = [r for r in runs[label]["rows"] if r["rate"] > 0]
        ax.errorbar([r["rate"] for r in rows], [r["mean"] for r in rows],
                    yerr=[r["std"] or 0 for r in rows], color=color, marker="o", capsize=3,
                    label=label)
    sft_rates = [r["rate"] for r in runs["baseline"]["rows"] if r["rate"] > 0]
    ax.set(xscale="log", xlabel="stuck-at fault rate (stuck-off : stuck-on = 1.75 : 9.04)",
           ylabel="test accuracy (%)", title="sft fault model, mean +- sd over chips",
           ylim=(0, 100))
    ax.set_xticks(sft_rates, [f"{r:g}" for r in sft_rates])
    ax.minorticks_off()
    ax.legend(fontsize=8)
    ax = axes[2]
    colors = {"standard": "tab:blue", "dropconnect": "tab:red", "oneshot": "tab:green",
              "progressive": "tab:purple"}
    for label, color in colors.items():
        curves = runs[label]["curves"]
        offset = 0 if label in ("standard", "dropconnect") else len(runs["standard"]["curves"])
        epochs = [offset + c["epoch"] + 1 for c in curves]
        ax.plot(epochs, [c["val_acc"] for c in curves], color=color, marker="o",
                label=f"{label} fault-free")
        ax.plot(epochs, [sum(c["chip_accs"]) / len(c["chip_accs"]) for c in curves],
                color=color, linestyle=":", marker="x",
                label=f"{label} {len(curves[0]['chip_accs'])} chips @ {curves[0]['val_rate']:g}")
    ax.set(xlabel="epoch (fine-tuning continues the standard run)",
           ylabel="validation accuracy (%)", title="per-epoch validation", ylim=(0, 100))
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.png, dpi=110)
    print(f"wrote {args.png}")


def _paired(a: dict, b: dict) -> str:
    """Mean and standard error of the per-chip difference a - b (the same chips)."""
    d = [x - y for x, y in zip(a["per_chip"], b["per_chip"], strict=True)]
    if len(d) < 2:
        return f"{d[0]:+.2f}"
    mean = sum(d) / len(d)
    se = (sum((x - mean) ** 2 for x in d) / (len(d) - 1) / len(d)) ** 0.5
    return f"{mean:+.2f} ± {se:.2f}"


def table(args: argparse.Namespace) -> None:
    """Markdown tables of the results (mean ± sd over chips), paired differences, SS."""
    runs = {p.stem: json.loads(p.read_text()) for p in sorted(Path(args.results).glob("*.json"))}

    def cell(r: dict) -> str:
        return f"{r['mean']:.2f}" if r["std"] is None else f"{r['mean']:.2f} ± {r['std']:.2f}"

    def rows(label: str, recal: bool) -> dict[float, dict]:
        return {r["rate"]: r for r in runs[label]["rows"] if r["recal"] == recal}

    cols = [("standard", False), ("standard", True), ("dropconnect", False),
            ("dropconnect", True)]
    print("| fault rate | " + " | ".join(f"{m}, recal {'on' if c else 'off'}" for m, c in cols)
          + " | drop-connect - standard (recal on, paired) |")
    print("|---" * (len(cols) + 2) + "|")
    for rate in sorted(rows("standard", False)):
        cells = [cell(rows(m, c)[rate]) for m, c in cols]
        diff = _paired(rows("dropconnect", True)[rate], rows("standard", True)[rate])
        print(f"| {rate:g} | " + " | ".join(cells) + f" | {diff} |")
    print()
    labels = ("baseline", "oneshot", "progressive")
    base = rows("baseline", False)
    pre = base[0.0]["mean"]
    print("| sft fault rate | " + " | ".join(labels) + " | one-shot - progressive (paired) "
          "| SS baseline / one-shot / progressive |")
    print("|---" * (len(labels) + 3) + "|")
    for rate in sorted(base):
        r = {m: rows(m, False)[rate] for m in labels}
        ss = " / ".join(
            f"{rows(m, False)[0.0]['mean'] / (pre - r[m]['mean']):.2f}"
            if rate > 0 and pre > r[m]["mean"] else "-" for m in labels)
        print(f"| {rate:g} | " + " | ".join(cell(r[m]) for m in labels)
              + f" | {_paired(r['oneshot'], r['progressive'])} | {ss} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("eval")
    ev.add_argument("--checkpoint", required=True)
    ev.add_argument("--label", required=True)
    ev.add_argument("--fault-model", default="dropconnect")
    ev.add_argument("--rates", required=True)
    ev.add_argument("--chips", type=int, default=30)
    ev.add_argument("--images", type=int, default=1000)
    ev.add_argument("--recal", choices=("off", "on", "both"), default="off")
    ev.add_argument("--data-dir")
    ev.add_argument("--out", required=True)
    pl = sub.add_parser("plot")
    pl.add_argument("--results", required=True)
    pl.add_argument("--png", required=True)
    tb = sub.add_parser("table")
    tb.add_argument("--results", required=True)
    args = parser.parse_args()
    {"eval": evaluate, "plot": plot, "table": table}[args.command](args)


if __name__ == "__main__":
    main()
