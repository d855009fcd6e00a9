"""Shared pytest setup: deterministic, single-threaded torch so tests are repeatable."""

import os

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import torch

torch.set_num_threads(1)
