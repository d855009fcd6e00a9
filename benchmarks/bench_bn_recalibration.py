"""How many training images a BatchNorm recalibration pass needs: error against a full pass.

ResNet-20 (option A) is trained for one epoch on 20,000 Fashion-MNIST images (digits when
Fashion-MNIST is not installed), then recalibrated under dropconnect faults at rates 0.1 and
0.3 with the run's `recal` stream, one pass over all training images. The cumulative
statistics after the first k batches (momentum=None: exactly the k-batch estimate) are compared
with those of the whole pass: per BatchNorm channel, |mean_k - mean| / std and
|var_k - var| / var (max and median over all channels), and the mean accuracy of 5 fixed
chips (first 1,000 test images) with the k-batch set minus that with the full set.
The numbers are written up in docs/bn-recalibration.md.
"""

import torch

from archsim.checkpoint import load_checkpoint
from archsim.data import DATASETS, Dataset, iterate_batches
from archsim.data.inputs import InputHandling, load_split
from archsim.faults import ChipFaults, FaultInjector, get_fault_model
from archsim.faults.bnsets import bn_statistics
from archsim.faults.chip import ChipDrawer
from archsim.faults.inject import rram_layer_names
from archsim.faults.montecarlo import accuracy
from archsim.mapping.mapper import map_model
from archsim.train import make_spec, train
from archsim.train.perturb import perturbed
from archsim.train.recalibrate import _calibration_mode, bn_statistics_of
from archsim.train.stochastic import StochasticFaults
from archsim.train.streams import stream_generator

IMAGES, BATCH, CHIPS = 20_000, 128, 5
SNAPSHOTS = (1, 2, 4, 8, 16, 32, 64, 128)


def _errors(k: dict[str, torch.Tensor], full: dict[str, torch.Tensor]) -> tuple[float, ...]:
    mean_err, var_err = [], []
    for name in full:
        if name.endswith("running_mean"):
            std = full[name.replace("mean", "var")].clamp_min(1e-12).sqrt()
            mean_err.append(((k[name] - full[name]).abs() / std).reshape(-1))
        elif name.endswith("running_var"):
            var_err.append(((k[name] - full[name]).abs() / full[name].clamp_min(1e-12)).reshape(-1))
    m, v = torch.cat(mean_err), torch.cat(var_err)
    return float(m.max()), float(m.median()), float(v.max()), float(v.median())


def chip_mean(
    model: torch.nn.Module,
    injector: FaultInjector,
    chips: list[ChipFaults],
    test: Dataset,
    stats: dict[str, torch.Tensor],
) -> float:
    """Mean accuracy of `chips` with BatchNorm statistics `stats`."""
    accs = []
    with bn_statistics(model, stats), injector.session():
        for chip in chips:
            with injector.chip(chip) as faulty:
                accs.append(accuracy(faulty, test.images, test.labels))
    return sum(accs) / len(accs)


def main() -> None:
    torch.set_num_threads(1)
    dataset = "fashion-mnist" if DATASETS["fashion-mnist"].info().found else "digits"
    result = train(
        make_spec(
            model="resnet20",
            dataset=dataset,
            limit=IMAGES,
            epochs=1,
            val_limit=1000,
            val_chips=0,
            out_dir="/tmp/archsim-bench-bn",
            progress=False,
        )
    )
    model, _, _ = load_checkpoint(result.checkpoint)
    data = load_split(dataset, "train", None, InputHandling(IMAGES))
    test = load_split(dataset, "test", None, InputHandling(1000))
    mapping = map_model(model, data.input_shape, "isaac", model_name="resnet20")
    layers = rram_layer_names(mapping)
    faults = get_fault_model("dropconnect")
    print(f"{dataset}, {len(data)} training images, batches of {BATCH}")
    print(
        "rate  batches  images  mean_err_max  mean_err_med  var_err_max  var_err_med  "
        "chip_acc_delta"
    )
    for rate in (0.1, 0.3):
        generator = stream_generator(0, "recal", torch.device("cpu"))
        snaps: dict[int, dict[str, torch.Tensor]] = {}
        sampler = StochasticFaults(rate, faults, generator)
        with _calibration_mode(model), perturbed(model, layers, sampler), torch.no_grad():
            for i, (images, _) in enumerate(
                iterate_batches(data, BATCH, shuffle=False, augment=False, generator=None)
            ):
                model(images)
                if i + 1 in SNAPSHOTS:
                    snaps[i + 1] = bn_statistics_of(model)
            full = bn_statistics_of(model)
        injector = FaultInjector(model, mapping)
        drawer = ChipDrawer(injector.sites, faults, mapping.crossbar_rows, mapping.crossbar_cols)
        chips = [drawer.draw(rate, 0, c) for c in range(CHIPS)]

        reference = chip_mean(model, injector, chips, test, full)
        for k, stats in snaps.items():
            errs = _errors(stats, full)
            delta = chip_mean(model, injector, chips, test, stats) - reference
            print(
                f"{rate:<5} {k:>7} {min(k * BATCH, len(data)):>7}  "
                + "  ".join(f"{e:>11.4f}" for e in errs)
                + f"  {delta:>+13.2f}"
            )


if __name__ == "__main__":
    main()
