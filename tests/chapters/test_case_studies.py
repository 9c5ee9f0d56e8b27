"""Chapter 2's case studies on real data and on the simulated Malin."""

import numpy as np
import pandas as pd
import pytest

from lslib.chapters import case_studies
from lslib.data.calibration import eolearn_patch, mud_creek_series


@pytest.fixture(autouse=True)
def _mirror(mirror, monkeypatch):
    monkeypatch.setenv("LSLIB_DATA_MIRROR", str(mirror))


@pytest.fixture(scope="module")
def malin(mirror):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LSLIB_DATA_MIRROR", str(mirror))
        totals = case_studies.imd_totals("Madhya Maharashtra", "2013-06-01", "2015-02-28")
        return case_studies.simulate_malin(totals, seed=0)


def test_the_simulated_malin_follows_the_record(malin):
    stack, truth = malin
    assert pd.Timestamp("2014-07-28") <= pd.Timestamp(stack["event_time"].values[0]) <= pd.Timestamp("2014-07-30")
    frames = [case_studies.nearest_clear(stack, d) for d in case_studies.MALIN_SEED_DATES]
    assert [str(stack["date"].values[0, f])[:10] for f in frames] == list(case_studies.MALIN_SEED_DATES)
    assert (stack["cloud_fraction"].values[0, frames] == 0).all()
    series = case_studies.area_series(stack, case_studies.scar_aoi(stack))
    before = series[series.index < "2014-07-28"].dropna()
    assert (before["ndvi_in"] - before["ndvi_out"]).iloc[-2:].mean() < -0.1  # the cleared slope is browner
    july = stack["rain_daily"].to_series().loc[(0, slice("2014-07-01", "2014-07-31"))].sum()
    assert july > 277.9  # the IMD month plus the local storm


def test_dates_outside_the_data_are_refused(malin):
    with pytest.raises(ValueError, match="2019-01-01 is outside the frames' range"):
        case_studies.nearest_clear(malin[0], "2019-01-01")


def test_mud_creek_trend_on_the_real_series():
    trend = case_studies.mudcreek_trend(mud_creek_series(), n_boot=300, n_perm=300)
    assert trend["n_dates"] >= 8
    assert trend["ci_low"] <= trend["slope_per_year"] <= trend["ci_high"]
    assert 0 < trend["mk_p"] <= 1 and 0 < trend["perm_p"] <= 1
    # allowing for serial correlation never makes the evidence look stronger than treating dates as independent
    assert trend["mk_p"] >= trend["mk_p_naive"] - 1e-12
    assert trend["block_dates"] >= 2
    verdict = case_studies.trend_verdict(trend)
    assert ("cannot tell" in verdict) == (trend["ci_low"] <= 0 <= trend["ci_high"] and trend["mk_p"] >= 0.05)
    assert ("is mixed" in verdict) == ((trend["ci_low"] <= 0 <= trend["ci_high"]) == (trend["mk_p"] < 0.05))
    with pytest.raises(ValueError, match="Only 0 dates"):
        case_studies.mudcreek_trend(mud_creek_series(), failure="2015-10-01")


def test_big_sur_rain_is_daily_millimetres():
    rain = case_studies.big_sur_rain()
    assert (rain >= 0).all() and rain.index.is_monotonic_increasing
    water_year = rain.loc["2016-09-01":"2017-07-15"].sum()
    assert 1500 < water_year < 2000  # 72.75 inches


def test_real_clouds_bias_a_naive_mean():
    bias = case_studies.eolearn_cloud_bias(eolearn_patch())
    assert bias["cloudy_fraction"] == pytest.approx(27 / 68)
    assert bias["naive_mean_bias"] < -0.05  # clouds look like bare ground
    assert np.nanmedian(bias["clear_series"]) > np.nanmedian(bias["raw_series"])


def test_the_chapter_runs_without_the_mirror_and_says_so(project, tmp_path, monkeypatch):
    """No mirror and no network: visible notices, the simulated Malin, and no half-rendered chapter."""
    from lslib.book import pipeline

    monkeypatch.delenv("LSLIB_DATA_MIRROR", raising=False)
    monkeypatch.setenv("LSLIB_CACHE_DIR", str(tmp_path / "empty-cache"))
    report = pipeline.run(project, "smoke", only=["02"], run_dir=tmp_path / "run", echo=lambda *_: None)
    (chapter,) = report["chapters"]
    assert chapter["status"] == "ok"
    text = (tmp_path / "run" / "02_case_studies.ipynb").read_text()
    assert "could not be read, so this part is skipped" in text
    assert "malin_ndvi_gap_before_slide" in chapter["metrics"]


def test_the_trend_verdict_follows_the_corrected_numbers():
    quiet = {"ci_low": -0.1, "ci_high": 0.2, "mk_p": 0.4, "perm_p": 0.3, "mk_p_naive": 0.01, "perm_p_naive": 0.02}
    assert case_studies.trend_verdict(quiet).startswith("this short series cannot tell")
    assert "is not distinguishable" in case_studies.trend_verdict(quiet)
    assert "would have given p 0.01" in case_studies.trend_verdict(quiet)
    changed = {**quiet, "ci_low": 0.05, "mk_p": 0.01, "perm_p": 0.001}
    assert case_studies.trend_verdict(changed).startswith("the difference changed")
    mixed = {**quiet, "ci_low": 0.05}
    assert case_studies.trend_verdict(mixed).startswith("the evidence for a change in the last months is mixed")
    assert "is distinguishable" in case_studies.trend_verdict(changed)
