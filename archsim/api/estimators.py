"""The registered cost estimators by name (light: importing it loads no estimator, so the CLI
builds `--estimator` choices and help from it)."""

from archsim.perf.estimators import ESTIMATOR_NAMES, ESTIMATORS, Estimator, estimator_help

__all__ = ["ESTIMATORS", "ESTIMATOR_NAMES", "Estimator", "estimator_help"]
