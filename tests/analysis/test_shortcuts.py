"""The timing shortcut check: a classifier on timing alone is at chance when timing says nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from lslib.analysis.shortcuts import TIMING_FEATURES, timing_features, timing_shortcut_auroc


def _stack_and_windows(
    n_sites: int, rng: np.random.Generator, stagger: bool = False
) -> tuple[xr.Dataset, pd.DataFrame]:
    days = pd.Timestamp("2017-01-01") + pd.to_timedelta(np.arange(20) * 16, unit="D")
    dates = np.tile(days.values, (n_sites, 1))
    offsets = (rng.integers(0, 365, n_sites) if stagger else np.zeros(n_sites, int))[:, None].astype("timedelta64[D]")
    dates = dates + offsets  # staggered: each site starts on its own day of the year, so season and position part
    dates[rng.random(dates.shape) < 0.15] = np.datetime64("NaT")
    dates[:, 0] = dates[:, 1] - np.timedelta64(16, "D")  # every series has its first frame
    sar = np.tile((pd.Timestamp("2017-01-03") + pd.to_timedelta(np.arange(26) * 12, unit="D")).values, (n_sites, 1))
    sar = sar + offsets
    stack = xr.Dataset({"date": (("site", "time"), dates), "sar_date": (("site", "sar_time"), sar)})
    rows = [(site, end - 5, end) for site in range(n_sites) for end in (7, 12, 17)]
    return stack, pd.DataFrame(rows, columns=["site", "start", "end"])


def test_timing_features_count_valid_frames_and_radar_frames_in_the_span():
    rng = np.random.default_rng(0)
    stack, windows = _stack_and_windows(4, rng)
    table = timing_features(stack, windows)
    assert list(table.columns) == list(TIMING_FEATURES) and len(table) == len(windows)
    for row, (site, start, end) in zip(table.itertuples(), windows.itertuples(index=False)):
        frames = stack["date"].values[site, start : end + 1]
        seen = frames[~np.isnat(frames)]
        assert row.valid_frames == len(seen)
        assert row.span_days == (seen.max() - seen.min()) / np.timedelta64(1, "D") <= 80
        sar = stack["sar_date"].values[site]
        assert row.sar_frames == ((sar >= seen.min()) & (sar <= seen.max())).sum()
    with pytest.raises(KeyError, match="lacks"):
        timing_features(stack, windows.drop(columns="end"))


def test_the_check_is_at_chance_when_timing_says_nothing_and_high_when_it_gives_the_label_away():
    rng = np.random.default_rng(1)
    stack, windows = _stack_and_windows(120, rng)
    windows["label"] = rng.random(len(windows)) < 0.3  # labels independent of timing
    assert abs(timing_shortcut_auroc(stack, windows, seed=0) - 0.5) < 0.08
    frames = timing_features(stack, windows)["valid_frames"].to_numpy()
    windows["label"] = frames < np.median(frames)  # positives are the gappier windows: a shortcut
    assert timing_shortcut_auroc(stack, windows, seed=0) > 0.8


def test_the_check_refuses_one_class_and_too_few_sites():
    rng = np.random.default_rng(2)
    stack, windows = _stack_and_windows(3, rng)
    windows["label"] = 0
    with pytest.raises(ValueError, match="both classes"):
        timing_shortcut_auroc(stack, windows)
    windows["label"] = np.arange(len(windows)) % 2
    with pytest.raises(ValueError, match="cannot fill 5 folds"):
        timing_shortcut_auroc(stack, windows)
    with pytest.raises(ValueError, match="n_folds"):
        timing_shortcut_auroc(stack, windows, n_folds=1)


def test_the_season_can_be_scored_apart_from_the_bookkeeping():
    from lslib.analysis.shortcuts import BOOKKEEPING_FEATURES

    rng = np.random.default_rng(4)
    stack, windows = _stack_and_windows(120, rng, stagger=True)
    doy = timing_features(stack, windows)["end_doy_cos"].to_numpy()
    windows["label"] = doy > np.median(doy)  # the season decides, the bookkeeping does not
    assert timing_shortcut_auroc(stack, windows, seed=0) > 0.8
    assert abs(timing_shortcut_auroc(stack, windows, seed=0, features=BOOKKEEPING_FEATURES) - 0.5) < 0.1
    with pytest.raises(ValueError, match="unknown timing features"):
        timing_shortcut_auroc(stack, windows, features=("cloud_share",))
