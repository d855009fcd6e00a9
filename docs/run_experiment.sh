#!/usr/bin/env bash
# Reproduces docs/experiment-fashion-mnist.md with archsim commands only: ResNet-20 on a
# Fashion-MNIST subset, standard vs drop-connect (fault model: weights forced to 0) with
# BatchNorm recalibration on and off, and one-shot vs progressive stochastic fault training
# (stuck-off : stuck-on = 1.75 : 9.04). About 30-45 minutes on 2 CPU cores; two jobs at a time.
#
#   sudo apt-get install -y dataset-fashion-mnist     # once: /usr/share/datasets/fashion-mnist
#   nohup docs/run_experiment.sh > docs/experiment/run.log 2>&1 &
#
# Every size is a variable, so a tiny run checks the commands in minutes, e.g.
#   DATASET=digits LIMIT=256 VAL=100 EPOCHS=1 FT_EPOCHS=1 CHIPS=2 SKIP=100 IMAGES=100 \
#     OUT=/tmp/exp MODELS=/tmp/exp/models docs/run_experiment.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1   # one thread per job: two jobs share two cores
ARCHSIM=${ARCHSIM:-.venv/bin/archsim}
DATASET=${DATASET:-fashion-mnist}
LIMIT=${LIMIT:-10000}        # training images
VAL=${VAL:-1000}             # the first VAL test images validate each epoch
EPOCHS=${EPOCHS:-5}          # standard and drop-connect, from scratch
FT_EPOCHS=${FT_EPOCHS:-3}    # one-shot fine-tuning (progressive: 1 per stage)
CHIPS=${CHIPS:-30}           # chips per fault rate, the same chips for every model
SKIP=${SKIP:-9000}           # evaluation on test images SKIP+1 .. SKIP+IMAGES: the last 1,000,
IMAGES=${IMAGES:-1000}       # disjoint from the VAL validation images
OUT=${OUT:-docs/experiment}
MODELS=${MODELS:-models/experiment-fashion-mnist}   # weights stay untracked (.gitignore)
mkdir -p "$MODELS" "$OUT"

# Shared by every run: batch 128, cosine LR, 1x1 projection shortcuts (the drop-connect paper's
# card), and its authors' placement (only the 3x3 convs of the residual blocks on RRAM: 1x1
# shortcuts, stem conv and classifier on the CPU).
COMMON=(--model resnet20 --option shortcut=1x1 --dataset "$DATASET" --limit "$LIMIT"
        --val-limit "$VAL" --batch-size 128 --schedule cosine --policy cpu-1x1-ends
        --val-chips 3 --seed 0 --out "$MODELS" --no-progress --threads 1)
RECAL=0,0.05,0.1,0.15,0.2,0.25,0.3
SFT_RATES=0,0.002,0.005,0.01,0.02,0.05
NAME=$MODELS/resnet20-w1-$DATASET
STD=$NAME-standard.safetensors
DC=$NAME-dropconnect-r0.2.safetensors
ONE=$NAME-oneshot-r0.02.safetensors
PROG=$NAME-progressive-r0.02.safetensors

echo "== $(date -u +%T) train: standard and drop-connect p=0.2 ($EPOCHS epochs from scratch)"
$ARCHSIM train "${COMMON[@]}" --method standard --epochs "$EPOCHS" --lr 0.1 --val-rate 0.2 \
    --recalibrate $RECAL > "$OUT/train-standard.txt" &
$ARCHSIM train "${COMMON[@]}" --method dropconnect --rate 0.2 --epochs "$EPOCHS" --lr 0.1 \
    --val-rate 0.2 --recalibrate $RECAL > "$OUT/train-dropconnect.txt" &
wait

echo "== $(date -u +%T) fine-tune the standard model: one-shot P=0.02 ($FT_EPOCHS epochs) vs" \
     "progressive 0.005,0.01,0.02 (1 epoch each)"
$ARCHSIM train "${COMMON[@]}" --method oneshot --rate 0.02 --epochs "$FT_EPOCHS" --lr 0.01 \
    --from "$STD" > "$OUT/train-oneshot.txt" &
$ARCHSIM train "${COMMON[@]}" --method progressive --rates 0.005,0.01,0.02 --epochs 1 \
    --lr 0.01 --from "$STD" > "$OUT/train-progressive.txt" &
wait

# One evaluation: exactly CHIPS chips per rate (chip i = fault map (seed 0, i) for every model,
# so differences are paired), each on every one of the IMAGES held-out test images, weights
# quantized to the hardware's bits (--no-crossbar); per-chip accuracies in LABEL.json, a plot
# of every chip, the mean and its 95% interval per rate in LABEL.png.
evaluate() {
    local label=$1; shift
    $ARCHSIM evaluate "$@" --chips "$CHIPS" --skip "$SKIP" --limit "$IMAGES" --no-crossbar \
        --no-progress --threads 1 --format json --plot "$OUT/$label.png" > "$OUT/$label.json.part"
    mv "$OUT/$label.json.part" "$OUT/$label.json"
}
echo "== $(date -u +%T) evaluate over $CHIPS chips (test images $((SKIP + 1))-$((SKIP + IMAGES)))"
DROP=(--fault-model dropconnect --fault-rate $RECAL)
evaluate standard-recal-off --checkpoint "$STD" "${DROP[@]}" --no-bn-sets &
evaluate standard-recal-on --checkpoint "$STD" "${DROP[@]}" --bn-sets &
wait
evaluate dropconnect-recal-off --checkpoint "$DC" "${DROP[@]}" --no-bn-sets &
evaluate dropconnect-recal-on --checkpoint "$DC" "${DROP[@]}" --bn-sets &
wait
SFT=(--fault-model sft --fault-rate $SFT_RATES --no-bn-sets)
evaluate baseline --checkpoint "$STD" "${SFT[@]}" &
evaluate oneshot --checkpoint "$ONE" "${SFT[@]}" &
wait
evaluate progressive --checkpoint "$PROG" "${SFT[@]}"

# The two tables of the doc from the evaluations' JSON (standard library only): mean ± sd over
# the chips per rate; paired columns: mean ± standard error of the per-chip differences.
python3 - "$OUT" > "$OUT/tables.md" <<'EOF'
import json, statistics, sys
out = sys.argv[1]
def load(label):
    doc = json.load(open(f"{out}/{label}.json"))
    return {r["rate"]: (r, doc["per_chip"][str(r["rate"])]) for r in doc["rows"]}
def cell(entry):
    return f"{entry[0]['mean']:.2f} ± {entry[0]['std'] or 0:.2f}"
def paired(a, b):
    d = [x - y for x, y in zip(a[1], b[1], strict=True)]
    se = statistics.stdev(d) / len(d) ** 0.5 if len(d) > 1 else 0.0
    return f"{statistics.fmean(d):+.2f} ± {se:.2f}"
cols = ["standard-recal-off", "standard-recal-on", "dropconnect-recal-off", "dropconnect-recal-on"]
runs = {c: load(c) for c in cols}
print("| fault rate | " + " | ".join(cols) + " | drop-connect - standard (recal on, paired) |")
print("|---" * (len(cols) + 2) + "|")
for rate in sorted(runs[cols[0]]):
    print(f"| {rate:g} | " + " | ".join(cell(runs[c][rate]) for c in cols)
          + f" | {paired(runs[cols[3]][rate], runs[cols[1]][rate])} |")
print()
sft = ["baseline", "oneshot", "progressive"]
runs = {c: load(c) for c in sft}
pre = runs["baseline"][0.0][0]["mean"]
print("| sft fault rate | " + " | ".join(sft) + " | one-shot - progressive (paired) "
      "| SS baseline / one-shot / progressive |")
print("|---" * (len(sft) + 3) + "|")
for rate in sorted(runs["baseline"]):
    acc = {c: runs[c][rate][0]["mean"] for c in sft}
    ss = " / ".join(f"{runs[c][0.0][0]['mean'] / (pre - acc[c]):.2f}"
                    if rate > 0 and pre > acc[c] else "-" for c in sft)
    print(f"| {rate:g} | " + " | ".join(cell(runs[c][rate]) for c in sft)
          + f" | {paired(runs['oneshot'][rate], runs['progressive'][rate])} | {ss} |")
EOF
echo "== $(date -u +%T) done: $OUT/tables.md, $OUT/*.png"
