"""Chapter 1's oracles: the scenario give-away and the no-look-ahead factor-of-safety ceiling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from lslib.analysis import oracles


def _stack(fs_min: np.ndarray, reference_day: np.ndarray, landslide: np.ndarray) -> xr.Dataset:
    days = pd.date_range("2016-01-01", periods=fs_min.shape[1], freq="D")
    frames = np.array([days[d] for d in range(10, fs_min.shape[1], 16)], dtype="datetime64[ns]")
    n = fs_min.shape[0]
    return xr.Dataset(
        {
            "fs_min": (("site", "day"), fs_min),
            "date": (("site", "time"), np.tile(frames, (n, 1))),
            "reference_time": (("site",), days[reference_day].values),
            "landslide": (("site",), landslide),
        },
        coords={"day": days},
    )


def test_the_fs_oracle_never_reads_past_the_window_s_last_frame():
    n, n_days = 40, 200
    rng = np.random.default_rng(0)
    landslide = np.arange(n) % 2 == 0
    fs = np.full((n, n_days), 1.5) + rng.normal(0, 0.01, (n, n_days))
    reference = np.full(n, 150)
    # the slides' factor of safety drops only after the last frame before the reference day (day 138)
    fs[landslide, 140:150] = 0.8
    stack = _stack(fs, reference, landslide)
    blind = oracles.fs_oracle_auroc_by_lead(stack, np.arange(n), [1, 2])
    assert abs(blind[1] - 0.5) < 0.25 and abs(blind[2] - 0.5) < 0.25, blind
    # a drop before the window's last frame is seen, at lead 1 but not at lead 3
    fs[landslide, 120:125] = 0.9
    seen = oracles.fs_oracle_auroc_by_lead(_stack(fs, reference, landslide), np.arange(n), [1, 3])
    assert seen[1] == 1.0 and abs(seen[3] - 0.5) < 0.25


def test_window_end_days_counts_back_from_the_reference():
    stack = _stack(np.ones((1, 200)), np.array([100]), np.array([True]))
    # frames on days 10, 26, 42, 58, 74, 90, 106, ...: before day 100 the last is 90
    assert oracles.window_end_days(stack, 1).tolist() == [90]
    assert oracles.window_end_days(stack, 3).tolist() == [58]
    assert oracles.window_end_days(stack, 7).tolist() == [-1]


def test_the_scenario_oracle_is_at_chance_when_the_scenario_says_nothing():
    rng = np.random.default_rng(1)
    n = 2000
    stack = xr.Dataset(
        {
            "scenario": ("site", rng.choice(["mining", "forest", "road"], n)),
            "region": ("site", rng.choice(["india", "china"], n)),
            "landslide": ("site", rng.random(n) < 0.4),
        }
    )
    assert abs(oracles.scenario_oracle_auroc(stack, np.arange(1000), np.arange(1000, n)) - 0.5) < 0.05


def test_forecast_windows_count_a_site_once_per_lead_it_has_enough_frames_for():
    stack = _stack(np.ones((2, 200)), np.array([100, 30]), np.array([True, False]))
    # site 0 has frames on days 10..90 before day 100 (six); site 1 only day 10 and 26 before day 30
    windows = oracles.forecast_windows(stack, np.arange(2), (1, 2, 3))
    assert sorted(map(tuple, windows.tolist())) == [(0, 1), (0, 2), (0, 3), (1, 1)]  # two frames at least
    single = oracles.forecast_windows(stack, np.arange(2), (1, 2, 3), min_frames=1)
    assert sorted(map(tuple, single.tolist())) == [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2)]


def test_the_scenario_oracle_on_windows_weighs_sites_by_their_windows():
    n = 8
    stack = _stack(np.ones((n, 200)), np.full(n, 100), np.array([True, False] * 4))
    stack["scenario"] = ("site", np.array(["mine", "forest"] * 4))
    stack["region"] = ("site", np.array(["india"] * n))
    train, test = np.arange(4), np.arange(4, 8)
    assert oracles.scenario_oracle_auroc(stack, train, test, leads=(1, 2)) == 1.0
    rates = oracles.scenario_rates(stack, train)
    assert rates[0] > 0.5 > rates[1]  # (2 + 0.5) / 3 against (0 + 0.5) / 3
    assert rates[0] == pytest.approx(2.5 / 3)
