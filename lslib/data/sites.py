"""Sites for real acquisition: catalogued events as positive sites, and matched negative sites.

Examples
--------
>>> km_between(19.162, 73.6873, 19.162, 73.6873)
0.0
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lslib.causes import Cause
from lslib.data.stac import Site, cause_of_trigger

__all__ = ["sites_from_events", "negative_sites", "km_between", "time_window"]

EARTH_RADIUS_KM = 6371.0


def km_between(lat1, lon1, lat2, lon2):
    """Great-circle distance in km (haversine); arrays broadcast."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    distance = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
    return float(distance) if np.ndim(distance) == 0 else distance


def time_window(reference, days_before: int, days_after: int) -> tuple[str, str]:
    """(start, end) ISO dates around a reference time."""
    when = pd.Timestamp(reference).normalize()
    return ((when - pd.Timedelta(days=days_before)).strftime("%Y-%m-%d"),
            (when + pd.Timedelta(days=days_after)).strftime("%Y-%m-%d"))


def sites_from_events(glc: pd.DataFrame, event_ids, size: int = 32) -> list[Site]:
    """One site per catalogued event: centred on its point, labelled with its date and cause."""
    missing = [e for e in event_ids if e not in glc.index]
    if missing:
        raise KeyError(f"Event ids {missing} are not in the catalog")
    sites = []
    for event_id in event_ids:
        event = glc.loc[event_id]
        when = np.datetime64(pd.Timestamp(event["date"]).normalize(), "ns")
        sites.append(Site(name=f"glc-{event_id}", lat=float(event["lat"]), lon=float(event["lon"]), size=size,
                          region=str(event["region"]), country=str(event["country"]), event_time=when,
                          reference_time=when, cause=cause_of_trigger(event["cause"]),
                          extra={"event_id": int(event_id), "trigger": event["trigger"]}))
    return sites


def negative_sites(glc: pd.DataFrame, region: str, n: int, seed: int = 0, size: int = 32,
                   min_km: float = 25.0, max_km: float = 150.0, near_km: float = 60.0,
                   min_days: int = 365) -> list[Site]:
    """Sites in ``region`` away from every catalogued event in space and time.

    Each negative site is placed ``min_km`` to ``max_km`` from a catalogued event of the region
    (so it shares its landscape), at a point at least ``min_km`` from every event, with a reference
    date at least ``min_days`` away from every event within ``near_km``.
    """
    rng = np.random.default_rng(seed)
    events = glc[glc["region"] == region]
    if events.empty:
        raise ValueError(f"The catalog has no event in region {region!r}")
    sites: list[Site] = []
    for attempt in range(200 * n):
        if len(sites) == n:
            break
        anchor = events.iloc[int(rng.integers(len(events)))]
        bearing, distance = rng.uniform(0, 2 * np.pi), rng.uniform(min_km, max_km)
        lat = float(anchor["lat"] + np.degrees(distance / EARTH_RADIUS_KM) * np.cos(bearing))
        lon = float(anchor["lon"] + np.degrees(distance / EARTH_RADIUS_KM) * np.sin(bearing) / np.cos(np.radians(lat)))
        if not (-80 < lat < 84):
            continue
        distances = km_between(lat, lon, glc["lat"].to_numpy(), glc["lon"].to_numpy())
        if distances.min() < min_km:
            continue
        when = pd.Timestamp(anchor["date"]).normalize() + pd.Timedelta(days=int(rng.integers(-400, 400)))
        nearby = glc["date"].to_numpy()[distances < near_km]
        if len(nearby) and np.min(np.abs((nearby - when.to_datetime64()) / np.timedelta64(1, "D"))) < min_days:
            continue
        reference = np.datetime64(when, "ns")
        sites.append(Site(name=f"neg-{region}-{len(sites)}", lat=lat, lon=lon, size=size, region=region,
                          country=str(anchor["country"]), event_time=None, reference_time=reference, cause=int(Cause.THRIVING_FOREST),
                          extra={"anchor_event": int(anchor.name)}))
    if len(sites) < n:
        raise ValueError(f"Found only {len(sites)} of {n} negative sites in {region!r} far enough from every event")
    return sites
