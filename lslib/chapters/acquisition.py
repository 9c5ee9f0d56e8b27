"""Chapter 1's workflow: the imagery behind the chapter, real from STAC when asked for and
available, else the simulated stack.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import xarray as xr

from lslib.analysis.realism import simulator_checks
from lslib.analysis.slope import band_share, slope_frequency
from lslib.book.report import Answer, Finding, answers, needs, publish, record, value_of
from lslib.data.qa import CFMASK_COMMISSION_RANGE, CFMASK_OMISSION_RANGE, CFMASK_SHADOW_OMISSION_RANGE
from lslib.data.sim.sensors import CLEARCUT_VV_CONTRAST_DB_RANGE
from lslib.data.stac import acquire_events, showcase_events
from lslib.errors import DataUnavailable

__all__ = [
    "chapter_imagery",
    "check_text",
    "record_simulator_checks",
    "record_slope_frequency",
    "CLOUD_KS_CLOSE",
    "NDVI_AMPLITUDE_CLOSE",
    "TEXTURE_CLOSE",
    "SCENARIO_ORACLE_MAX",
    "FS_CEILING_MIN",
    "NDVI_THRESHOLD_RANGE",
    "SLOPE_AUROC_MIN",
    "RAIN_UNDISTURBED_MIN",
    "MIN_SLIDES_PER_CAUSE",
    "SIM_SECONDS_MAX",
    "summary",
]

#: Largest Kolmogorov-Smirnov distance between simulated and real per-frame cloud fractions read as close.
CLOUD_KS_CLOSE = 0.25
#: Range of the simulated-over-real NDVI seasonal amplitude ratio read as "as strong as the real one".
NDVI_AMPLITUDE_CLOSE = (0.8, 1.25)
# The goals of LandslideSim v2 for the quick book (SIMULATOR.md), each read by one finding.
#: Highest AUROC the scenario-and-region give-away may reach.
SCENARIO_ORACLE_MAX = 0.70
#: Lowest AUROC the no-look-ahead factor-of-safety oracle should reach at lead 1.
FS_CEILING_MIN = 0.80
#: AUROC range of the NDVI-drop threshold: a cue, neither useless nor the answer.
NDVI_THRESHOLD_RANGE = (0.55, 0.80)
#: Lowest AUROC of slope ranking the cells where slides start.
SLOPE_AUROC_MIN = 0.65
#: Lowest share of slides that are rain on undisturbed ground.
RAIN_UNDISTURBED_MIN = 0.35
#: Fewest slid sites each cause should have.
MIN_SLIDES_PER_CAUSE = 30
#: Most seconds the quick stack may take to simulate on 2 cores.
SIM_SECONDS_MAX = 60
_REGIONS = ("america", "china", "india")


def chapter_imagery(
    source: str,
    simulated: xr.Dataset,
    glc,
    *,
    event_ids: Sequence[int] = (),
    output: str = "data/real_stack.zarr",
    **acquisition: Any,
) -> tuple[xr.Dataset, list[str]]:
    """Chapter 1's imagery: the simulated sites, or (``source="stac"``) real imagery around catalogued
    events written to ``output``; when real imagery cannot be had, the simulated sites and a note why."""
    from lslib.data.store import write_atomic

    if source != "stac":
        return simulated, []
    try:
        real, notes = acquire_events(glc, list(event_ids) or showcase_events(glc), **acquisition)
    except DataUnavailable as error:
        return simulated, [f"Real imagery could not be acquired, so the simulated sites are shown instead: {error}"]
    write_atomic(real, output)
    return real, notes


def check_text(name: str, value: float) -> str:
    """How the prose quotes a simulator check: shares and rates in percent, contrasts in signed dB, noise to three
    decimals, anything else to two.

    Examples
    --------
    >>> check_text("qa_omission_rate", 0.102), check_text("sar_clearcut_contrast_db", -1.98)
    ('10%', '-2.0')
    """
    if name.endswith(("_rate", "_share")):
        return f"{value:.0%}"
    if name.endswith("_db"):
        return f"{value:+.1f}"
    return f"{value:.3f}" if "noise" in name else f"{value:.2f}"


def record_simulator_checks(stack: xr.Dataset, seed: int, leads: Sequence[int]) -> tuple[dict[str, Any], pd.DataFrame]:
    """Run :func:`lslib.analysis.realism.simulator_checks` on chapter 4's test sites at ``leads``, publish every
    number for the report and the prose, and return the checks and a table of the oracles with their intervals."""
    leads = tuple(leads)
    checks = simulator_checks(stack, seed=seed, leads=leads)
    for name, value in checks.items():
        if isinstance(value, float):
            publish(name, value, check_text(name, value))
        else:
            record(name, value)
    names = (
        ["oracle_scenario_auroc"]
        + [f"oracle_fs_auroc_lead{k}" for k in leads]
        + [f"oracle_fs_common_auroc_lead{k}" for k in leads]
    )
    index = (
        ["scenario and region (give-away), all test windows"]
        + [f"factor of safety, lead {k}: test windows of that lead" for k in leads]
        + [f"factor of safety, lead {k}: the {checks['oracle_fs_common_sites']} sites with every lead" for k in leads]
    )
    table = pd.DataFrame(
        [[checks[f"{name}{suffix}"] for suffix in ("", "_low", "_high")] for name in names],
        columns=["AUROC", "95 % low", "95 % high"],
        index=index,
    )
    return checks, table


def record_slope_frequency(stack: xr.Dataset) -> pd.DataFrame:
    """The slope-frequency table (:func:`lslib.analysis.slope.slope_frequency`), with the share of initiation cells
    and of land on 25-45 degree slopes and the bins with most initiation cells and most per land pixel published."""
    table = slope_frequency(stack)
    in_band = band_share(table, 25.0, 45.0)
    publish("slope_initiation_share_25_45", in_band["initiation_share"], f"{in_band['initiation_share']:.0%}")
    publish("slope_pixel_share_25_45", in_band["pixel_share"], f"{in_band['pixel_share']:.0%}")
    for name, column in (
        ("slope_peak_bin_deg", "initiation_pixels"),
        ("slope_density_peak_bin_deg", "initiation_per_1000"),
    ):
        peak = table.loc[table[column].idxmax()]
        publish(name, f"{peak['slope_low_deg']:.0f}-{peak['slope_high_deg']:.0f}")
    return table


@answers(
    "What triggers the landslides of the NASA Global Landslide Catalog?",
    "real",
    "share of known triggers that are rain",
)
@needs("glc_rain_share_of_known_triggers", missing="Not measured: the catalog could not be read in this run.")
def _rain_finding(metrics: Mapping[str, Any]) -> Answer:
    share, events = value_of(metrics, "glc_rain_share_of_known_triggers"), value_of(metrics, "glc_n_events")
    if share < 0.5:
        return Answer(
            f"Not mostly rain: rain triggered {share:.0%} of the catalogued events whose trigger is known.", share
        )
    return Answer(
        f"Mostly rain: {share:.0%} of the catalogued events whose trigger is known were triggered by rain "
        f"({events:,.0f} events in all), so the other causes have few records to learn from.",
        share,
    )


@answers("Are the simulator's clouds like real clouds?", "simulated", "KS distance, cloud fraction")
@needs("cloud_ks", missing="Not measured: the real cloud masks could not be read in this run.")
def _cloud_finding(metrics: Mapping[str, Any]) -> Answer:
    ks = value_of(metrics, "cloud_ks")
    close = ks <= CLOUD_KS_CLOSE
    answer = (
        f"{'Yes' if close else 'No'}: the per-frame cloud fractions of the simulated sites lie at a Kolmogorov-Smirnov "
        f"distance of {ks:.3f} from the real Sentinel-2 patch's, {'within' if close else 'above'} the {CLOUD_KS_CLOSE} "
        "read as close."
    )
    return Answer(answer, ks)


@answers("Is the simulated forest season as strong as a real one?", "simulated", "NDVI amplitude, simulated / real")
def _ndvi_finding(metrics: Mapping[str, Any]) -> Answer:
    low, high = NDVI_AMPLITUDE_CLOSE
    ratios = {region: value_of(metrics, f"ndvi_amplitude_ratio_eolearn_{region}") for region in _REGIONS}
    pooled = value_of(metrics, "ndvi_amplitude_ratio_eolearn")
    measured = {region: ratio for region, ratio in ratios.items() if not math.isnan(ratio)}
    if math.isnan(pooled) or not measured:
        answer = "Not measured: the real NDVI series could not be read in this run."
    else:
        within = [region for region, ratio in measured.items() if low <= ratio <= high]
        listed = ", ".join(f"{region} {ratio:.2f}" for region, ratio in measured.items())
        unmeasured = [region for region in _REGIONS if region not in measured]
        if len(within) == len(_REGIONS):
            verdict = "Yes, in every region"
        else:
            verdict = f"In {', '.join(within)} only" if within else "No region"
        missing = f"; not measured in {', '.join(unmeasured)} (too few clear dates)" if unmeasured else ""
        answer = (
            f"{verdict}: the seasonal NDVI amplitude of simulated forest, over the snow-free months of the real "
            f"eo-learn forest, is {listed} times the real one ({low}-{high} reads as alike; median "
            f"{pooled:.2f}){missing}."
        )
    return Answer(answer, pooled)


#: How far the simulated texture may be from the real one (autocorrelation, at lags 1 and 4) to read as alike.
TEXTURE_CLOSE = 0.1


@answers(
    "Do simulated Landsat patches have the spatial texture of real ones?",
    "simulated",
    "lag-1 autocorrelation, simulated",
)
@needs(
    "texture_lag1_sim",
    "texture_lag1_real",
    "texture_lag4_sim",
    "texture_lag4_real",
    missing="Not measured: the real Landsat 8 crops could not be read in this run.",
)
def _texture_finding(metrics: Mapping[str, Any]) -> Answer:
    sim1, real1 = value_of(metrics, "texture_lag1_sim"), value_of(metrics, "texture_lag1_real")
    sim4, real4 = value_of(metrics, "texture_lag4_sim"), value_of(metrics, "texture_lag4_real")
    alike = abs(sim1 - real1) <= TEXTURE_CLOSE and abs(sim4 - real4) <= TEXTURE_CLOSE
    answer = (
        f"{'Yes' if alike else 'No'}: neighbouring pixels of simulated 32 x 32 px patches correlate "
        f"{sim1:.2f} at 1 pixel and {sim4:.2f} at 4 pixels, against {real1:.2f} and {real4:.2f} for real "
        f"Landsat 8 patches ({'within' if alike else 'not within'} {TEXTURE_CLOSE} at both lags)."
    )
    return Answer(answer, sim1)


@answers("Is the simulated forecasting task neither trivial nor impossible?", "simulated", "AUROC, NDVI drop")
@needs("auroc_ndvi_threshold")
def _difficulty_finding(metrics: Mapping[str, Any]) -> Answer:
    ndvi, ceiling = value_of(metrics, "auroc_ndvi_threshold"), value_of(metrics, "auroc_fs_oracle_lead1")
    low, high = NDVI_THRESHOLD_RANGE
    against = (
        f" (the lead-1 factor-of-safety reference oracle reaches {ceiling:.2f} on the same sites)"
        if not math.isnan(ceiling)
        else ""
    )
    reached = f"the NDVI-drop threshold reaches AUROC {ndvi:.2f} on held-out sites{against}"
    if ndvi > high:
        return Answer(f"Too easy: {reached}.", ndvi)
    if ndvi < low:
        return Answer(f"Too hard for the simplest cue: {reached}, below the {low} the simulator aims for.", ndvi)
    return Answer(f"Yes: {reached}: vegetation loss is a cue, not the answer ({low}-{high} is the aim).", ndvi)


def _oracle(metrics: Mapping[str, Any], name: str) -> tuple[float, tuple[float, float] | None, str]:
    """An oracle's AUROC ``metrics[name]``, its interval (``<name>_low``, ``<name>_high``; None when
    either is missing) and the interval as prose (empty without one)."""
    low, high = value_of(metrics, f"{name}_low"), value_of(metrics, f"{name}_high")
    interval = None if math.isnan(low) or math.isnan(high) else (low, high)
    span = f" (95 % interval {low:.2f}-{high:.2f})" if interval else ""
    return value_of(metrics, name), interval, span


@answers("Does the land-use scenario give the label away?", "simulated", "AUROC, scenario")
@needs("oracle_scenario_auroc")
def _giveaway_finding(metrics: Mapping[str, Any]) -> Answer:
    value, interval, span = _oracle(metrics, "oracle_scenario_auroc")
    auroc = f"AUROC {value:.2f}{span} on chapter 4's test sites"
    if value > SCENARIO_ORACLE_MAX:
        limit = SCENARIO_ORACLE_MAX
        answer = f"Partly, a goal missed: the scenario and region alone score {auroc}, above the {limit} allowed."
        return Answer(answer, value, interval)
    caveat = (
        f"; the interval reaches above {SCENARIO_ORACLE_MAX}, so the margin is not certain"
        if interval and interval[1] > SCENARIO_ORACLE_MAX
        else ""
    )
    answer = (
        f"No: knowing only a site's land-use scenario and region scores {auroc}, within the "
        f"{SCENARIO_ORACLE_MAX} the simulator allows{caveat}."
    )
    return Answer(answer, value, interval)


def _two_places(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"


@answers("How much does the hidden state tell, at short lead?", "simulated", "AUROC, FS oracle")
@needs("oracle_fs_auroc_lead1")
def _ceiling_finding(metrics: Mapping[str, Any]) -> Answer:
    value, interval, span = _oracle(metrics, "oracle_fs_auroc_lead1")
    leads = sorted(
        int(name.removeprefix("oracle_fs_auroc_lead"))
        for name in metrics
        if name.startswith("oracle_fs_auroc_lead") and name.removeprefix("oracle_fs_auroc_lead").isdigit()
    )
    by_lead = ", ".join(_two_places(value_of(metrics, f"oracle_fs_auroc_lead{k}")) for k in leads)
    common = ", ".join(_two_places(value_of(metrics, f"oracle_fs_common_auroc_lead{k}")) for k in leads)
    n_common = value_of(metrics, "oracle_fs_common_sites")
    verdict = (
        "Yes" if value >= FS_CEILING_MIN else f"Less than hoped, a goal missed (the aim is at least {FS_CEILING_MIN})"
    )
    same_sites = (
        f"; on the {n_common:.0f} test sites with a window at every lead: {common}" if not math.isnan(n_common) else ""
    )
    answer = (
        f"{verdict}: a reference oracle that reads the hidden factor of safety in the 30 days up to the window's "
        f"last frame, and nothing after it, scores AUROC {value:.2f}{span} at lead 1 ({by_lead} at leads "
        f"{leads[0]}-{leads[-1]}, each on the test windows of that lead{same_sites}). It knows the slope's state "
        "but not the storms after the last frame: a reference for the models, not a bound on them."
    )
    return Answer(answer, value, interval)


@answers("Do simulated slides start on steep slopes?", "simulated", "AUROC, slope")
@needs("slope_slide_auroc")
def _slope_finding(metrics: Mapping[str, Any]) -> Answer:
    value, band = value_of(metrics, "slope_slide_auroc"), value_of(metrics, "slope_initiation_share_25_45")
    verdict = "Yes" if value >= SLOPE_AUROC_MIN else f"Too weakly, a goal missed (the aim is {SLOPE_AUROC_MIN})"
    share = f"; {band:.0%} of the cells where slides started lie on 25-45 degree slopes" if not math.isnan(band) else ""
    answer = (
        f"{verdict}: within sliding sites, slope ranks the cells where the slide started above the rest with "
        f"AUROC {value:.2f}{share}."
    )
    return Answer(answer, value)


@answers("Is rain on undisturbed slopes the commonest way to slide?", "simulated", "share of slides")
@needs("positives_rain_undisturbed_share")
def _trigger_finding(metrics: Mapping[str, Any]) -> Answer:
    share = value_of(metrics, "positives_rain_undisturbed_share")
    fewest = value_of(metrics, "min_slides_per_cause")
    counts = metrics.get("slides_per_cause") or {}
    verdict = (
        "Yes"
        if share >= RAIN_UNDISTURBED_MIN
        else f"No, a goal missed (the aim is at least {RAIN_UNDISTURBED_MIN:.0%})"
    )
    listed = ", ".join(f"{cause.replace('_', ' ')} {count}" for cause, count in counts.items())
    enough = (
        ""
        if math.isnan(fewest)
        else f" Every cause has at least {MIN_SLIDES_PER_CAUSE} slid sites."
        if fewest >= MIN_SLIDES_PER_CAUSE
        else f" Not every cause has {MIN_SLIDES_PER_CAUSE} slid sites (a goal missed): the fewest has {fewest:.0f}."
    )
    answer = (
        f"{verdict}: {share:.0%} of the simulated slides are rain on ground no disturbance touched. Slides per "
        f"cause: {listed}; the rarer causes are oversampled among the sites so that each has examples.{enough}"
    )
    return Answer(answer, share)


def _inside(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _sensor_finding(metrics: Mapping[str, Any]) -> Finding:
    omission, commission = value_of(metrics, "qa_omission_rate"), value_of(metrics, "qa_commission_rate")
    shadow = value_of(metrics, "qa_shadow_omission_rate")
    contrast = value_of(metrics, "sar_clearcut_contrast_db")
    noise_sim, noise_real = value_of(metrics, "ndvi_noise_stable_sim"), value_of(metrics, "ndvi_noise_stable_eolearn")
    question, metric = "Do the simulated sensors err as real ones do?", "QA cloud omission"
    if math.isnan(omission) or math.isnan(commission):
        return Finding(question, "Not measured in this run.", omission, None, "simulated", metric)
    checks = [_inside(omission, CFMASK_OMISSION_RANGE), _inside(commission, CFMASK_COMMISSION_RANGE)]
    parts = [
        f"the QA misses {omission:.0%} of the true cloud (range {CFMASK_OMISSION_RANGE[0]:.0%}-"
        f"{CFMASK_OMISSION_RANGE[1]:.0%}) and {commission:.0%} of what it flags is not cloud (range "
        f"{CFMASK_COMMISSION_RANGE[0]:.0%}-{CFMASK_COMMISSION_RANGE[1]:.0%})"
    ]
    if not math.isnan(shadow):
        checks.append(_inside(shadow, CFMASK_SHADOW_OMISSION_RANGE))
        parts.append(
            f"it misses {shadow:.0%} of the true cloud shadow (range {CFMASK_SHADOW_OMISSION_RANGE[0]:.0%}-"
            f"{CFMASK_SHADOW_OMISSION_RANGE[1]:.0%})"
        )
    if not math.isnan(contrast):
        checks.append(_inside(contrast, CLEARCUT_VV_CONTRAST_DB_RANGE))
        parts.append(
            f"Sentinel-1 VV changes by {contrast:+.1f} dB from forest to a fresh clear-cut (C-band range "
            f"{CLEARCUT_VV_CONTRAST_DB_RANGE[0]:+.0f} to {CLEARCUT_VV_CONTRAST_DB_RANGE[1]:+.0f} dB; each site's "
            "offset is drawn inside it, so only moisture and speckle can move this)"
        )
    if not math.isnan(noise_sim):
        real = f" against {noise_real:.3f} for the real eo-learn forest" if not math.isnan(noise_real) else ""
        parts.append(f"the clear-sky NDVI of stable forest strays by {noise_sim:.3f} from date to date{real}")
    verdict = "Within every range" if all(checks) else "Not within every range, a goal missed"
    source = (
        "The ranges are bracketed from published cloud-mask validations (Hughes and Kennedy 2019, Qiu et al. 2019; "
        "CFMask's own figures, Foga et al. 2017, could not be read here), and the simulated QA's error model was "
        "set to them: this checks the implementation, not the realism."
    )
    return Finding(question, f"{verdict}: " + "; ".join(parts) + ". " + source, omission, None, "simulated", metric)


@answers("Is the simulator fast enough to rerun?", "simulated", "seconds")
@needs("sim_seconds")
def _speed_finding(metrics: Mapping[str, Any]) -> Answer:
    seconds, sizes = value_of(metrics, "sim_seconds"), metrics.get("sim_sizes") or {}
    size = f"{sizes.get('n_sites', '?')} sites of {sizes.get('n_times', '?')} frames"
    workers = sizes.get("n_workers", "?")
    cached = " (read from the cache: the time is the original simulation's)" if metrics.get("sim_cache_hit") else ""
    verdict = "Yes" if seconds <= SIM_SECONDS_MAX else f"No, a goal missed (the aim is {SIM_SECONDS_MAX} s)"
    processes = f"{workers} worker process" + ("es" if workers != 1 else "")
    return Answer(f"{verdict}: {size} took {seconds:.0f} s to simulate with {processes}{cached}.", seconds)


def summary(metrics: Mapping[str, Any]) -> list[Finding]:
    """Chapter 1's findings, generated from the numbers it recorded.

    Parameters
    ----------
    metrics : mapping
        The chapter's recorded metrics (:func:`lslib.book.report.recorded`); a missing metric reads
        as not measured.

    Returns
    -------
    list of Finding
        What triggers catalogued slides (real); whether the simulator leaves the label to its physics (the
        scenario give-away, the factor-of-safety ceiling, the task's difficulty, slope and the trigger mix), and
        whether its clouds, sensors, vegetation season, texture and speed are as they should be (simulated).
    """
    return [
        _rain_finding(metrics),
        _giveaway_finding(metrics),
        _ceiling_finding(metrics),
        _difficulty_finding(metrics),
        _slope_finding(metrics),
        _trigger_finding(metrics),
        _cloud_finding(metrics),
        _sensor_finding(metrics),
        _ndvi_finding(metrics),
        _texture_finding(metrics),
        _speed_finding(metrics),
    ]
