"""Spatially clustered cell faults (archsim/faults/clustered.py): the clustering statistic
matches the size parameter, the rate is the expected faulty-cell fraction, and chips place
the clusters on the mapping's crossbar cells."""

import numpy as np
import pytest
import torch
from faults_support import TinyNet

from archsim.errors import UserError
from archsim.faults import ChipDrawer, FaultInjector, get_fault_model
from archsim.faults.clustered import draw_crossbar, mean_cluster_size
from archsim.faults.draw import unit_rng
from archsim.faults.physical import Layout
from archsim.mapping.geometry import Geometry
from archsim.mapping.mapper import map_model

ISAAC = Geometry(128, 128, 2, 16, "offset", 8, 12, 168, 64, "isaac")


def _grids(name: str, rate: float, count: int) -> list[np.ndarray]:
    model = get_fault_model(name)
    return [draw_crossbar(model, rate, 128, 128, unit_rng(7, 0, f"t{i}")) for i in range(count)]


@pytest.mark.parametrize("name, expected", [
    # an isolated blob of side s is s*s cells; a line segment of length L is L cells
    ("blob-isaac:2", 4), ("blob-isaac:3", 9), ("blob-isaac", 16),
    ("rowline-isaac:5", 5), ("colline-isaac", 16),
])  # fmt: skip
def test_the_clustering_statistic_matches_the_size_parameter(name: str, expected: int) -> None:
    # At 0.2% of cells faulty two clusters rarely touch, so interior components are single
    # clusters: the mean component size is the cluster's cell count up to a few merges.
    statistic = mean_cluster_size(_grids(name, 0.002, 60))
    assert expected <= statistic <= expected * 1.06


def test_uniform_faults_at_the_same_rate_are_not_clustered() -> None:
    model = get_fault_model("cell-isaac")
    rng = np.random.default_rng(0)
    grids = [np.where(rng.random((128, 128)) < 0.002, 1, 0) for _ in range(20)]
    # a uniform cell touches a faulty neighbour with probability about 4 x 0.002
    assert 1.0 <= mean_cluster_size(grids) < 1.02 and model.granularity == "cell"


@pytest.mark.parametrize("name", ["blob-isaac", "rowline-isaac", "colline-isaac:3"])
def test_rate_is_the_expected_fraction_of_faulty_cells(name: str) -> None:
    fractions = np.array([(g != 0).mean() for g in _grids(name, 0.05, 80)])
    # per-crossbar fractions are independent: the mean lies within 4 standard errors of 0.05
    error = fractions.std(ddof=1) / np.sqrt(len(fractions))
    assert abs(fractions.mean() - 0.05) < 4 * error


def test_chips_put_the_clusters_on_the_mapped_cells() -> None:
    model = TinyNet()
    mapping = map_model(model, (1, 8, 8), ISAAC, model_name="tiny")
    sites = FaultInjector(model, mapping).sites
    drawer = ChipDrawer(sites, get_fault_model("blob-isaac:3"))
    chip = drawer.draw(0.05, 1, 2)
    assert chip.kind == "cell" and chip.fault_model == "blob-isaac:3"
    again = drawer.draw(0.05, 1, 2)
    assert all(torch.equal(chip.dense()[n], again.dense()[n]) for n in chip.layers)
    # every faulty cell of the layers is a faulty cell of the drawn crossbar, at the position
    # the layout gives, and every drawn fault on a used cell reached a layer
    grids = drawer.cluster_states(0.05, 1, 2)
    layout = Layout(sites)
    placed = layout.to_crossbars(chip, 128, 128)
    used = {key: np.zeros((128, 128), bool) for key in grids}
    for where in layout.placements.values():
        for number, key in enumerate(layout.keys):
            on = where.crossbar == number
            used[key][where.row[on], where.column[on]] = True
    for key, grid in grids.items():
        assert np.array_equal(placed[key][used[key]], grid[used[key]])
        assert not placed[key][~used[key]].any()
    assert 0 < chip.faulty_fraction() < 0.15


def test_sizes_only_for_clustered_presets() -> None:
    with pytest.raises(UserError, match="only clustered presets take a size"):
        get_fault_model("cell-isaac:3")
    with pytest.raises(UserError, match="only clustered presets take a size"):
        get_fault_model("blob-isaac:0")
    assert get_fault_model("blob-isaac:2").description.startswith("square blobs of 2 x 2")
