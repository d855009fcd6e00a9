#!/usr/bin/env bash
# Reproduces the seed study of docs/findings.md with archsim commands only: the standard
# ResNet-20 (option A shortcuts, every conv and the classifier on RRAM, 8-bit weights on
# isaac-8bit-1cell) trained with several seeds on a Fashion-MNIST subset padded to 32x32, then
# per training its stuck-on and stuck-off curves (mean, std, worst chip) on the same chips, and
# per layer how far max|w| (what a stuck-on weight reads) sits above the layer's typical weight.
#
#   sudo apt-get install -y dataset-fashion-mnist     # once: /usr/share/datasets/fashion-mnist
#   nohup nice -n 15 docs/run_seed_study.sh > docs/seed-study/run.log 2>&1 &
#
# Every size is a variable, so a tiny run checks the commands in minutes, e.g.
#   DATASET=digits PAD=0 LIMIT=256 VAL=100 EPOCHS=1 SEEDS="0 1 2" CHIPS=2 IMAGES=100 \
#     IMAGES_OFF=100 SKIP=100 OUT=/tmp/seeds MODELS=/tmp/seeds/models docs/run_seed_study.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1   # one thread per job
ARCHSIM=${ARCHSIM:-.venv/bin/archsim}
PYTHON=${PYTHON:-.venv/bin/python}
DATASET=${DATASET:-fashion-mnist}
PAD=${PAD:-32}               # zero-pad the 28x28 images to 32x32 (0: as stored)
LIMIT=${LIMIT:-4000}         # training images, drawn at random by --subset-seed 1234
VAL=${VAL:-500}              # validation images (reported only, never used to pick a model)
EPOCHS=${EPOCHS:-2}
SEEDS=${SEEDS:-"0 1 2 3 4 5 6 7"}   # training seeds: initial weights and data order
JOBS=${JOBS:-4}              # trainings / evaluations at a time
RATES=${RATES:-0.005,0.01,0.02,0.05}
CHIPS=${CHIPS:-10}           # chips per rate: chip i is the same fault map for every training
SKIP=${SKIP:-9000}           # evaluation on test images SKIP+1 .. SKIP+IMAGES
IMAGES=${IMAGES:-500}        # stuck-on: every chip on every one of these images
IMAGES_OFF=${IMAGES_OFF:-250}  # stuck-off (harmless at these rates): fewer images
OUT=${OUT:-docs/seed-study}
MODELS=${MODELS:-models/seed-study}   # weights stay untracked (.gitignore)
mkdir -p "$MODELS" "$OUT"
PADARG=()
if [ "$PAD" != 0 ]; then PADARG=(--pad-to "$PAD"); fi

one_seed() {
    local seed=$1 ckpt=$MODELS/seed$1/resnet20-w1-$DATASET-standard.safetensors
    # a finished step (its output written) is not run again: an interrupted study resumes
    if [ ! -s "$OUT/train-seed$seed.json" ] || [ ! -s "$ckpt" ]; then
        $ARCHSIM train --model resnet20 --option shortcut=A --dataset "$DATASET" \
            "${PADARG[@]}" --limit "$LIMIT" --val-limit "$VAL" --subset-seed 1234 \
            --epochs "$EPOCHS" --batch-size 64 --lr 0.05 --schedule cosine --policy all-rram \
            --hw isaac-8bit-1cell --val-chips 0 --seed "$seed" --out "$MODELS/seed$seed" \
            --no-progress --threads 1 --format json > "$OUT/train-seed$seed.json.part"
        mv "$OUT/train-seed$seed.json.part" "$OUT/train-seed$seed.json"
    fi
    # training BatchNorm statistics (--no-bn-sets), quantized weights (--no-crossbar)
    for fm in stuck-on dropconnect; do
        local n=$IMAGES
        if [ "$fm" = dropconnect ]; then n=$IMAGES_OFF; fi
        if [ -s "$OUT/$fm-seed$seed.json" ]; then continue; fi
        $ARCHSIM evaluate --checkpoint "$ckpt" --fault-model "$fm" --fault-rate "$RATES" \
            --chips "$CHIPS" --skip "$SKIP" --limit "$n" --no-crossbar --no-bn-sets \
            --no-progress --threads 1 --format json > "$OUT/$fm-seed$seed.json.part"
        mv "$OUT/$fm-seed$seed.json.part" "$OUT/$fm-seed$seed.json"
    done
}

echo "== $(date -u +%T) seeds $SEEDS: $LIMIT images x $EPOCHS epochs each, $JOBS at a time"
running=0
for seed in $SEEDS; do
    one_seed "$seed" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait

# The table and the predictor from the JSON and the checkpoints: per layer (every conv and
# the fc), max|w| over the 99th percentile of |w| and over the std of w; per training the
# largest of these over the layers and the stem's, and their Pearson correlation with the
# mean stuck-on accuracy across the trainings.
$PYTHON - "$OUT" "$MODELS" "$DATASET" "$SEEDS" > "$OUT/tables.md" <<'EOF'
import json, statistics, sys
import numpy as np
import torch
from scipy import stats
from safetensors.torch import load_file
out, models, dataset, seeds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split()
def rows(fm, seed):
    doc = json.load(open(f"{out}/{fm}-seed{seed}.json"))
    return {r["rate"]: r for r in doc["rows"]}, doc["per_chip"]
def ratios(seed):
    sd = load_file(f"{models}/seed{seed}/resnet20-w1-{dataset}-standard.safetensors")
    res = {}
    for name, w in sd.items():
        if name.endswith(".weight") and w.dim() >= 2:
            a = w.abs().flatten().double()
            res[name[: -len(".weight")]] = (
                float(a.max() / torch.quantile(a, 0.99)), float(a.max() / w.double().std()))
    return res
def pearson(x, y):
    return statistics.correlation(x, y) if len(x) > 2 else float("nan")
def p_value(x, y):
    return stats.pearsonr(x, y)[1] if len(x) > 2 else float("nan")
train = {s: json.load(open(f"{out}/train-seed{s}.json")) for s in seeds}
son = {s: rows("stuck-on", s) for s in seeds}
soff = {s: rows("dropconnect", s) for s in seeds}
rates = sorted(son[seeds[0]][0])
print("| seed | quant. 0 % | " + " | ".join(f"stuck-on {r:g}" for r in rates)
      + " | " + " | ".join(f"stuck-off {r:g}" for r in rates) + " |")
print("|---" * (2 + 2 * len(rates)) + "|")
def cell(entry, rate):
    r, chips = entry[0][rate], entry[1][str(rate)]
    return f"{r['mean']:.1f} ± {r['std']:.1f} (worst {min(chips):.1f})"
for s in seeds:
    q0 = son[s][0][rates[0]]["quant_acc_train_bn"]
    print(f"| {s} | {q0:.1f} | " + " | ".join(cell(son[s], r) for r in rates) + " | "
          + " | ".join(cell(soff[s], r) for r in rates) + " |")
print()
print("Across the trainings (mean ± std of the per-training chip means; std of the chip std):")
print()
print("| fault | rate | mean over trainings | between-training std | mean chip std |")
print("|---|---|---|---|---|")
for label, res in (("stuck-on", son), ("stuck-off", soff)):
    for r in rates:
        means = [res[s][0][r]["mean"] for s in seeds]
        stds = [res[s][0][r]["std"] for s in seeds]
        print(f"| {label} | {r:g} | {statistics.fmean(means):.1f} | "
              f"{statistics.stdev(means):.1f} | {statistics.fmean(stds):.1f} |")
print()
print("Stuck-on, trainings x chips (two-way, one value per cell): sd of the chip main effect, "
      "of the training x chip interaction, and the training component of the 10-chip means "
      "(their variance less the interaction's variance / chips):")
print()
print("| rate | chip main effect sd | interaction sd | training component sd |")
print("|---|---|---|---|")
for r in rates:
    a = np.array([son[s][1][str(r)] for s in seeds], dtype=float)
    rows_m, cols_m = a.mean(1), a.mean(0)
    resid = a - rows_m[:, None] - cols_m[None, :] + a.mean()
    v_int = (resid ** 2).sum() / ((a.shape[0] - 1) * (a.shape[1] - 1))
    v_train = max(rows_m.var(ddof=1) - v_int / a.shape[1], 0.0)
    print(f"| {r:g} | {cols_m.std(ddof=1):.2f} | {v_int ** 0.5:.2f} | {v_train ** 0.5:.2f} |")
print()
rat = {s: ratios(s) for s in seeds}
layers = list(rat[seeds[0]])
print("Per layer: max|w| / p99|w| (mean over trainings, range), and its correlation with the "
      "mean stuck-on accuracy across the trainings:")
print()
print("| layer | max/p99 mean | min-max | r (SO " + " | r (SO ".join(f"{r:g})" for r in rates)
      + " |")
print("|---" * (3 + len(rates)) + "|")
for layer in layers:
    x = [rat[s][layer][0] for s in seeds]
    rs = [pearson(x, [son[s][0][r]["mean"] for s in seeds]) for r in rates]
    print(f"| {layer} | {statistics.fmean(x):.2f} | {min(x):.2f}-{max(x):.2f} | "
          + " | ".join(f"{v:+.2f}" for v in rs) + " |")
print()
print("Per training, summary predictors and their correlation with the mean stuck-on accuracy:")
print()
preds = {
    "max over layers of max/p99": lambda s: max(v[0] for v in rat[s].values()),
    "mean over layers of max/p99": lambda s: statistics.fmean(v[0] for v in rat[s].values()),
    "max over layers of max/std": lambda s: max(v[1] for v in rat[s].values()),
    "mean over layers of max/std": lambda s: statistics.fmean(v[1] for v in rat[s].values()),
    "stem (conv1) max/p99": lambda s: rat[s]["conv1"][0],
    "fc max/p99": lambda s: rat[s]["fc"][0],
}
print("| predictor | " + " | ".join(f"r (SO {r:g})" for r in rates) + " |")
print("|---" * (1 + len(rates)) + "|")
for name, f in preds.items():
    x = [f(s) for s in seeds]
    print(f"| {name} | " + " | ".join(
        f"{pearson(x, [son[s][0][r]['mean'] for s in seeds]):+.2f}" for r in rates) + " |")
print()
x = [preds["mean over layers of max/p99"](s) for s in seeds]
clean = [son[s][0][rates[0]]["quant_acc_train_bn"] for s in seeds]
print(f"Mean over layers of max/p99 per training: {', '.join(f'{v:.3f}' for v in x)}; "
      f"its r with the fault-free accuracy: {pearson(x, clean):+.2f}.")
print()
print("| rate | r with stuck-on (p) | r with stuck-off (control) | r fault-free vs stuck-on |")
print("|---|---|---|---|")
for r in rates:
    y = [son[s][0][r]["mean"] for s in seeds]
    yo = [soff[s][0][r]["mean"] for s in seeds]
    print(f"| {r:g} | {pearson(x, y):+.2f} ({p_value(x, y):.3f}) | {pearson(x, yo):+.2f} | "
          f"{pearson(clean, y):+.2f} |")
print()
print("Per training: " + ", ".join(
    f"seed {s}: val {train[s]['rows'][0]['val_acc'] if 'rows' in train[s] else '?'}"
    for s in seeds))
EOF
echo "== $(date -u +%T) done: $OUT/tables.md"
