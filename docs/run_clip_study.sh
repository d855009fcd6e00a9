#!/usr/bin/env bash
# Reproduces the max-weight clipping study of docs/fault-tolerance.md with archsim commands
# only: ResNet-20 (option A shortcuts, every conv and the classifier on RRAM, 8-bit weights on
# isaac-8bit-1cell) trained four ways with several seeds (standard, drop-connect p = 0.1,
# max-weight clipped K = 1, each with the model card's recipe; and one-shot stochastic fault
# training at rate 0.02, fine-tuned from the standard model of the same seed), then every
# training on the same chips: stuck-on and stuck-off curves (mean, std, worst chip).
#
#   nohup nice -n 10 docs/run_clip_study.sh > docs/clip-study/run.log 2>&1 &
#
# Every size is a variable, e.g. a Fashion-MNIST subset (after
# `sudo apt-get install -y dataset-fashion-mnist`):
#   DATASET=fashion-mnist LIMIT=3000 EPOCHS=3 SKIP=9000 IMAGES=500 OUT=/tmp/clip-fmnist \
#     MODELS=/tmp/clip-fmnist/models docs/run_clip_study.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1   # one thread per job
ARCHSIM=${ARCHSIM:-.venv/bin/archsim}
PYTHON=${PYTHON:-.venv/bin/python}
DATASET=${DATASET:-digits}
LIMIT=${LIMIT:-}             # training images, drawn at random by --subset-seed 1234 (all)
EPOCHS=${EPOCHS:-}           # epochs of the from-scratch trainings (the model card's)
SFT_EPOCHS=${SFT_EPOCHS:-5}  # one-shot fine-tuning epochs, at SFT_LR
SFT_LR=${SFT_LR:-0.01}
SEEDS=${SEEDS:-"0 1 2 3 4 5"}  # training seeds: initial weights, data order, masks, faults
JOBS=${JOBS:-2}              # seeds trained / evaluated at a time
CLIP=${CLIP:-1}              # clipped: max|w| <= CLIP x the layer's 99th-percentile |w|
DROP=${DROP:-0.1}            # drop-connect rate
SFT=${SFT:-0.02}             # one-shot stochastic training rate (fault model sft)
RATES_ON=${RATES_ON:-0.005,0.01,0.02}
RATES_OFF=${RATES_OFF:-0.01,0.02,0.05}
CHIPS=${CHIPS:-20}           # chips per rate: chip i is the same fault map for every training
SKIP=${SKIP:-0}              # evaluation on test images SKIP+1 .. SKIP+IMAGES
IMAGES=${IMAGES:-}           # (all the test images)
OUT=${OUT:-docs/clip-study}
MODELS=${MODELS:-models/clip-study}   # weights stay untracked
mkdir -p "$MODELS" "$OUT"
COMMON=(--model resnet20 --option shortcut=A --dataset "$DATASET" --policy all-rram
        --hw isaac-8bit-1cell --val-chips 0 --no-progress --threads 1 --format json)
if [ -n "$LIMIT" ]; then COMMON+=(--limit "$LIMIT" --val-limit 500 --subset-seed 1234); fi
SCRATCH=()
if [ -n "$EPOCHS" ]; then SCRATCH=(--epochs "$EPOCHS"); fi
EVAL=(--chips "$CHIPS" --skip "$SKIP")
if [ -n "$IMAGES" ]; then EVAL+=(--limit "$IMAGES"); fi

# train NAME SEED ARGS...: one training, skipped when its output exists (a study resumes)
train() {
    local name=$1 seed=$2
    shift 2
    if [ -s "$OUT/train-$name-seed$seed.json" ]; then return; fi
    $ARCHSIM train "${COMMON[@]}" --seed "$seed" --output "$MODELS/$name-seed$seed.safetensors" \
        "$@" > "$OUT/train-$name-seed$seed.json.part"
    mv "$OUT/train-$name-seed$seed.json.part" "$OUT/train-$name-seed$seed.json"
}

# evaluate NAME SEED: stuck-on and stuck-off (faulty weights read 0) on the same chips,
# training BatchNorm statistics (--no-bn-sets), quantized weights (--no-crossbar)
evaluate() {
    local name=$1 seed=$2 fm rates
    for fm in stuck-on dropconnect; do
        rates=$RATES_ON
        if [ "$fm" = dropconnect ]; then rates=$RATES_OFF; fi
        if [ -s "$OUT/$fm-$name-seed$seed.json" ]; then continue; fi
        $ARCHSIM evaluate --checkpoint "$MODELS/$name-seed$seed.safetensors" --fault-model "$fm" \
            --fault-rate "$rates" "${EVAL[@]}" --no-crossbar --no-bn-sets --no-progress \
            --threads 1 --format json \
            > "$OUT/$fm-$name-seed$seed.json.part"
        mv "$OUT/$fm-$name-seed$seed.json.part" "$OUT/$fm-$name-seed$seed.json"
    done
}

one_seed() {
    local seed=$1
    train standard "$seed" "${SCRATCH[@]}"
    train clipped "$seed" "${SCRATCH[@]}" --method clipped --clip "$CLIP"
    train dropconnect "$seed" "${SCRATCH[@]}" --method dropconnect --rate "$DROP"
    train sft "$seed" --epochs "$SFT_EPOCHS" --lr "$SFT_LR" --method oneshot --rate "$SFT" \
        --from "$MODELS/standard-seed$seed.safetensors"
    for name in standard clipped dropconnect sft; do evaluate "$name" "$seed"; done
}

echo "== $(date -u +%T) $DATASET, seeds $SEEDS, $JOBS at a time"
running=0
for seed in $SEEDS; do
    one_seed "$seed" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait

# The table from the JSON and the checkpoints: per method, the mean over the trainings of the
# chip mean (± the between-training std), of the worst chip, and of the paired difference to
# the standard model of the same seed on the same chips (± its 95% interval over the
# trainings); and per method the mean over the weight layers of max|w| / p99|w|, which the
# clip bounds by CLIP.
$PYTHON - "$OUT" "$MODELS" "$SEEDS" > "$OUT/tables.md" <<'EOF'
import json, statistics, sys
from safetensors.torch import load_file
from scipy import stats
out, models, seeds = sys.argv[1], sys.argv[2], sys.argv[3].split()
methods = ["standard", "clipped", "dropconnect", "sft"]
def load(fm, m, s):
    doc = json.load(open(f"{out}/{fm}-{m}-seed{s}.json"))
    return {r["rate"]: r for r in doc["rows"]}, {float(k): v for k, v in doc["per_chip"].items()}
def ratio(m, s):  # mean over the weight layers of max|w| / p99|w| (kthvalue, as the clip)
    sd = load_file(f"{models}/{m}-seed{s}.safetensors")
    vals = []
    for name, w in sd.items():
        if name.endswith(".weight") and w.dim() >= 2:
            a = w.abs().flatten().double()
            k = max(1, -(-99 * a.numel() // 100))
            vals.append(float(a.max() / a.kthvalue(k).values))
    return statistics.fmean(vals)
def sd(xs):
    return statistics.stdev(xs) if len(xs) > 1 else float("nan")
def t_half(xs):  # the 95% Student-t half-width of the mean over the trainings
    return stats.t.ppf(0.975, len(xs) - 1) * sd(xs) / len(xs) ** 0.5 if len(xs) > 1 else float("nan")
res = {(fm, m, s): load(fm, m, s) for fm in ("stuck-on", "dropconnect") for m in methods
       for s in seeds}
val = {(m, s): json.load(open(f"{out}/train-{m}-seed{s}.json"))["rows"][0]["val_acc"]
       for m in methods for s in seeds}
print(f"{len(seeds)} trainings per method (seeds {', '.join(seeds)}); each cell: the mean over "
      "the trainings of the chip mean ± its between-training std, then [the mean worst chip], "
      "then the mean paired difference to the standard model of the same seed on the same "
      "chips ± its 95% Student-t half-width over the trainings.")
print()
for fm, label in (("stuck-on", "stuck-on"), ("dropconnect", "stuck-off")):
    rates = sorted(res[(fm, methods[0], seeds[0])][0])
    print(f"| method | max/p99 | 8-bit, 0 faults | " + " | ".join(f"{label} {r * 100:g} %"
          for r in rates) + " |")
    print("|---" * (3 + len(rates)) + "|")
    for m in methods:
        q0 = [res[(fm, m, s)][0][rates[0]]["quant_acc_train_bn"] for s in seeds]
        cells = []
        for r in rates:
            means = [res[(fm, m, s)][0][r]["mean"] for s in seeds]
            worst = [min(res[(fm, m, s)][1][r]) for s in seeds]
            cell = f"{statistics.fmean(means):.1f} ± {sd(means):.1f} [{statistics.fmean(worst):.1f}]"
            if m != "standard":
                diff = [res[(fm, m, s)][0][r]["mean"] - res[(fm, "standard", s)][0][r]["mean"]
                        for s in seeds]
                half = t_half(diff)
                cell += f", {statistics.fmean(diff):+.1f} ± {half:.1f}"
            cells.append(cell)
        rat = statistics.fmean(ratio(m, s) for s in seeds)
        print(f"| {m} | {rat:.2f} | {statistics.fmean(q0):.1f} ± {sd(q0):.1f} | "
              + " | ".join(cells) + " |")
    print()
print("Fault-free validation accuracy per training (float weights): " + "; ".join(
    f"{m} " + ", ".join(f"{val[(m, s)]:.1f}" for s in seeds) for m in methods))
EOF
echo "== $(date -u +%T) done: $OUT/tables.md"
