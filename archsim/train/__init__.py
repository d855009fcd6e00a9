"""Fault-aware training: the plain loop, drop-connect, stochastic fault training (one-shot and
progressive), BatchNorm recalibration per fault rate, and magnitude / ADMM pruning.

`train(spec) -> TrainResult` is the whole API; `archsim train` and the sweep engine call it.
"""

from archsim.train.records import EpochRecord, TrainResult
from archsim.train.runner import train
from archsim.train.spec import METHODS, TrainSpec, make_spec

__all__ = ["METHODS", "EpochRecord", "TrainResult", "TrainSpec", "make_spec", "train"]
