"""Published numbers the report sets our results beside (docs/sources.md s.1; the
drop-connect paper's Table II lives with its estimator in `archsim.perf.paper`)."""

from __future__ import annotations

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
TABLE1_SOURCE = (
    "Stochastic fault-tolerant training paper, Table I (ResNet-20, CIFAR-10, pretrained 92.53%)"
)

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
SS_SOURCE = "Stochastic fault-tolerant training paper, Table II (ResNet-32, CIFAR-100)"
