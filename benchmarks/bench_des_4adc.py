"""CPU time of `--estimator des` against the closed form on `isaac-4adc`, ResNet-20.

`isaac-4adc` has 4 ADCs for 8 crossbars, so IMAs that several layers or replica lanes share
queue for conversions and the DES simulates that queue. Both estimators cost the same
balanced design point (one chip, `cpu-1x1`, mapped once, untimed); each is timed A B A B
(closed form, DES, closed form, DES) in CPU seconds (user plus system time from
`resource.getrusage`, robust to other processes sharing the cores), after one untimed call
of each to warm imports. Each call plans the mapping itself (`plan_mapping`), as an
estimate of a mapping built apart from the balancer does. The ratio is the median DES
CPU time over the median closed-form CPU time. The target is 3 or less.

Measured on a two-core machine shared with other work (load average 10-13), A B A B per run,
runs of this code and of the code before router ports and chip links were booked and known
ends signalled without events alternating: this code 1.695 and 2.406 CPU s for the DES
against 0.169 and 0.227 s for the closed form (ratios 10.0 and 10.6); before, 1.886 and
2.041 s against 0.167 and 0.220 s (11.3 and 9.3; two earlier runs 11.6 and 12.0). The load
makes single ratios vary by +-15 %: the two are the same within it (the simulated events
fell from 252,808 to 189,831; booking the shared ports spends the rest). Both measure
7.371 us against the closed form's 5.897 us. The target is not met; docs/validation.md s.9
says what the time is spent on.
"""

import resource
import statistics

from archsim.config.hardware import load_hardware
from archsim.mapping.geometry import resolve_geometry
from archsim.mapping.mapper import trace_net
from archsim.mapping.options import MapOptions
from archsim.perf.analytic import analytic_estimate
from archsim.perf.balance import costed_mapping
from archsim.perf.des import simulate
from archsim.perf.hw_costs import costs_from_hardware
from archsim.perf.plan import plan_mapping

TARGET = 3.0


def cpu_s() -> float:
    """User plus system CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    hw = load_hardware("isaac-4adc")
    geometry, costs = resolve_geometry(hw), costs_from_hardware(hw)
    specs = trace_net("resnet20", 1.0, (3, 32, 32), 10, {"shortcut": "1x1"})[1]
    mapping = costed_mapping(specs, geometry, costs, 1, MapOptions(policy="cpu-1x1"),
                           input_shape=(3, 32, 32), model_name="resnet20").mapping  # fmt: skip
    runs = {"analytic": lambda: analytic_estimate(plan_mapping(mapping, costs)),
            "des": lambda: simulate(plan_mapping(mapping, costs))}  # fmt: skip
    for run in runs.values():
        run()
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    intervals = {}
    for _ in range(2):  # A B A B
        for name, run in runs.items():
            start = cpu_s()
            result = run()
            cpu[name].append(cpu_s() - start)
            intervals[name] = result.interval_s
    closed, des = statistics.median(cpu["analytic"]), statistics.median(cpu["des"])
    ratio = des / closed
    print(f"isaac-4adc resnet20 (1x1 shortcuts, one chip): closed form {closed:.3f} CPU s, "
          f"DES {des:.3f} CPU s (medians of 2 rounds each); ratio {ratio:.2f} "
          f"(target <= {TARGET:g}); interval closed form {intervals['analytic'] * 1e6:.3f} us, "
          f"DES {intervals['des'] * 1e6:.3f} us")  # fmt: skip


if __name__ == "__main__":
    main()
