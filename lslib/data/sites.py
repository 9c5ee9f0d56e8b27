"""Sites for real acquisition: catalogued events as positive sites, and matched negative sites.

Examples
--------
>>> km_between(19.162, 73.6873, 19.162, 73.6873)
0.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lslib.causes import OTHER_UNKNOWN, Cause
from lslib.data.schema import PIXEL_SIZE_M, utm_epsg

__all__ = [
    "EARTH_RADIUS_KM",
    "km_between",
    "time_window",
    "sites_from_events",
    "negative_sites",
    "LANDSAT_GRID_OFFSET_M",
    "Site",
    "cause_of_trigger",
]

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
    return (
        (when - pd.Timedelta(days=days_before)).strftime("%Y-%m-%d"),
        (when + pd.Timedelta(days=days_after)).strftime("%Y-%m-%d"),
    )


def sites_from_events(glc: pd.DataFrame, event_ids, size: int = 32) -> list[Site]:
    """One site per catalogued event: centred on its point, labelled with its date and cause."""
    missing = [e for e in event_ids if e not in glc.index]
    if missing:
        raise KeyError(f"Event ids {missing} are not in the catalog")
    sites = []
    for event_id in event_ids:
        event = glc.loc[event_id]
        when = np.datetime64(pd.Timestamp(event["date"]).normalize(), "ns")
        sites.append(
            Site(
                name=f"glc-{event_id}",
                lat=float(event["lat"]),
                lon=float(event["lon"]),
                size=size,
                region=str(event["region"]),
                country=str(event["country"]),
                event_time=when,
                reference_time=when,
                cause=cause_of_trigger(event["cause"]),
                extra={"event_id": int(event_id), "trigger": event["trigger"]},
            )
        )
    return sites


def negative_sites(
    glc: pd.DataFrame,
    region: str,
    n: int,
    seed: int = 0,
    size: int = 32,
    min_km: float = 25.0,
    max_km: float = 150.0,
    near_km: float = 60.0,
    min_days: int = 365,
) -> list[Site]:
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
    for _attempt in range(200 * n):
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
        sites.append(
            Site(
                name=f"neg-{region}-{len(sites)}",
                lat=lat,
                lon=lon,
                size=size,
                region=region,
                country=str(anchor["country"]),
                event_time=None,
                reference_time=reference,
                cause=int(Cause.THRIVING_FOREST),
                extra={"anchor_event": int(anchor.name)},
            )
        )
    if len(sites) < n:
        raise ValueError(f"Found only {len(sites)} of {n} negative sites in {region!r} far enough from every event")
    return sites


LANDSAT_GRID_OFFSET_M = 15.0


@dataclass(frozen=True)
class Site:
    """A square area of interest around a point, on its UTM zone's 30 m grid.

    Attributes
    ----------
    name : str
        Identifier (e.g. ``glc-6186``).
    lat, lon : float
        Centre, degrees.
    size : int
        Pixels per side (30 m each).
    region, country : str
        Study region and country.
    event_time : numpy.datetime64 or None
        Date of the catalogued slide (None for a site without one).
    reference_time : numpy.datetime64 or None
        The event time, or a matched date for a site without a slide.
    cause : int
        :class:`lslib.causes.Cause` value, or -1 when the catalogued trigger maps to no cause.
    """

    name: str
    lat: float
    lon: float
    size: int = 32
    region: str = "other"
    country: str = ""
    event_time: Any = None
    reference_time: Any = None
    cause: int = -1
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        utm_epsg(self.lat, self.lon)  # raises for coordinates that are not degrees
        if not isinstance(self.size, (int, np.integer)) or self.size < 2:
            raise ValueError(f"Site {self.name!r}: size must be a whole number of 30 m pixels >= 2, got {self.size!r}")

    @property
    def epsg(self) -> int:
        return utm_epsg(self.lat, self.lon)

    @property
    def centre_utm(self) -> tuple[float, float]:
        """Easting and northing of the centre, snapped so that pixel edges fall on Landsat's 30 m grid."""
        from pyproj import Transformer

        x, y = Transformer.from_crs("EPSG:4326", f"EPSG:{self.epsg}", always_xy=True).transform(self.lon, self.lat)
        # Landsat Collection 2 pixel edges lie at 30 k + 15 m in UTM (e.g. a scene origin of 520185 m);
        # odd sizes centre on a pixel centre, even sizes on a pixel edge of that grid.
        offset = LANDSAT_GRID_OFFSET_M + (self.size % 2) * PIXEL_SIZE_M / 2
        snap = lambda v: round((v - offset) / PIXEL_SIZE_M) * PIXEL_SIZE_M + offset
        return snap(x), snap(y)

    def bounds_utm(self) -> tuple[float, float, float, float]:
        x, y = self.centre_utm
        half = self.size * PIXEL_SIZE_M / 2
        return x - half, y - half, x + half, y + half

    def bbox(self) -> tuple[float, float, float, float]:
        """The site's bounding box in degrees (west, south, east, north) for a STAC search."""
        from pyproj import Transformer

        west, south, east, north = self.bounds_utm()
        to_lonlat = Transformer.from_crs(f"EPSG:{self.epsg}", "EPSG:4326", always_xy=True)
        xs, ys = to_lonlat.transform([west, east, west, east], [south, south, north, north])
        return min(xs), min(ys), max(xs), max(ys)

    @staticmethod
    def from_metres(name: str, lat: float, lon: float, width_m: float, **kwargs: Any) -> Site:
        """A site whose side is given in metres; values that look like degrees are refused."""
        if width_m < 2 * PIXEL_SIZE_M:
            raise ValueError(
                f"Site {name!r}: width {width_m!r} looks like degrees, not metres; a site is at least "
                f"{2 * PIXEL_SIZE_M:.0f} m wide (e.g. 960 for 32 pixels)"
            )
        return Site(name=name, lat=lat, lon=lon, size=int(round(width_m / PIXEL_SIZE_M)), **kwargs)


def cause_of_trigger(cause_key: str) -> int:
    """The :class:`Cause` value of a catalog cause key, or -1 for ``other_unknown``."""
    return -1 if cause_key == OTHER_UNKNOWN else int(Cause.from_key(cause_key))
