"""The state-and-season oracle: what it reads, and that it reads no future."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from lslib.analysis.attainable import STATE_SEASON_FEATURES, StateSeasonOracle, state_season_features
from lslib.evaluation import auroc


def _stack(fs: np.ndarray, regions: list[str]) -> xr.Dataset:
    day = np.datetime64("2020-01-01") + np.arange(fs.shape[1]) * np.timedelta64(1, "D")
    return xr.Dataset({"fs_min": (("site", "day"), fs), "region": (("site",), regions)}, coords={"day": day})


def test_the_features_read_nothing_after_the_last_frame():
    fs = np.full((2, 200), 2.0)
    fs[0, 120:] = 0.5  # site 0 fails after day 119
    stack = _stack(fs, ["india", "atlantis"])
    end = stack["day"].values[[119, 119]]
    before = state_season_features(stack, pd.DataFrame({"site": [0, 1], "end_date": end}))
    assert before.shape == (2, len(STATE_SEASON_FEATURES))
    np.testing.assert_array_equal(before[:, :3], -2.0)  # the coming failure is invisible at day 119
    assert before[0, 5] == 2.0 and before[1, 5] == -1.0  # india's code; an unknown region is -1
    after = state_season_features(stack, pd.DataFrame({"site": [0], "end_date": stack["day"].values[[130]]}))
    np.testing.assert_array_equal(after[0, :3], -0.5)
    assert after[0, 3] != before[0, 3]  # another day of year


def test_the_oracle_learns_the_season_the_factor_of_safety_misses():
    rng = np.random.default_rng(0)
    n = 3000
    state = rng.normal(size=n)
    doy = rng.integers(1, 366, n)
    wet = np.cos(2 * np.pi * (doy - 200) / 365.25) > 0.5
    label = (rng.random(n) < 1 / (1 + np.exp(-(state + 2.5 * wet - 3)))).astype(int)
    features = np.column_stack(
        [state, state, state, np.sin(2 * np.pi * doy / 365.25), np.cos(2 * np.pi * doy / 365.25), np.zeros(n)]
    )
    train, test = slice(0, 2000), slice(2000, None)
    oracle = StateSeasonOracle(seed=0).fit(features[train], label[train])
    combined, alone = auroc(label[test], oracle.predict(features[test])), auroc(label[test], state[test])
    assert combined > alone + 0.05


def test_the_oracle_refuses_bad_shapes_and_an_unfitted_prediction():
    with pytest.raises(ValueError, match="features must be"):
        StateSeasonOracle().fit(np.zeros((10, 3)), np.zeros(10))
    with pytest.raises(RuntimeError, match="fit the oracle"):
        StateSeasonOracle().predict(np.zeros((2, 6)))
