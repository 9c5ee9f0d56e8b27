"""Every chapter ends in summary(): findings whose sentences follow the numbers they are built from.

Each test feeds a chapter's summary hand-made metrics on both sides of a threshold and checks that the
answer flips, that the key number and interval are the ones the chapter recorded, and that every
finding says whether it rests on real or simulated data.
"""

from __future__ import annotations

import math

import pytest

from lslib.book.report import Finding
from lslib.chapters import acquisition, case_studies, cgan_scenarios, cross_continent, predictor, vae


def _by_question(findings: list[Finding], words: str) -> Finding:
    (finding,) = [f for f in findings if words in f.question]
    return finding


def _check_shape(findings: list[Finding]) -> None:
    assert findings and all(isinstance(f, Finding) for f in findings)
    assert all(f.provenance in ("real", "simulated") and f.answer.endswith(".") for f in findings)
    assert all(f.question.endswith("?") for f in findings)
    for finding in findings:  # the run report takes every finding as it is
        assert Finding.from_json(finding.as_json()) == finding


# --- chapter 1 ---------------------------------------------------------------------------------

ACQUISITION = {
    "glc_rain_share_of_known_triggers": 0.97,
    "glc_n_events": 11032,
    "cloud_ks": 0.2,
    "ndvi_amplitude_ratio_eolearn": 0.85,
    "ndvi_amplitude_ratio_eolearn_america": 0.9,
    "ndvi_amplitude_ratio_eolearn_china": 0.6,
    "ndvi_amplitude_ratio_eolearn_india": 0.85,
    "auroc_ndvi_threshold": 0.62,
    "auroc_fs_oracle_lead1": 0.75,
    "oracle_scenario_auroc": 0.6,
    "oracle_scenario_auroc_low": 0.5,
    "oracle_scenario_auroc_high": 0.7,
    "oracle_fs_auroc_lead1": 0.75,
    "oracle_fs_auroc_lead1_low": 0.65,
    "oracle_fs_auroc_lead1_high": 0.85,
    "oracle_fs_auroc_lead2": 0.7,
    "oracle_fs_common_sites": 80,
    "oracle_fs_common_auroc_lead1": 0.76,
    "oracle_fs_common_auroc_lead2": 0.74,
    "slope_slide_auroc": 0.8,
    "slope_initiation_share_25_45": 0.75,
    "positives_rain_undisturbed_share": 0.5,
    "slides_per_cause": {"heavy_rainfall": 150, "mining": 31, "construction": 28},
    "min_slides_per_cause": 28,
    "qa_omission_rate": 0.1,
    "qa_commission_rate": 0.03,
    "qa_shadow_omission_rate": 0.37,
    "sar_clearcut_contrast_db": -1.7,
    "ndvi_noise_stable_sim": 0.07,
    "ndvi_noise_stable_eolearn": 0.054,
    "sim_seconds": 30.0,
    "sim_sizes": {"n_sites": 600, "n_times": 24, "n_workers": 2},
}


def test_acquisition_summary_follows_rain_clouds_vegetation_and_difficulty():
    findings = acquisition.summary(ACQUISITION)
    _check_shape(findings)
    rain = _by_question(findings, "trigger")
    assert rain.answer.startswith("Mostly rain: 97%") and "11,032" in rain.answer and rain.provenance == "real"
    assert _by_question(findings, "clouds").answer.startswith("Yes")
    vegetation = _by_question(findings, "forest season")
    assert vegetation.answer.startswith("In america, india only") and "china 0.60" in vegetation.answer
    task = _by_question(findings, "neither trivial")
    assert task.answer.startswith("Yes") and "a cue, not the answer" in task.answer and task.key_number == 0.62
    assert _by_question(findings, "give the label away").answer.startswith("No: ")
    ceiling = _by_question(findings, "hidden state tell")
    assert ceiling.answer.startswith("Less than hoped, a goal missed") and ceiling.interval == (0.65, 0.85)
    assert "0.75, 0.70 at leads 1-2" in ceiling.answer and "not a bound" in ceiling.answer
    assert (
        _by_question(findings, "steep slopes").answer.startswith("Yes")
        and "75%" in _by_question(findings, "steep").answer
    )
    mix = _by_question(findings, "commonest way")
    assert mix.answer.startswith("Yes: 50%") and "the fewest has 28" in mix.answer
    sensors = _by_question(findings, "sensors")
    assert sensors.answer.startswith("Within every range") and "-1.7 dB" in sensors.answer and "0.054" in sensors.answer
    assert "checks the implementation" in sensors.answer
    assert _by_question(findings, "fast enough").answer.startswith(
        "Yes: 600 sites of 24 frames took 30 s to simulate with 2 worker processes"
    )

    flipped = acquisition.summary(
        {
            **ACQUISITION,
            "glc_rain_share_of_known_triggers": 0.4,
            "cloud_ks": 0.3,
            "ndvi_amplitude_ratio_eolearn_china": 1.0,
            "auroc_ndvi_threshold": 0.95,
            "oracle_scenario_auroc": 0.82,
            "oracle_fs_auroc_lead1": 0.85,
            "slope_slide_auroc": 0.55,
            "positives_rain_undisturbed_share": 0.2,
            "min_slides_per_cause": 31,
            "qa_omission_rate": 0.0,
            "sim_seconds": 75.0,
        }
    )
    assert _by_question(flipped, "trigger").answer.startswith("Not mostly rain: rain triggered 40%")
    assert _by_question(flipped, "clouds").answer.startswith("No")
    assert _by_question(flipped, "forest season").answer.startswith("Yes, in every region")
    assert _by_question(flipped, "neither trivial").answer.startswith("Too easy")
    assert _by_question(flipped, "give the label away").answer.startswith("Partly, a goal missed")
    assert _by_question(flipped, "hidden state tell").answer.startswith("Yes")
    assert _by_question(flipped, "steep slopes").answer.startswith("Too weakly, a goal missed")
    flipped_mix = _by_question(flipped, "commonest way").answer
    assert flipped_mix.startswith("No, a goal missed") and "Every cause has at least 30" in flipped_mix
    assert _by_question(flipped, "sensors").answer.startswith("Not within every range, a goal missed")
    shadowless = acquisition.summary({**ACQUISITION, "qa_shadow_omission_rate": 0.9})
    assert _by_question(shadowless, "sensors").answer.startswith("Not within every range")
    one_region = {k: v for k, v in ACQUISITION.items() if k != "ndvi_amplitude_ratio_eolearn_china"}
    china_missing = _by_question(
        acquisition.summary({**one_region, "ndvi_amplitude_ratio_eolearn_india": 1.0}), "season"
    )
    assert china_missing.answer.startswith("In america, india only") and "not measured in china" in china_missing.answer
    close_call = acquisition.summary({**ACQUISITION, "oracle_scenario_auroc_high": 0.75})
    assert "margin is not certain" in _by_question(close_call, "give the label away").answer
    assert _by_question(flipped, "fast enough").answer.startswith("No, a goal missed")


def test_a_summary_reads_missing_metrics_as_not_measured():
    findings = acquisition.summary({})
    assert all(f.answer.startswith("Not measured") for f in findings)
    assert all(f.key_number is None or math.isnan(f.key_number) for f in findings)


# --- chapter 2 ---------------------------------------------------------------------------------

CASES = {
    "malin_july2014_rain_percentile": 64.8,
    "malin_july2014_rain_mm": 277.9,
    "malin_ndvi_gap_before_slide": -0.32,
    "malin_imagery_source": "simulated:lslib.data.sim",
    "mudcreek_ndvi_diff_trend": -0.18,
    "mudcreek_ndvi_diff_trend_ci": [-0.33, 0.06],
    "mudcreek_mk_p": 0.3,
    "eolearn_naive_mean_ndvi_bias": -0.14,
    "eolearn_cloudy_fraction": 0.4,
}


def test_case_studies_summary_flips_at_each_threshold():
    findings = case_studies.summary(CASES)
    _check_shape(findings)
    assert _by_question(findings, "monsoon").answer.startswith("No: July 2014 brought 278 mm")
    cue = _by_question(findings, "browner")
    assert cue.answer.startswith("Yes") and "by construction" in cue.answer and cue.provenance == "simulated"
    mud = _by_question(findings, "Mud Creek")
    assert mud.answer.startswith("Cannot tell") and mud.interval == (-0.33, 0.06) and mud.provenance == "real"
    assert _by_question(findings, "clouds").answer.startswith("Yes: 40%")

    flipped = case_studies.summary(
        {
            **CASES,
            "malin_july2014_rain_percentile": 95.0,
            "malin_ndvi_gap_before_slide": 0.0,
            "malin_imagery_source": "stac:landsat-c2-l2",
            "mudcreek_ndvi_diff_trend_ci": [-0.3, -0.02],
            "mudcreek_mk_p": 0.01,
            "eolearn_naive_mean_ndvi_bias": -0.01,
        }
    )
    assert _by_question(flipped, "monsoon").answer.startswith("Yes")
    cue = _by_question(flipped, "browner")
    assert cue.answer.startswith("No") and "construction" not in cue.answer and cue.provenance == "real"
    assert _by_question(flipped, "Mud Creek").answer.startswith("Yes")
    assert _by_question(flipped, "clouds").answer.startswith("Hardly")
    greener = case_studies.summary(
        {**CASES, "mudcreek_ndvi_diff_trend": 0.2, "mudcreek_ndvi_diff_trend_ci": [0.05, 0.3], "mudcreek_mk_p": 0.01}
    )
    assert _by_question(greener, "Mud Creek").answer.startswith("No, it greened")
    mixed = case_studies.summary({**CASES, "mudcreek_ndvi_diff_trend_ci": [-0.3, -0.02], "mudcreek_mk_p": 0.46})
    assert (
        _by_question(mixed, "Mud Creek").answer.startswith("Mixed")
        and "p 0.46" in _by_question(mixed, "Mud Creek").answer
    )


def test_case_studies_summary_without_real_data_says_so():
    findings = case_studies.summary({"malin_ndvi_gap_before_slide": -0.3})
    mud = _by_question(findings, "Mud Creek")
    assert mud.answer.startswith("Not measured") and mud.interval is None
    assert _by_question(findings, "monsoon").answer.startswith("Not measured")


# --- chapter 3 ---------------------------------------------------------------------------------

VAE = {
    "vae_recon_mse": 0.7,
    "sim2real_latent_ndvi_corr": -0.92,
    "sim2real_frames": 39,
    **{
        f"probe_{t}_{k}": v
        for t in ("region", "season", "cause")
        for k, v in (("acc_latent", 0.5), ("acc_pca", 0.6), ("chance", 0.34))
    },
}


def test_vae_summary_compares_each_probe_with_chance():
    findings = vae.summary(VAE)
    _check_shape(findings)
    assert len(findings) == 5
    assert _by_question(findings, "keep").answer.startswith("Part of each frame")
    region = _by_question(findings, "the region")
    assert region.answer.startswith("Yes, above chance") and region.key_number == 0.5 and "34%" in region.answer
    sim2real = _by_question(findings, "real frames")
    assert sim2real.answer.startswith("Yes") and "0.92" in sim2real.answer and sim2real.provenance == "real"

    flipped = vae.summary(
        {**VAE, "vae_recon_mse": 1.2, "probe_season_acc_latent": 0.3, "sim2real_latent_ndvi_corr": 0.2}
    )
    assert _by_question(flipped, "keep").answer.startswith("Little")
    assert _by_question(flipped, "season of acquisition").answer.startswith("No")
    assert _by_question(flipped, "the region").answer.startswith("Yes")
    assert _by_question(flipped, "real frames").answer.startswith("No")
    missing = vae.summary({k: v for k, v in VAE.items() if not k.startswith("sim2real")})
    assert _by_question(missing, "real frames").answer.startswith("Not measured")


# --- chapter 4 ---------------------------------------------------------------------------------

PREDICTOR = {
    "auroc_ensemble": 0.80,
    "auroc_gbm_matched": 0.74,
    "auroc_diff_gbm_ci": [0.02, 0.10],
    "auroc_diff_gbm_ci_low": 0.02,
    "attainable_share_lead1": 0.7,
    "attainable_share_lead1_ci": [0.6, 0.8],
    "attainable_share_lead2": 0.5,
    "auroc_lead1_fs_oracle": 0.85,
    "auroc_lead1_state_season_oracle": 0.88,
    "attainable_share_fs_lead1": 0.8,
    "auroc_lead1_gbm_matched": 0.75,
    "auroc_lead1_climatology": 0.70,
    "shortcut_auroc_timing": 0.52,
    "shortcut_auroc_bookkeeping": 0.5,
    "bss_ensemble": 0.05,
    "bss_ensemble_ci": [0.02, 0.08],
    "ece_ensemble": 0.01,
    "ece_plugin": 0.02,
    "ece_floor_p90": 0.015,
    "cloud_drop_attention": 0.01,
    "cloud_drop_meanpool": 0.05,
    "cloud_drop_diff": -0.04,
    "cloud_drop_diff_ci": [-0.07, -0.01],
    "cause_macro_f1": 0.5,
    "cause_macro_f1_ci": [0.4, 0.6],
    "cause_majority_macro_f1": 0.1,
    "cause_recall_earthquake": 0.0,
    "cause_recall_heavy_rainfall": 0.9,
    "auroc_diff_meanpool": -0.05,
    "auroc_diff_meanpool_ci": [-0.09, -0.01],
    "auroc_diff_no_prior": -0.01,
    "auroc_diff_no_prior_ci": [-0.04, 0.02],
    "auroc_diff_null": 0.01,
    "auroc_diff_null_ci": [-0.02, 0.03],
}


def test_predictor_summary_reads_a_goal_met_as_met():
    findings = predictor.summary(PREDICTOR)
    _check_shape(findings)
    primary = _by_question(findings, "Primary")
    assert primary.answer.startswith("Yes") and primary.interval == (0.02, 0.10)
    assert primary.key_number == pytest.approx(0.06)
    attainable = _by_question(findings, "attainable")
    assert (
        attainable.answer.startswith("Yes")
        and "lead 2: 0.50" in attainable.answer
        and "not one here" not in attainable.answer
        and "too low to fail" not in attainable.answer
        and "0.88" in attainable.answer
    )
    assert _by_question(findings, "timing alone").answer.startswith("No: ")
    assert _by_question(findings, "calibrated").answer.startswith("Yes")
    haze = _by_question(findings, "haze")
    assert haze.answer.startswith("Yes") and haze.interval == (-0.07, -0.01)
    trigger = _by_question(findings, "trigger").answer
    assert trigger.startswith("Yes") and "almost never names earthquake (recall" in trigger
    parts = _by_question(findings, "parts")
    assert parts.answer.startswith("Exploratory") and "mean pooling -0.050" in parts.answer and parts.key_number == 0.01
    assert "excludes zero" not in parts.answer
    noisy = predictor.summary({**PREDICTOR, "auroc_diff_null_ci": [0.01, 0.05]})
    assert "The null's own interval excludes zero" in _by_question(noisy, "parts").answer


def test_predictor_summary_reads_a_goal_missed_as_missed():
    missed = {
        **PREDICTOR,
        "auroc_gbm_matched": 0.79,
        "auroc_diff_gbm_ci": [-0.02, 0.04],
        "auroc_diff_gbm_ci_low": -0.02,
        "attainable_share_lead1": 0.4,
        "auroc_lead1_climatology": 0.9,
        "shortcut_auroc_timing": 0.66,
        "bss_ensemble_ci": [-0.01, 0.08],
        "cloud_drop_diff_ci": [-0.03, 0.01],
        "cause_macro_f1_ci": [0.15, 0.6],
    }
    findings = predictor.summary(missed)
    assert _by_question(findings, "Primary").answer.startswith("No (goal missed)")
    attainable = _by_question(findings, "attainable").answer
    assert attainable.startswith("No (goal missed)") and "climatology scores above it" in attainable
    assert "a bar too low to fail" in attainable  # climatology (0.9) also beats the FS oracle (0.85)
    assert _by_question(findings, "timing alone").answer.startswith("Yes, a shortcut (goal missed)")
    assert _by_question(findings, "calibrated").answer.startswith("No (goal missed)")
    assert _by_question(findings, "haze").answer.startswith("No (goal missed)")
    assert _by_question(findings, "trigger").answer.startswith("Not well (goal missed)")
    small = predictor.summary({**PREDICTOR, "auroc_gbm_matched": 0.78, "auroc_diff_gbm_ci_low": 0.001})
    assert "below the 0.03 asked" in _by_question(small, "Primary").answer


# --- chapter 5 ---------------------------------------------------------------------------------

CGAN = {
    "cgan_diversity": 0.3,
    "cgan_diversity_no_z": 0.0,
    "cgan_true_futures_apart": 1.0,
    "cgan_fd": 0.3,
    "cgan_fd_pix2pix": 0.4,
    "cgan_fd_l1only": 0.6,
    "mining_auroc": 0.8,
    "mining_auroc_baseline": 0.6,
    "mining_auroc_diff_ci_low": 0.05,
    "mining_auroc_ci": [0.7, 0.9],
    "damage_iou_bicycle": 0.05,
    "damage_iou_slope": 0.04,
    "damage_iou_all_pixels": 0.03,
    "reforest_reduction_ranked": 0.05,
    "reforest_reduction_physics_only": 0.04,
    "reforest_reduction_random": 0.02,
    "reforest_rate_before": 0.2,
    "reforest_cgan_added": 0.01,
    "reforest_cgan_added_ci": [0.002, 0.02],
    "layout_coverage_at_k": 0.5,
    "layout_coverage_random": 0.2,
    "change_magnitude_ks": 0.1,
    "mining_auroc_cgan": 0.7,
    "mining_auroc_change": 0.6,
    "mining_auroc_cgan_diff_ci_low": 0.02,
    "mining_auroc_cgan_ci": [0.65, 0.75],
    "mining_auroc_supervised": 0.9,
    "mining_auroc_supervised_ci": [0.85, 0.95],
    "mining_auroc_fewshot_real": 0.6,
    "mining_auroc_fewshot_generated": 0.65,
    "fewshot_gain_generated": 0.05,
    "fewshot_gain_generated_ci_low": 0.01,
    "fewshot_gain_generated_ci": [0.01, 0.09],
    "fewshot_pairs": {"real_mines": 10, "generated": 80, "without_mine": 300},
    "damage_iou": 0.3,
    "damage_iou_wetness": 0.2,
    "damage_iou_diff_ci_low": 0.02,
    "damage_iou_diff_ci": [0.02, 0.1],
    "damage_baseline_v2": "wetness",
}


def test_cgan_summary_follows_diversity_realism_and_the_three_applications():
    findings = cgan_scenarios.summary(CGAN)
    _check_shape(findings)
    assert _by_question(findings, "z").answer.startswith("Yes")
    realism = _by_question(findings, "closer")
    assert realism.answer.startswith("Yes") and "67% of that gain" in realism.answer
    mining = _by_question(findings, "mines")
    assert mining.answer.startswith("Yes") and "it beats the baseline" in mining.answer
    assert mining.interval == (0.7, 0.9)
    assert _by_question(findings, "extent").answer.startswith("Yes")
    planting = _by_question(findings, "reforestation")
    assert planting.answer.startswith("Yes") and planting.key_number == pytest.approx(1.0)
    assert planting.interval == pytest.approx((0.2, 2.0))
    primary = _by_question(findings, "hidden soil")
    assert primary.answer.startswith("Yes") and primary.key_number == pytest.approx(2.5)
    assert "20.0 % of the cells fail" in primary.answer
    for reduction, lead in ((0.025, "Not enough (goal missed)"), (0.01, "No (goal missed)"), (-0.01, "No (goal")):
        missed = cgan_scenarios.summary({**CGAN, "reforest_reduction_ranked": reduction})
        assert _by_question(missed, "hidden soil").answer.startswith(lead)
    nothing = cgan_scenarios.summary({**CGAN, "reforest_reduction_random": 0.0})
    assert "random planting holds nothing" in _by_question(nothing, "hidden soil").answer

    flipped = cgan_scenarios.summary(
        {
            **CGAN,
            "cgan_diversity": 0.1,
            "cgan_fd": 0.7,
            "mining_auroc": 0.5,
            "mining_auroc_diff_ci_low": -0.3,
            "damage_iou_bicycle": 0.03,
            "reforest_cgan_added_ci": [-0.03, -0.01],
        }
    )
    assert _by_question(flipped, "z").answer.startswith("Only a little")
    assert _by_question(flipped, "closer").answer.startswith("No")
    assert _by_question(flipped, "mines").answer.startswith("No, worse") and "falls below" in flipped[2].answer
    assert _by_question(flipped, "extent").answer.startswith("No") and "not above" in flipped[3].answer
    assert _by_question(flipped, "reforestation").answer.startswith("No, they cost")
    collapsed = cgan_scenarios.summary(
        {**CGAN, "cgan_diversity": 0.0, "mining_auroc_diff_ci_low": -0.1, "reforest_cgan_added_ci": [-0.01, 0.01]}
    )
    assert _by_question(collapsed, "z").answer.startswith("No")
    assert _by_question(collapsed, "mines").answer.startswith("Not clearly")
    assert _by_question(collapsed, "reforestation").answer.startswith("Cannot tell")


def test_cgan_summary_of_the_laid_out_futures_says_when_a_goal_is_missed():
    findings = cgan_scenarios.summary(CGAN)
    assert _by_question(findings, "land where").answer.startswith("Yes")
    detection = _by_question(findings, "growing pit")
    assert detection.answer.startswith("Yes") and detection.interval == (0.65, 0.75)
    missed = cgan_scenarios.summary({**CGAN, "layout_coverage_random": 0.3, "mining_auroc_cgan_diff_ci_low": -0.02})
    assert _by_question(missed, "land where").answer.startswith("Not twice as often")
    assert _by_question(missed, "growing pit").answer.startswith("Not clearly")
    worse = cgan_scenarios.summary({**CGAN, "layout_coverage_at_k": 0.1, "mining_auroc_cgan": 0.55})
    assert _by_question(worse, "land where").answer.startswith("No")
    assert _by_question(worse, "growing pit").answer.startswith("No, worse")


def test_cgan_summary_of_the_ceiling_the_few_shot_test_and_the_laid_out_scar():
    findings = cgan_scenarios.summary(CGAN)
    ceiling = _by_question(findings, "every label")
    assert ceiling.answer.startswith("Far") and "50% of the skill above chance" in ceiling.answer
    assert ceiling.interval == (0.85, 0.95)
    close = cgan_scenarios.summary({**CGAN, "mining_auroc_cgan": 0.88})
    assert _by_question(close, "every label").answer.startswith("Close")
    none = cgan_scenarios.summary({**CGAN, "mining_auroc_cgan": 0.45})
    assert "none of the skill" in _by_question(none, "every label").answer
    fewshot = _by_question(findings, "few real examples")
    assert fewshot.answer.startswith("Yes") and "trained on 10 real mines" in fewshot.answer
    assert fewshot.key_number == 0.05 and fewshot.interval == (0.01, 0.09)
    unsure = cgan_scenarios.summary({**CGAN, "fewshot_gain_generated_ci_low": -0.01})
    assert _by_question(unsure, "few real examples").answer.startswith("Not clearly (goal missed)")
    worse = cgan_scenarios.summary({**CGAN, "fewshot_gain_generated": -0.02})
    assert _by_question(worse, "few real examples").answer.startswith("No (goal missed)")
    scar = _by_question(findings, "terrain baseline")
    assert scar.answer.startswith("Yes") and "0.200 for a wetness threshold" in scar.answer
    slope = cgan_scenarios.summary({**CGAN, "damage_baseline_v2": "slope", "damage_iou_diff_ci_low": -0.01})
    assert "0.040 for a slope threshold" in _by_question(slope, "terrain baseline").answer
    assert _by_question(slope, "terrain baseline").answer.startswith("Not clearly (goal missed)")
    below = cgan_scenarios.summary({**CGAN, "damage_iou": 0.1})
    assert _by_question(below, "terrain baseline").answer.startswith("No (goal missed)")


# --- chapter 6 ---------------------------------------------------------------------------------


CROSS = {
    "target_region": "india",
    "source_regions": ["america", "china"],
    "n_seeds": 5,
    "test_sites_india": 1000,
    "gap_india": 0.10,
    "gap_india_ci": [0.05, 0.15],
    "gap_india_half_width": 0.05,
    "loro_auroc_india": 0.62,
    "loro_auroc_india_ci": [0.58, 0.66],
    **{f"ablation_dgap_{key}": value for key, value in
       (("no_location", -0.06), ("relative_season", -0.01), ("no_sar", 0.0), ("per_site_normalisation", 0.01))},
    **{f"ablation_dgap_{key}_ci": interval for key, interval in
       (("no_location", [-0.09, -0.03]), ("relative_season", [-0.04, 0.02]), ("no_sar", [-0.03, 0.03]),
        ("per_site_normalisation", [-0.02, 0.04]))},
    **{f"mitigation_gain_{key}": gain for key, gain in
       (("per_site_normalisation", -0.01), ("batchnorm_adaptation", 0.0), ("metadata_dropout", 0.01), ("dann", 0.0),
        ("no_location", 0.06))},
    **{f"mitigation_gain_{key}_ci": [gain - 0.03, gain + 0.03] for key, gain in
       (("per_site_normalisation", -0.01), ("batchnorm_adaptation", 0.0), ("metadata_dropout", 0.01), ("dann", 0.0),
        ("no_location", 0.06))},
    **{f"mitigation_p_holm_{key}": p for key, p in
       (("per_site_normalisation", 1.0), ("batchnorm_adaptation", 1.0), ("metadata_dropout", 1.0), ("dann", 1.0),
        ("no_location", 0.01))},
    "shift_ratio_features": 4.0,
    "shift_ratio_features_ci": [2.0, 6.0],
    "glc_cause_balacc_transfer": 0.30,
    "glc_cause_balacc_transfer_ci": [0.20, 0.40],
    "glc_cause_balacc_blocked": 0.45,
    "glc_cause_balacc_blocked_ci": [0.38, 0.52],
    "glc_cause_balacc_chance": 1 / 3,
}  # fmt: skip


def test_cross_continent_summary_names_the_target_region_from_its_parameter():
    findings = cross_continent.summary(CROSS)
    _check_shape(findings)
    works = _by_question(findings, "work in India")
    assert works.question.startswith("Trained on America and China") and works.answer.startswith("Not fully")
    assert works.interval == (0.05, 0.15) and works.provenance == "simulated"
    assert _by_question(findings, "finely").answer.startswith("Yes: with 5 training seeds")
    carry = _by_question(findings, "carries")
    assert carry.answer.startswith("No location narrows the gap beyond its interval, so what it removes (latitude")
    assert carry.key_number == -0.06
    assert _by_question(findings, "mitigation").answer.startswith("Yes: no location raises")
    assert _by_question(findings, "How far").answer.startswith("Measurably farther")
    cause = _by_question(findings, "catalogue")
    assert cause.provenance == "real" and cause.answer.startswith("Only the local model beats chance")
    china = cross_continent.summary({**CROSS, "target_region": "china", "source_regions": ["america", "india"],
                                     "gap_china": 0.01, "gap_china_ci": [-0.02, 0.04], "gap_china_half_width": 0.03,
                                     "loro_auroc_china_ci": [0.55, 0.6]})  # fmt: skip
    works = _by_question(china, "work in China")
    assert works.question.startswith("Trained on America and India") and works.answer.startswith("Yes, within")
    assert "India" not in works.answer


def test_cross_continent_summary_reads_a_wide_gap_and_no_gain_as_such():
    quiet = {**CROSS, "gap_india": 0.02, "gap_india_ci": [-0.07, 0.11], "gap_india_half_width": 0.09,
             "mitigation_p_holm_no_location": 0.4}  # fmt: skip
    findings = cross_continent.summary(quiet)
    assert _by_question(findings, "work in India").answer.startswith("This run cannot settle it")
    assert _by_question(findings, "finely").answer.startswith("No, a goal missed")
    assert _by_question(findings, "carries").answer.startswith("No location narrows")  # Δgap is still measured
    assert _by_question(findings, "mitigation").answer.startswith("No: no mitigation's gain survives Holm")
    empty = cross_continent.summary({"target_region": "india"})
    assert all(f.answer.startswith("Not measured") for f in empty)


def test_cross_continent_carry_says_whether_the_transfer_forecaster_gains_or_the_local_one_loses():
    aurocs = {"ablation_inregion_auroc_all_inputs": 0.72, "ablation_transfer_auroc_all_inputs": 0.61}
    raised = {**CROSS, **aurocs, "ablation_inregion_auroc_no_location": 0.71,
              "ablation_transfer_auroc_no_location": 0.66}  # fmt: skip
    answer = _by_question(cross_continent.summary(raised), "carries").answer
    assert "transfer AUROC is 0.660 against 0.610" in answer and "exploratory lead for a mitigation" in answer
    lowered = {**CROSS, **aurocs, "ablation_inregion_auroc_no_location": 0.66,
               "ablation_transfer_auroc_no_location": 0.60}  # fmt: skip
    answer = _by_question(cross_continent.summary(lowered), "carries").answer
    assert "the local forecaster loses" in answer and "lead" not in answer
    assert "against" not in _by_question(cross_continent.summary(CROSS), "carries").answer  # not recorded: not said


def test_acquisition_summary_reads_the_texture_against_real_landsat():
    texture = {"texture_lag1_sim": 0.86, "texture_lag1_real": 0.85, "texture_lag4_sim": 0.42, "texture_lag4_real": 0.41}
    finding = _by_question(acquisition.summary({**ACQUISITION, **texture}), "texture")
    assert finding.answer.startswith("Yes") and finding.provenance == "simulated" and finding.key_number == 0.86
    rough = _by_question(acquisition.summary({**ACQUISITION, **texture, "texture_lag4_sim": 0.1}), "texture")
    assert rough.answer.startswith("No") and "not within 0.1" in rough.answer
    assert _by_question(acquisition.summary(ACQUISITION), "texture").answer.startswith("Not measured")


def test_cgan_realism_is_judged_against_the_u_net_with_matched_noise_when_it_was_measured():
    fair = cgan_scenarios.summary({**CGAN, "cgan_fd_l1noise": 0.5})
    assert _by_question(fair, "closer").answer.startswith("Yes") and "0.500 for that U-Net" in fair[1].answer
    only = cgan_scenarios.summary({**CGAN, "cgan_fd_l1noise": 0.2})
    assert _by_question(only, "closer").answer.startswith("Only against the noiseless U-Net")
    worse = cgan_scenarios.summary({**CGAN, "cgan_fd_l1noise": 0.2, "cgan_fd": 0.7})
    assert _by_question(worse, "closer").answer.startswith("No:")
