"""Metrics against known values; baselines and the task window."""

import numpy as np
import pytest

from lslib.data import qa
from lslib.data.distributions import ks_distance, lag1_autocorrelation
from lslib.data.tasks import frames_before_reference
from lslib.evaluation.classification import auroc, roc_curve
from lslib.models.baselines import ndvi_drop_score


def test_auroc_known_values_and_ties():
    assert auroc([0, 1], [0.1, 0.9]) == 1.0
    assert auroc([0, 1], [0.9, 0.1]) == 0.0
    assert auroc([0, 0, 1, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5
    rng = np.random.default_rng(0)
    labels = rng.random(2000) < 0.3
    assert abs(auroc(labels, rng.random(2000)) - 0.5) < 0.05
    with pytest.raises(ValueError, match="needs both classes"):
        auroc([1, 1], [0.2, 0.3])


def test_roc_curve_area_matches_auroc():
    rng = np.random.default_rng(1)
    labels = rng.random(300) < 0.4
    scores = labels + rng.normal(0, 1, 300)
    fpr, tpr = roc_curve(labels, scores)
    assert np.trapezoid(tpr, fpr) == pytest.approx(auroc(labels, scores), abs=1e-9)


def test_ks_and_autocorrelation_known_cases():
    assert ks_distance([0, 1, 2], [10, 11, 12]) == 1.0
    noise = np.random.default_rng(0).normal(size=(64, 64))
    assert abs(lag1_autocorrelation(noise)) < 0.05
    assert lag1_autocorrelation(np.ones((8, 8))) != lag1_autocorrelation(np.ones((8, 8)))  # NaN: undefined


def test_qa_round_trip_and_masks():
    cloud = np.array([[True, False], [False, False]])
    shadow = np.array([[False, True], [False, False]])
    water = np.array([[False, False], [True, False]])
    values = qa.encode_qa(cloud, np.zeros_like(cloud), np.zeros_like(cloud), shadow, water)
    assert values.dtype == np.uint16
    assert values[1, 1] == 21824 and values[0, 0] == 22280
    assert (values[1, 0] >> 7) & 1 == 1 and (values[1, 0] >> 6) & 1 == 1  # clear water
    assert qa.invalid_mask(values).tolist() == [[True, True], [False, False]]
    assert float(qa.cloud_fraction(values)) == 0.5
    fill = qa.encode_qa(False, False, False, False, False, fill=True)
    assert int(fill) == 1 and bool(qa.invalid_mask(fill))


def test_ndvi_drop_counts_vegetation_lost_to_bare_ground_not_browning():
    frames = np.full((3, 8, 4), 0.8)  # 3 sites, 8 frames, 4 pixels
    frames[0, 5:, :2] = 0.15  # half the pixels cleared
    frames[1, 5:, :] = 0.45  # seasonal browning everywhere: not bare
    frames[2, 5:, :] = np.nan  # clouds at the end: the latest clear view is still vegetated
    scores = ndvi_drop_score(frames, np.ones((3, 8), bool))
    assert scores.tolist() == [0.5, 0.0, 0.0]
    too_short = np.zeros((3, 8), bool)
    too_short[:, :2] = True
    assert ndvi_drop_score(frames, too_short).tolist() == [0.0, 0.0, 0.0]


def test_a_window_never_includes_the_reference_frame():
    import xarray as xr

    dates = np.array([["2017-01-01", "2017-01-17", "2017-02-02"]], dtype="datetime64[ns]")
    ds = xr.Dataset(
        {
            "date": (("site", "time"), dates),
            "reference_time": (("site",), np.array(["2017-01-17"], dtype="datetime64[ns]")),
        }
    )
    assert frames_before_reference(ds).tolist() == [[True, False, False]]
    assert frames_before_reference(ds, lead_days=20).tolist() == [[False, False, False]]


def test_probability_metrics_known_values():
    from lslib.evaluation.calibration import brier, expected_calibration_error
    from lslib.evaluation.classification import auprc, best_threshold, f1_at

    labels = np.array([0, 0, 1, 1, 1])
    assert auprc(labels, [0.1, 0.2, 0.9, 0.8, 0.7]) == 1.0
    assert auprc([1, 0, 1], [0.9, 0.8, 0.7]) == pytest.approx((1 + 2 / 3) / 2)
    assert brier([1, 0], [0.8, 0.2]) == pytest.approx(0.04)
    assert f1_at(labels, [0.1, 0.2, 0.9, 0.8, 0.7], 0.5) == 1.0 and f1_at(labels, np.zeros(5), 0.5) == 0.0
    assert best_threshold(labels, [0.1, 0.2, 0.9, 0.8, 0.7]) == 0.7
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 20000)
    calibrated = rng.uniform(0, 1, 20000) < p
    assert expected_calibration_error(calibrated, p) < 0.02
    assert expected_calibration_error(calibrated, p**3) > 0.1


def test_bootstrap_interval_and_temperature_scaling():
    from lslib.evaluation.calibration import fit_temperature
    from lslib.evaluation.classification import sigmoid
    from lslib.evaluation.resampling import bootstrap_ci

    rng = np.random.default_rng(1)
    labels = rng.random(400) < 0.4
    scores = labels + rng.normal(0, 1.0, 400)
    value, low, high = bootstrap_ci(auroc, labels, scores, n_boot=300)
    assert low < value < high and high - low < 0.15
    true_logits = rng.normal(0, 2, 5000)
    outcomes = rng.random(5000) < sigmoid(true_logits)
    assert fit_temperature(true_logits * 3, outcomes) == pytest.approx(3.0, rel=0.15)  # overconfident by 3


def test_auprc_does_not_depend_on_the_order_of_tied_scores():
    from lslib.evaluation.classification import auprc

    assert auprc([1, 0], [0.5, 0.5]) == auprc([0, 1], [0.5, 0.5]) == 0.5


def test_leaks_are_refused_and_the_random_forest_is_reproducible():
    from lslib.data.dataset import LandslideDataset
    from lslib.data.sim import simulate
    from lslib.data.tasks import assert_no_leak
    from lslib.models.baselines import random_forest_baseline

    stack = simulate(n_sites=12, n_times=8, size=16, seed=3)
    with pytest.raises(ValueError, match="would leak the outcome"):
        assert_no_leak(stack["date"].values[0], stack["reference_time"].values[0])
    windows = LandslideDataset(stack, split=None, leads=(1,))
    windows._encoded["reference_time"] = windows._encoded["date"][:, 0].copy()  # an event before the window ends
    with pytest.raises(ValueError, match="would leak the outcome"):
        windows[0]
    rng = np.random.default_rng(0)
    labels = np.tile([0, 1], 30)
    features = labels[:, None] + rng.normal(0, 1.0, (60, 8))
    forest = random_forest_baseline(features, labels, seed=0)
    again = random_forest_baseline(features, labels, seed=0)
    np.testing.assert_array_equal(forest.predict_proba(features), again.predict_proba(features))
    with pytest.raises(ValueError, match="both classes"):
        random_forest_baseline(features, np.zeros(len(labels)))


def test_ssim_is_scikit_image_s_on_each_band_averaged():
    from skimage.metrics import structural_similarity

    from lslib.evaluation.images import ssim

    rng = np.random.default_rng(0)
    truth = rng.random((3, 32, 32))
    prediction = np.clip(truth + rng.normal(0, 0.1, truth.shape), 0, 1)
    per_band = [
        structural_similarity(
            prediction[c], truth[c], data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
        )
        for c in range(3)
    ]
    assert ssim(prediction, truth, 1.0) == pytest.approx(np.mean(per_band), abs=1e-12)
    # the padded border (half of a 32 px patch) no longer enters the mean: the 5 px strip a window
    # cannot cover is left out, as published
    from scipy import ndimage

    def blur(image):
        return ndimage.gaussian_filter(image, sigma=(0, 1.5, 1.5), mode="reflect", truncate=3.5)

    c1, c2 = 0.01**2, 0.03**2
    mx, my = blur(prediction), blur(truth)
    vx, vy = blur(prediction**2) - mx**2, blur(truth**2) - my**2
    index = ((2 * mx * my + c1) * (2 * (blur(prediction * truth) - mx * my) + c2)) / (
        (mx**2 + my**2 + c1) * (vx + vy + c2)
    )
    assert ssim(prediction, truth, 1.0) == pytest.approx(index[:, 5:-5, 5:-5].mean(), abs=1e-9)
    assert abs(index.mean() - index[:, 5:-5, 5:-5].mean()) > 1e-4


def test_lhasa_ranks_extreme_recent_rain_on_steep_ground_and_never_reads_ahead():
    from lslib.models.baselines import lhasa_score

    rng = np.random.default_rng(0)
    rain = rng.gamma(0.5, 4.0, size=(3, 400))
    rain[0, 390:397] += 80.0  # site 0: the wettest week of its year ends on day 396
    slope = np.stack([np.full((8, 8), 35.0), np.full((8, 8), 35.0), np.full((8, 8), 8.0)])
    rain[2] = rain[0]  # the same storm on flat ground
    ends = np.array([396, 396, 396])
    scores = lhasa_score(rain, ends, slope)
    assert scores[0] == pytest.approx(1.0) and scores[2] == 0.0 and scores[1] < 0.9
    later = rain.copy()
    later[:, 397:] = 500.0  # rain after the window's end changes nothing
    np.testing.assert_array_equal(lhasa_score(later, ends, slope), scores)
    half = slope.copy()
    half[0, :4] = 10.0  # half the site is gentle: half the susceptibility
    assert lhasa_score(rain, ends, half)[0] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="rows differ"):
        lhasa_score(rain, ends[:2], slope)
    with pytest.raises(ValueError, match="window_days"):
        lhasa_score(rain, ends, slope, window_days=0)
