"""The tabular window features of :func:`lslib.data.window_features.matched_window_features`."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from lslib.data.indices import ndvi_stack
from lslib.data.qa import encode_qa, invalid_mask
from lslib.data.schema import SchemaError
from lslib.data.sim import simulate
from lslib.data.tasks import forecast_table
from lslib.data.window_features import (
    NEUTRAL_NDVI,
    matched_window_features,
    window_frame_columns,
    window_hand_feature_names,
)

FRAMES = 4
SAR_FRAMES = 4
CLEAR = int(encode_qa(cloud=False, dilated=False, cirrus=False, shadow=False, water=False))


@pytest.fixture(scope="module")
def base() -> xr.Dataset:
    return simulate(regions=["india"], n_sites=6, n_times=12, size=16, seed=0).load()


@pytest.fixture
def stack(base) -> xr.Dataset:
    """A fresh copy each test may edit."""
    return base.copy(deep=True)


def windows_of(stack: xr.Dataset) -> pd.DataFrame:
    return forecast_table(stack, 32.0, window_frames=FRAMES, sar_frames=SAR_FRAMES)


def expected_columns(frames: int) -> list[str]:
    place = ["doy_sin", "doy_cos", "lat_sin", "lon_sin", "lon_cos"]
    sar = [f"sar_{pol}_{kind}_db" for kind in ("change", "std", "last") for pol in ("vv", "vh")]
    return list(window_hand_feature_names) + window_frame_columns(frames) + place + sar


def naive_row(stack: xr.Dataset, window: pd.Series) -> dict[str, float]:
    """One window's features the slow, obvious way (the reference the vectorised code must match)."""
    site = int(window["site"])
    frames = np.arange(window["start"], window["end"] + 1)
    frames = frames[~np.isnat(stack["date"].values[site, frames])]
    pixels = ndvi_stack(stack).values[site, frames].reshape(len(frames), -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        series = np.nanmedian(pixels, axis=1)
    series = np.where(np.isfinite(series), series, np.nanmean(series) if np.isfinite(series).any() else NEUTRAL_NDVI)
    sar_frames = np.arange(window["sar_start"], window["sar_end"] + 1)
    sar_frames = sar_frames[~np.isnat(stack["sar_date"].values[site, sar_frames])]
    sar = stack["sar"].values[site, sar_frames].astype(float)  # (S, pol, y, x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        level = np.nanmean(sar.reshape(len(sar_frames), 2, -1), axis=-1)  # (S, pol)
        std = np.nanmean(np.nanstd(sar, axis=0).reshape(2, -1), axis=-1)
    half = max(1, len(sar_frames) // 2)
    change = np.nanmean(level[-2:], axis=0) - np.nanmean(level[:half], axis=0)
    row = {
        "ndvi_mean": series.mean(),
        "ndvi_drop": series[: max(1, len(series) // 2)].mean() - series[-2:].mean(),
        "slope_p90_deg": np.percentile(stack["slope"].values[site], 90),
        "rain_30d_mm": float(stack["rain_30d"].values[site, frames[-1]]),
    }
    for k, frame in enumerate(frames, start=1):
        row[f"ndvi_f{k}"] = series[k - 1]
        row[f"cloud_f{k}"] = invalid_mask(stack["qa_pixel"].values[site, frame]).mean()
        row[f"rain1d_f{k}"] = np.log1p(stack["rain_1d"].values[site, frame])
        row[f"temp_f{k}"] = stack["temperature"].values[site, frame]
    for index, pol in enumerate(("vv", "vh")):
        row[f"sar_{pol}_change_db"] = change[index]
        row[f"sar_{pol}_std_db"] = std[index]
        row[f"sar_{pol}_last_db"] = level[-1, index]
    return row


def assert_matches_naive(stack: xr.Dataset, windows: pd.DataFrame, features: pd.DataFrame) -> None:
    for row in range(len(windows)):
        for name, value in naive_row(stack, windows.iloc[row]).items():
            assert features.iloc[row][name] == pytest.approx(value, rel=1e-6, abs=1e-6), (row, name)


def test_one_float_row_per_window_with_named_columns_and_no_nan(stack):
    windows = windows_of(stack)
    assert len(windows) > 10
    shuffled = windows.sample(frac=1.0, random_state=0)  # the order (and index) of the windows is kept
    features = matched_window_features(stack, shuffled)
    assert features.shape == (len(windows), 8 + 6 * FRAMES + 5 + 6)
    assert features.columns.tolist() == expected_columns(FRAMES)
    assert features.index.equals(shuffled.index)
    assert (features.dtypes == np.float64).all()
    assert np.isfinite(features.to_numpy()).all()
    assert features[list(window_hand_feature_names)].shape == (len(windows), 8)
    assert_matches_naive(stack, shuffled.iloc[:8], features.iloc[:8])


def test_the_cloud_column_is_the_qa_masked_share_of_that_frame(stack):
    windows = windows_of(stack)
    window = windows.iloc[len(windows) // 2]
    features = matched_window_features(stack, windows).iloc[len(windows) // 2]
    site, frame = int(window["site"]), int(window["start"]) + 2  # no missing dates: frame 3 is start + 2
    masked = invalid_mask(stack["qa_pixel"].values[site, frame])
    assert features["cloud_f3"] == pytest.approx(masked.mean())
    assert features[[f"cloud_f{k}" for k in range(1, FRAMES + 1)]].min() >= 0.0


def test_ndvi_falling_in_the_last_frames_gives_a_positive_drop(stack):
    windows = windows_of(stack)
    window = windows.iloc[0]
    site, start, end = int(window["site"]), int(window["start"]), int(window["end"])
    red, nir = list(stack["band"].values).index("red"), list(stack["band"].values).index("nir08")
    reflectance = stack["reflectance"].values
    reflectance[site, start : end + 1, red] = 0.05
    reflectance[site, start : end + 1, nir] = 0.40  # NDVI 0.78: forest
    reflectance[site, end - 1 : end + 1, red] = 0.30  # the last two frames: bare (NDVI ~ 0.14)
    stack["qa_pixel"].values[site, start : end + 1] = CLEAR
    features = matched_window_features(stack, windows.iloc[[0]]).iloc[0]
    assert features["ndvi_drop"] == pytest.approx(0.78 - 0.14, abs=0.01)
    assert features["ndvi_f1"] == pytest.approx(0.78, abs=0.01)
    assert features[f"ndvi_f{FRAMES}"] == pytest.approx(0.14, abs=0.01)
    assert features["ndvi_min"] == pytest.approx(0.14, abs=0.01)
    assert features["bare_share_max"] == 1.0  # a whole frame below NDVI 0.3
    assert features["cloud_f1"] == 0.0


def test_the_rain_is_read_at_the_window_s_last_frame(stack):
    windows = windows_of(stack)
    features = matched_window_features(stack, windows)
    sites, ends = windows["site"].to_numpy(), windows["end"].to_numpy()
    np.testing.assert_allclose(features["rain_7d_mm"], stack["rain_7d"].values[sites, ends])
    np.testing.assert_allclose(features["rain_30d_mm"], stack["rain_30d"].values[sites, ends])
    np.testing.assert_allclose(features[f"rain7d_f{FRAMES}"], np.log1p(stack["rain_7d"].values[sites, ends]))
    np.testing.assert_allclose(features[f"temp_f{FRAMES}"], stack["temperature"].values[sites, ends], rtol=1e-6)


def test_constant_radar_has_no_change_and_no_spread(stack):
    stack["sar"].values[:, :, 0] = -9.0
    stack["sar"].values[:, :, 1] = -15.5
    features = matched_window_features(stack, windows_of(stack))
    for pol in ("vv", "vh"):
        np.testing.assert_allclose(features[f"sar_{pol}_change_db"], 0.0, atol=1e-9)
        np.testing.assert_allclose(features[f"sar_{pol}_std_db"], 0.0, atol=1e-9)
    np.testing.assert_allclose(features["sar_vv_last_db"], -9.0)
    np.testing.assert_allclose(features["sar_vh_last_db"], -15.5)


def test_a_radar_step_shows_as_change(stack):
    windows = windows_of(stack).iloc[[0]]
    site, last = int(windows["site"].iloc[0]), int(windows["sar_end"].iloc[0])
    stack["sar"].values[site] = -10.0
    stack["sar"].values[site, last - 1 : last + 1, 0] = -7.0  # VV up 3 dB in the last two frames
    features = matched_window_features(stack, windows).iloc[0]
    assert features["sar_vv_change_db"] == pytest.approx(3.0)
    assert features["sar_vh_change_db"] == pytest.approx(0.0)
    assert features["sar_vv_std_db"] == pytest.approx(1.5)  # values -10, -10, -7, -7: std 1.5
    assert features["sar_vv_last_db"] == pytest.approx(-7.0)


def test_missing_dates_cloudy_frames_and_radar_gaps_are_handled(stack):
    windows = windows_of(stack)
    window = windows.iloc[3].copy()
    site = int(window["site"])
    stack["date"].values[site, window["start"] + 1] = np.datetime64("NaT")  # a missing acquisition inside
    window["start"] -= 1  # still FRAMES valid frames
    stack["sar_date"].values[site, window["sar_start"] + 1] = np.datetime64("NaT")
    stack["sar"].values[site, window["sar_end"], 0, :4] = np.nan  # a radar frame with missing pixels
    stack["qa_pixel"].values[site, window["end"]] = 1 << 3  # the last frame fully cloudy: its NDVI is filled
    table = pd.DataFrame([window]).astype(dict.fromkeys(("site", "start", "end", "sar_start", "sar_end"), np.int64))
    features = matched_window_features(stack, table)
    assert np.isfinite(features.to_numpy()).all()
    assert features[f"cloud_f{FRAMES}"].iloc[0] == 1.0
    assert_matches_naive(stack, table, features)


def test_a_window_without_any_clear_pixel_gets_the_neutral_ndvi(stack):
    windows = windows_of(stack).iloc[[0]]
    site, start, end = (int(windows[name].iloc[0]) for name in ("site", "start", "end"))
    stack["qa_pixel"].values[site, start : end + 1] = 1 << 3
    features = matched_window_features(stack, windows).iloc[0]
    assert features["ndvi_mean"] == NEUTRAL_NDVI and features["ndvi_drop"] == 0.0
    assert features["bare_share_max"] == 0.0


def test_windows_of_a_few_sites_give_the_rows_they_give_among_all(stack):
    windows = windows_of(stack)
    every = matched_window_features(stack, windows)
    few = windows[windows["site"] == windows["site"].iloc[-1]]
    pd.testing.assert_frame_equal(matched_window_features(stack, few), every.loc[few.index])


def test_no_windows_give_an_empty_table(stack):
    features = matched_window_features(stack, windows_of(stack).iloc[:0])
    assert len(features) == 0 and features.columns.tolist() == expected_columns(1)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda w: w.drop(columns="sar_end"), "lacks columns \\['sar_end'\\]"),
        (lambda w: w.assign(site=w["site"] + 100), "windows\\['site'\\] holds 10"),
        (lambda w: w.assign(start=w["end"], end=w["start"]), "window 0: start=4 is after end=1"),
        (lambda w: w.assign(start=w["start"] + np.arange(len(w)) % 2), "same number of valid Landsat frames"),
        (lambda w: w.assign(start=w["start"].astype(float)), "must hold integer indices"),
    ],
)
def test_bad_windows_are_refused_with_a_clear_message(stack, edit, message):
    with pytest.raises(ValueError, match=message):
        matched_window_features(stack, edit(windows_of(stack)))


def test_a_stack_without_radar_is_refused(stack):
    with pytest.raises(SchemaError, match="sar"):
        matched_window_features(stack.drop_vars("sar"), windows_of(stack))


def test_frame_column_names_need_a_positive_count():
    assert window_frame_columns(1) == ["ndvi_f1", "cloud_f1", "rain1d_f1", "rain7d_f1", "rain30d_f1", "temp_f1"]
    with pytest.raises(ValueError, match="frames must be an integer >= 1, got 0"):
        window_frame_columns(0)
