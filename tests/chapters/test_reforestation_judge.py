"""The planting judge: it reads the site's hidden ground, which the planner never reaches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lslib.analysis.planting import HIDDEN_VARIABLES, hidden_ground
from lslib.data.pairs import PAIR_SCENARIOS, denormalise, scenario_pairs
from lslib.data.schema import SchemaError
from lslib.data.sim import simulate


@pytest.fixture(scope="module")
def stack():
    return simulate(n_sites=8, n_times=8, size=16, seed=3, causes=("deforestation",), clouds=False)


def _scrambled(stack):
    """The stack with every hidden variable of the judge replaced by other values."""
    other = stack.copy(deep=True)
    rng = np.random.default_rng(1)
    for name in ("soil_depth", "soil_cohesion", "friction_angle", "forest_root_cohesion"):
        other[name].values[:] = rng.permutation(other[name].values.ravel()).reshape(other[name].shape)
    other["saturation_mm"].values[:] = other["saturation_mm"].values * 0.5
    return other


def test_the_hidden_ground_is_the_sites_oracle_truth(stack):
    ground = hidden_ground(stack, 2, 3, n_storms=8)
    np.testing.assert_array_equal(ground.depth_m, stack["soil_depth"].values[2])
    np.testing.assert_array_equal(ground.friction_deg, stack["friction_angle"].values[2])
    np.testing.assert_array_equal(ground.forest_root_kpa, stack["forest_root_cohesion"].values[2])
    forest = stack["land_cover"].values[2, 3] == 0
    np.testing.assert_allclose(ground.open_root_kpa[forest], ground.forest_root_kpa[forest])
    assert ground.wetness.shape == (8, 16, 16) and 0 < ground.wetness.max() <= 1
    wetter = hidden_ground(stack.assign(saturation_mm=stack["saturation_mm"] * 0.5), 2, 3, n_storms=8)
    assert (wetter.wetness >= ground.wetness).all() and wetter.wetness.mean() > ground.wetness.mean()
    for name in HIDDEN_VARIABLES:
        assert name == "land_cover" or stack[name].attrs.get("role") == "oracle", name


def test_the_judge_refuses_a_stack_without_its_hidden_truth_by_name(stack):
    with pytest.raises(SchemaError, match="saturation_mm"):
        hidden_ground(stack.drop_vars("saturation_mm"), 0, 0)
    with pytest.raises(ValueError, match="n_storms"):
        hidden_ground(stack, 0, 0, n_storms=0)


def test_the_planner_cannot_reach_the_hidden_truth_the_judge_reads(stack):
    from lslib.chapters.cgan_scenarios import plan_reforestation
    from lslib.models.cgan import CGANConfig, ScenarioGAN

    pairs = scenario_pairs(stack)
    keep = pairs["scenario"] == PAIR_SCENARIOS.index("reforestation")
    assert keep.sum() >= 3
    torch.manual_seed(0)
    model = ScenarioGAN(CGANConfig(size=16, width=8)).eval()

    def plan(on):
        to_reflectance = lambda images: denormalise(images, on)
        return plan_reforestation(model, pairs, keep, on, to_reflectance, k=2, seed=0, share=0.3, n_storms=8)

    truth, scrambled = plan(stack), plan(_scrambled(stack))
    assert len(truth) == len(scrambled) >= 1
    arms = ("cGAN + physics", "physics only", "steepest first", "random")
    for a, b in zip(truth, scrambled):  # the plans are made from what an agency observes ...
        for arm in arms:
            np.testing.assert_array_equal(a[f"cells_{arm}"], b[f"cells_{arm}"])
    rates = [(a["rate_before"], b["rate_before"]) for a, b in zip(truth, scrambled)]
    assert any(x != y for x, y in rates)  # ... and judged on the hidden ground, which the scramble changed
