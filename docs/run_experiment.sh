#!/usr/bin/env bash
# Reproduces docs/experiment-fashion-mnist.md: ResNet-20 on a Fashion-MNIST subset,
# standard vs drop-connect (fault model: weights forced to 0) with BatchNorm recalibration on
# and off, and one-shot vs progressive stochastic fault training (stuck-off : stuck-on =
# 1.75 : 9.04). About 30-45 minutes on 2 shared CPU cores; two jobs run at a time.
#
#   sudo apt-get install -y dataset-fashion-mnist     # once: /usr/share/datasets/fashion-mnist
#   nohup docs/run_experiment.sh > docs/experiment/run.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1   # one thread per job: 2 threads under shared load ran 5x slower
ARCHSIM=.venv/bin/archsim
PY=.venv/bin/python
OUT=docs/experiment
MODELS=models/experiment-fashion-mnist   # weights stay untracked (.gitignore)
mkdir -p "$MODELS"

# Shared by every run: 10k training images, the first 1k test images for per-epoch
# validation, batch 128, cosine LR, the drop-connect authors' placement (only the 3x3 convs of
# the residual blocks on RRAM: 1x1 shortcuts, stem conv and classifier on the CPU).
COMMON=(--model resnet20 --dataset fashion-mnist --limit 10000 --val-limit 1000
        --batch-size 128 --schedule cosine --policy cpu-1x1-ends --val-chips 3 --seed 0
        --out "$MODELS")
RECAL=0,0.05,0.1,0.15,0.2,0.25,0.3
STD=$MODELS/resnet20-w1-fashion-mnist-standard.safetensors
DC=$MODELS/resnet20-w1-fashion-mnist-dropconnect-r0.2.safetensors
ONE=$MODELS/resnet20-w1-fashion-mnist-oneshot-r0.02.safetensors
PROG=$MODELS/resnet20-w1-fashion-mnist-progressive-r0.02.safetensors

echo "== $(date -u +%T) train: standard and drop-connect p=0.2 (5 epochs from scratch)"
$ARCHSIM train "${COMMON[@]}" --method standard --epochs 5 --lr 0.1 --val-rate 0.2 \
    --recalibrate $RECAL &
$ARCHSIM train "${COMMON[@]}" --method dropconnect --rate 0.2 --epochs 5 --lr 0.1 \
    --val-rate 0.2 --recalibrate $RECAL &
wait

echo "== $(date -u +%T) fine-tune the standard model: one-shot P=0.02 (3 epochs) vs" \
     "progressive 0.005,0.01,0.02 (1 epoch each)"
$ARCHSIM train "${COMMON[@]}" --method oneshot --rate 0.02 --epochs 3 --lr 0.01 \
    --from "$STD" &
$ARCHSIM train "${COMMON[@]}" --method progressive --rates 0.005,0.01,0.02 --epochs 1 \
    --lr 0.01 --from "$STD" &
wait

echo "== $(date -u +%T) evaluate over 30 chips (last 1000 test images)"
EVAL=($PY docs/experiment_eval.py eval --chips 30 --images 1000)
"${EVAL[@]}" --checkpoint "$STD" --label standard --fault-model dropconnect --rates $RECAL \
    --recal both --out $OUT/standard.json &
"${EVAL[@]}" --checkpoint "$DC" --label dropconnect --fault-model dropconnect --rates $RECAL \
    --recal both --out $OUT/dropconnect.json &
wait
SFT_RATES=0,0.002,0.005,0.01,0.02,0.05
"${EVAL[@]}" --checkpoint "$STD" --label baseline --fault-model sft --rates $SFT_RATES \
    --out $OUT/baseline.json &
"${EVAL[@]}" --checkpoint "$ONE" --label oneshot --fault-model sft --rates $SFT_RATES \
    --out $OUT/oneshot.json &
wait
"${EVAL[@]}" --checkpoint "$PROG" --label progressive --fault-model sft --rates $SFT_RATES \
    --out $OUT/progressive.json

$PY docs/experiment_eval.py plot --results $OUT --png docs/experiment-fashion-mnist.png
$PY docs/experiment_eval.py table --results $OUT > $OUT/tables.md
echo "== $(date -u +%T) done"
