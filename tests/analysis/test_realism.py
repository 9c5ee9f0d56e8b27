"""Chapter 1's checks of the simulator: each number of LandslideSim v2's goals, from the oracle variables."""

from __future__ import annotations

import numpy as np
import pytest

from lslib.analysis.realism import ORACLE_NEEDS, chapter4_test_windows, simulator_checks, slides_per_cause
from lslib.causes import Cause
from lslib.data.sim import simulate


@pytest.fixture(scope="module")
def stack():
    return simulate(n_sites=60, n_times=16, size=32, seed=5)


def test_every_goal_is_measured_and_within_its_physical_range(stack):
    checks = simulator_checks(stack, seed=5, leads=(1, 2), n_boot=50)
    for name in ("oracle_scenario_auroc", "oracle_fs_auroc_lead1", "oracle_fs_auroc_lead2"):
        assert 0.0 <= checks[f"{name}_low"] <= checks[name] <= checks[f"{name}_high"] <= 1.0, name
    assert 0.5 < checks["slope_slide_auroc"] <= 1.0  # steep cells start the slides
    assert 0.0 < checks["qa_omission_rate"] < 0.5 and 0.0 < checks["qa_commission_rate"] < 0.5
    assert 0.0 < checks["qa_shadow_omission_rate"] < 1.0
    assert -6.0 < checks["sar_clearcut_contrast_db"] < 3.0
    assert 0.0 < checks["ndvi_noise_stable_sim"] < 0.2
    assert 0.0 <= checks["positives_rain_undisturbed_share"] <= 1.0
    assert sum(checks["slides_per_cause"].values()) == int(stack["landslide"].sum())
    assert checks["min_slides_per_cause"] == min(checks["slides_per_cause"].values())


def test_slides_per_cause_count_every_cause_but_the_negative_class(stack):
    counts = slides_per_cause(stack)
    assert set(counts) == {c.key for c in Cause} - {Cause.THRIVING_FOREST.key}
    slid = stack["cause"].values[stack["landslide"].values]
    assert counts["heavy_rainfall"] == int((slid == int(Cause.HEAVY_RAINFALL)).sum())


def test_a_stack_without_the_oracle_variables_is_refused_by_name(stack):
    with pytest.raises(KeyError, match="cloud_truth"):
        simulator_checks(stack.drop_vars("cloud_truth"))
    assert "sar_clearcut" in ORACLE_NEEDS


def test_the_checks_repeat_exactly(stack):
    first = simulator_checks(stack, seed=1, leads=(1,), n_boot=30)
    again = simulator_checks(stack, seed=1, leads=(1,), n_boot=30)
    assert first.keys() == again.keys()
    for name, value in first.items():
        assert value == again[name] or (np.isnan(value) and np.isnan(again[name])), name


def test_the_oracles_score_chapter_4_s_own_test_windows(stack):
    from lslib.analysis.oracles import forecast_windows
    from lslib.data.dataset import LandslideDataset
    from lslib.data.splits import FORECAST_FRACTIONS

    sites, leads, train = chapter4_test_windows(stack, seed=5, leads=(1, 2))
    table = LandslideDataset(stack, split="test", leads=(1, 2), fractions=FORECAST_FRACTIONS, seed=5).window_table()
    assert sites.tolist() == table["site"].tolist() and leads.tolist() == table["lead"].tolist()
    assert not set(train) & set(sites)
    ours = forecast_windows(stack, np.unique(sites), (1, 2))
    assert sorted(map(tuple, ours.tolist())) == sorted(zip(sites.tolist(), leads.tolist()))
    checks = simulator_checks(stack, seed=5, leads=(1, 2), n_boot=20)
    assert checks["n_test_windows"] == len(sites) and checks["n_test_sites"] == len(np.unique(sites))
    assert 0 < checks["oracle_fs_common_sites"] <= checks["n_test_sites"]
