"""Sweeps: a spec expanded into jobs (train, recalibrate, evaluate, map, simulate), run by a
local or Ray executor into a resumable SQLite results store, and the accuracy/cost Pareto
front over the results. `run_sweep` does it all; `archsim pareto` is its command line."""
