"""Published numbers the report sets our results beside (REFERENCE.md sections 2 and 4)."""

from __future__ import annotations

# Drop-connect paper, Table II: (latency s, energy J) for 10,000 CIFAR-10 images, ISAAC-based.
# The paper prints energy in "kW"; energy / latency = 7.198 W on every row.
TABLE2: dict[str, dict[float, tuple[float, float]]] = {
    "resnet20": {1.0: (15.74, 113.32), 1.2: (22.13, 159.28), 1.4: (29.80, 214.53),
                 1.6: (39.11, 281.56)},
    "mobilenetv2": {1.0: (0.68, 4.89), 1.2: (0.96, 6.93)},
    "vgg13": {1.0: (87.83, 632.16), 1.2: (125.25, 901.56), 1.4: (170.59, 1227.84),
              1.6: (222.53, 1601.71)},
}
TABLE2_SOURCE = ("Drop-connect paper (VTS 2024) Table II: ISAAC-based cost of 10,000 CIFAR-10 "
                 "images; ResNet-20 with 1x1 projection shortcuts")
TABLE2_NOTE = ("MobileNetV2's paper rows leave its 1x1 (pointwise) layers, run on the CPU, out "
               "of the RRAM figure; no simple layer subset reproduces both rows: a known, "
               "documented mismatch.")

# Stochastic fault-tolerant training paper, Table I excerpt: ResNet-20 on CIFAR-10, mean
# accuracy (%) at each test stuck-at rate (stuck-off : stuck-on = 1.75 : 9.04), 100 runs.
TABLE1_RATES = (0.0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)
TABLE1: dict[str, tuple[float, ...]] = {
    "baseline": (92.53, 90.17, 61.74, 25.83, 10.75, 9.69, 10.14, 9.93),
    "one-shot P=0.01": (92.94, 92.76, 90.90, 87.43, 79.47, 41.73, 16.02, 10.80),
    "progressive P=0.01": (92.90, 92.86, 91.04, 87.40, 79.37, 39.29, 15.74, 9.99),
    "one-shot P=0.1": (92.42, 92.20, 91.58, 90.53, 88.02, 74.86, 35.88, 13.96),
    "progressive P=0.1": (93.29, 92.68, 92.52, 91.34, 89.03, 75.08, 39.84, 14.57),
    "progressive P=0.2": (92.03, 92.37, 91.62, 90.85, 88.82, 77.87, 49.29, 15.78),
}
TABLE1_SOURCE = ("Stochastic fault-tolerant training paper, Table I (ResNet-20, CIFAR-10, "
                 "pretrained 92.53%)")

# Same paper, Table II: Stability Score SS = Acc_retrain / (Acc_pretrain - Acc_defect),
# ResNet-32 on CIFAR-100, dense and ADMM-pruned (70%); (Acc_retrain, SS@0.01, SS@0.02).
SS_TABLE: dict[str, tuple[float, float, float]] = {
    "dense pretrained": (75.10, 1.04, 1.01),
    "dense one-shot P=0.01": (75.23, 17.62, 7.52),
    "dense one-shot P=0.1": (74.96, 33.17, 14.50),
    "dense progressive P=0.01": (75.48, 19.26, 7.60),
    "dense progressive P=0.1": (74.63, 38.87, 16.62),
    "ADMM-70% pruned": (74.89, 1.01, 1.01),
    "ADMM-70% one-shot P=0.01": (75.01, 3.35, 1.50),
    "ADMM-70% progressive P=0.01": (74.93, 3.54, 1.53),
}
SS_SOURCE = ("Stochastic fault-tolerant training paper, Table II (ResNet-32, CIFAR-100)")
