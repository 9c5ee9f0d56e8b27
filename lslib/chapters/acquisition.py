"""Chapter 1's workflow: the imagery behind the chapter, real from STAC when asked for and
available, else the simulated stack.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import xarray as xr

from lslib.book.report import Finding, value_of
from lslib.data.stac import acquire_events, showcase_events
from lslib.errors import DataUnavailable

__all__ = ["chapter_imagery", "CLOUD_KS_CLOSE", "NDVI_AMPLITUDE_CLOSE", "TEXTURE_CLOSE", "summary"]

#: Largest Kolmogorov-Smirnov distance between simulated and real per-frame cloud fractions read as close.
CLOUD_KS_CLOSE = 0.25
#: Range of the simulated-over-real NDVI seasonal amplitude ratio read as "as strong as the real one".
NDVI_AMPLITUDE_CLOSE = (0.8, 1.25)


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


def _rain_finding(metrics: Mapping[str, Any]) -> Finding:
    share, events = value_of(metrics, "glc_rain_share_of_known_triggers"), value_of(metrics, "glc_n_events")
    if math.isnan(share):
        answer = "Not measured: the catalog could not be read in this run."
    elif share >= 0.5:
        answer = (
            f"Mostly rain: {share:.0%} of the catalogued events whose trigger is known were triggered by rain "
            f"({events:,.0f} events in all), so the other causes have few records to learn from."
        )
    else:
        answer = f"Not mostly rain: rain triggered {share:.0%} of the catalogued events whose trigger is known."
    return Finding(
        "What triggers the landslides of the NASA Global Landslide Catalog?",
        answer,
        share,
        None,
        "real",
        "share of known triggers that are rain",
    )


def _cloud_finding(metrics: Mapping[str, Any]) -> Finding:
    ks = value_of(metrics, "cloud_ks")
    if math.isnan(ks):
        answer = "Not measured: the real cloud masks could not be read in this run."
    elif ks <= CLOUD_KS_CLOSE:
        answer = (
            f"Yes: the simulated sites are about as cloudy as the real Sentinel-2 patch (Kolmogorov-Smirnov "
            f"distance {ks:.2f} between per-frame cloud fractions, at most {CLOUD_KS_CLOSE} read as close)."
        )
    else:
        answer = (
            f"No: the simulated cloud cover differs from the real patch's (Kolmogorov-Smirnov distance "
            f"{ks:.2f}, above {CLOUD_KS_CLOSE})."
        )
    return Finding(
        "Are the simulator's clouds like real clouds?", answer, ks, None, "simulated", "KS distance, cloud fraction"
    )


def _ndvi_finding(metrics: Mapping[str, Any]) -> Finding:
    ratio = value_of(metrics, "ndvi_amplitude_ratio_eolearn")
    low, high = NDVI_AMPLITUDE_CLOSE
    if math.isnan(ratio):
        answer = "Not measured: the real NDVI series could not be read in this run."
    elif ratio < low:
        answer = (
            f"Weaker: the simulated seasonal NDVI amplitude is {ratio:.2f} times the real patch's "
            "(mostly cropland with a bare winter, where most simulated sites are forested hillslopes)."
        )
    elif ratio > high:
        answer = f"Stronger: the simulated seasonal NDVI amplitude is {ratio:.2f} times the real patch's."
    else:
        answer = f"Yes: the simulated seasonal NDVI amplitude is {ratio:.2f} times the real patch's."
    return Finding(
        "Is the simulated vegetation season as strong as a real one?",
        answer,
        ratio,
        None,
        "simulated",
        "NDVI amplitude, simulated / real",
    )


#: How far the simulated texture may be from the real one (autocorrelation, at lags 1 and 4) to read as alike.
TEXTURE_CLOSE = 0.1


def _texture_finding(metrics: Mapping[str, Any]) -> Finding:
    sim1, real1 = value_of(metrics, "texture_lag1_sim"), value_of(metrics, "texture_lag1_real")
    sim4, real4 = value_of(metrics, "texture_lag4_sim"), value_of(metrics, "texture_lag4_real")
    if any(math.isnan(v) for v in (sim1, real1, sim4, real4)):
        answer = "Not measured: the real Landsat 8 crops could not be read in this run."
    else:
        alike = abs(sim1 - real1) <= TEXTURE_CLOSE and abs(sim4 - real4) <= TEXTURE_CLOSE
        answer = (
            f"{'Yes' if alike else 'No'}: neighbouring pixels of simulated 32 x 32 px patches correlate "
            f"{sim1:.2f} at 1 pixel and {sim4:.2f} at 4 pixels, against {real1:.2f} and {real4:.2f} for real "
            f"Landsat 8 patches ({'within' if alike else 'not within'} {TEXTURE_CLOSE} at both lags)."
        )
    return Finding(
        "Do simulated Landsat patches have the spatial texture of real ones?",
        answer,
        sim1,
        None,
        "simulated",
        "lag-1 autocorrelation, simulated",
    )


def _difficulty_finding(metrics: Mapping[str, Any]) -> Finding:
    ndvi, oracle = value_of(metrics, "auroc_ndvi_threshold"), value_of(metrics, "auroc_fs_oracle")
    if math.isnan(ndvi) or math.isnan(oracle):
        answer = "Not measured in this run."
    elif oracle < 0.9:
        answer = (
            f"No: even the oracle that reads the hidden factor of safety reaches only AUROC {oracle:.2f}, so "
            "the labels do not follow the physics closely enough."
        )
    elif ndvi >= oracle - 0.1:
        answer = (
            f"Too easy: the NDVI-drop threshold reaches AUROC {ndvi:.2f} on held-out sites, close to the "
            f"oracle's {oracle:.2f}."
        )
    else:
        cue = (
            "vegetation loss alone does no better than chance"
            if ndvi <= 0.55
            else "vegetation loss is a cue, not the answer"
        )
        answer = (
            f"Yes: the NDVI-drop threshold reaches AUROC {ndvi:.2f} on held-out sites and the oracle that "
            f"reads the hidden factor of safety {oracle:.2f}: {cue}."
        )
    return Finding(
        "Is the simulated forecasting task neither trivial nor impossible?",
        answer,
        ndvi,
        None,
        "simulated",
        "AUROC, NDVI drop",
    )


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
        What triggers catalogued slides (real), and whether the simulator's clouds, vegetation
        season, texture and task difficulty are as they should be (simulated).
    """
    return [
        _rain_finding(metrics),
        _cloud_finding(metrics),
        _ndvi_finding(metrics),
        _texture_finding(metrics),
        _difficulty_finding(metrics),
    ]
