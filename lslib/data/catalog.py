"""The NASA Global Landslide Catalog (GLC), cleaned and mapped onto the study's causes and regions.

The GLC (Kirschbaum et al. 2010, 2015) lists rainfall-triggered and other landslides reported in
news, scientific and government sources, 2007-2017. This module parses the 2018 export (11,032
events): dates and coordinates, the trigger mapped to one of the study's causes
(:class:`lslib.causes.Cause`) or ``other_unknown``, and a continent and study region
(``america``, ``china``, ``india`` or ``other``).

Mapping choices (documented in chapter 1):

* heavy rainfall: triggers ``downpour``, ``rain``, ``continuous_rain``, ``monsoon``, ``tropical_cyclone``;
* earthquake: ``earthquake``; volcanic eruption: ``volcano``; mining: ``mining``; construction: ``construction``;
* everything else (``unknown``, ``snowfall_snowmelt``, ``flooding``, ``freeze_thaw``, ...) is ``other_unknown``.
* The GLC trigger never names deforestation; the *setting* sometimes does. ``setting_cause`` maps
  ``deforested_slope`` to deforestation, ``mine`` to mining and ``engineered_slope`` to
  construction. It encodes the cause, so a cause model must not use it as a feature.

The study regions are the Americas (North, Central and South, including the Caribbean), China
(``CN``; Hong Kong and Taiwan are kept apart as ``other``) and India (``IN``). Records without a
country code (1,562, mostly at sea or unresolved) get their continent from their coordinates:
the Americas when west of 30 W, otherwise ``unknown``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lslib.causes import OTHER_UNKNOWN, Cause
from lslib.data.registry import fetch

__all__ = [
    "GLC_KEY",
    "TRIGGER_TO_CAUSE",
    "SETTING_TO_CAUSE",
    "STUDY_REGIONS",
    "load_glc",
    "trigger_to_cause",
    "MALIN_EVENT_ID",
]

GLC_KEY = "glc/nasa_glc_export_2018.csv"
MALIN_EVENT_ID = 6186
STUDY_REGIONS = ("america", "china", "india")

TRIGGER_TO_CAUSE: dict[str, Cause] = {
    "downpour": Cause.HEAVY_RAINFALL,
    "rain": Cause.HEAVY_RAINFALL,
    "continuous_rain": Cause.HEAVY_RAINFALL,
    "monsoon": Cause.HEAVY_RAINFALL,
    "tropical_cyclone": Cause.HEAVY_RAINFALL,
    "earthquake": Cause.EARTHQUAKE,
    "volcano": Cause.VOLCANIC_ERUPTION,
    "mining": Cause.MINING,
    "construction": Cause.CONSTRUCTION,
}

SETTING_TO_CAUSE: dict[str, Cause] = {
    "deforested_slope": Cause.DEFORESTATION,
    "mine": Cause.MINING,
    "engineered_slope": Cause.CONSTRUCTION,
}

# ISO 3166-1 alpha-2 codes present in the GLC, by continent.
_CONTINENT_CODES = {
    "north_america": "AG AS BB BM BZ CA CR CU DM DO GD GT HN HT JM KN LC MX NI PA PR SV TT US VC VI",
    "south_america": "AR BO BR CL CO EC PE PY VE",
    "asia": (
        "AE AF AM AZ BD BN BT CN GE HK ID IL IN IR JO JP KG KH KP KR KZ LA LB LK MM MN MY NP OM PH "
        "PK SA SG TH TJ TL TR TW UZ VN YE"
    ),
    "europe": "AL AT BA BG CH CZ DE ES FR GB GR HR IE IM IS IT JE LU ME MK NO PL PT RO RS RU SI SK UA",
    "africa": "AO BF BI CD CG CI CM DZ EG ET GA GH GN KE LR MA MG MU MW NA NG RW SD SL SZ TZ UG ZA ZM",
    "oceania": "AU FJ GU NZ PG SB VU",
}
CONTINENT_OF: dict[str, str] = {
    code: continent for continent, codes in _CONTINENT_CODES.items() for code in codes.split()
}
_ACCURACY_KM = {
    "exact": 0.0,
    "1km": 1.0,
    "5km": 5.0,
    "10km": 10.0,
    "25km": 25.0,
    "50km": 50.0,
    "100km": 100.0,
    "250km": 250.0,
}


def trigger_to_cause(trigger: str) -> str:
    """Map a GLC ``landslide_trigger`` to a cause key, or ``"other_unknown"``.

    Examples
    --------
    >>> trigger_to_cause("continuous_rain")
    'heavy_rainfall'
    >>> trigger_to_cause("snowfall_snowmelt")
    'other_unknown'
    """
    cause = TRIGGER_TO_CAUSE.get(str(trigger).strip().lower())
    return cause.key if cause is not None else OTHER_UNKNOWN


def _continent(code: str, lon: float) -> str:
    if code in CONTINENT_OF:
        return CONTINENT_OF[code]
    if code:
        raise ValueError(f"Country code {code!r} has no continent in lslib.data.catalog; add it")
    return "americas_unresolved" if lon < -30.0 else "unknown"


def _region(code: str, continent: str) -> str:
    if code == "CN":
        return "china"
    if code == "IN":
        return "india"
    if continent in ("north_america", "south_america", "americas_unresolved"):
        return "america"
    return "other"


def load_glc(path: Path | str | None = None) -> pd.DataFrame:
    """Load and clean the NASA Global Landslide Catalog export.

    Parameters
    ----------
    path : path-like, optional
        A GLC export CSV. By default the registered file is resolved through
        :func:`lslib.data.registry.fetch` (cache, mirror, then upstream).

    Returns
    -------
    pandas.DataFrame
        One row per event, indexed by ``event_id``, with columns ``date`` (datetime64, local
        time as reported), ``year``, ``month``, ``lat`` and ``lon`` (degrees), ``country``,
        ``country_code``, ``continent``, ``region`` (``america``/``china``/``india``/``other``),
        ``trigger``, ``cause`` (cause key or ``other_unknown``), ``category``, ``size``,
        ``setting``, ``setting_cause`` (cause key implied by the setting, or ``""``),
        ``fatalities`` (nullable int), ``location_accuracy_km`` (float, NaN if unknown) and
        ``description``. ``attrs["source"]`` is ``"registry:glc/nasa_glc_export_2018.csv"``.
    """
    csv_path = Path(path) if path is not None else fetch(GLC_KEY)
    raw = pd.read_csv(csv_path, dtype=str, keep_default_na=False, encoding="utf-8")
    country_code = raw["country_code"].str.strip()
    lon = pd.to_numeric(raw["longitude"], errors="raise")
    lat = pd.to_numeric(raw["latitude"], errors="raise")
    if not (lat.between(-90, 90).all() and lon.between(-180, 180).all()):
        raise ValueError(f"{csv_path} has coordinates outside the valid range")
    continent = [_continent(c, x) for c, x in zip(country_code, lon)]
    date = pd.to_datetime(raw["event_date"], format="%m/%d/%Y %H:%M")
    trigger = raw["landslide_trigger"].str.strip().replace("", "unknown")
    setting = raw["landslide_setting"].str.strip().replace("", "unknown")
    frame = pd.DataFrame(
        {
            "date": date,
            "year": date.dt.year,
            "month": date.dt.month,
            "lat": lat,
            "lon": lon,
            "country": raw["country_name"].str.strip(),
            "country_code": country_code,
            "continent": continent,
            "region": [_region(c, k) for c, k in zip(country_code, continent)],
            "trigger": trigger,
            "cause": trigger.map(trigger_to_cause),
            "category": raw["landslide_category"].str.strip().replace("", "unknown"),
            "size": raw["landslide_size"].str.strip().replace("", "unknown"),
            "setting": setting,
            "setting_cause": setting.map(lambda s: SETTING_TO_CAUSE[s].key if s in SETTING_TO_CAUSE else ""),
            "fatalities": pd.to_numeric(raw["fatality_count"].replace("", np.nan)).astype("Int64"),
            "location_accuracy_km": raw["location_accuracy"].map(_ACCURACY_KM).astype(float),
            "description": raw["location_description"].str.strip(),
        }
    )
    # Built on the CSV's row order, then indexed: assigning the index above would realign columns.
    frame.index = pd.Index(raw["event_id"].astype(int).to_numpy(), name="event_id")
    if frame.index.has_duplicates:
        duplicated = frame.index[frame.index.duplicated()].unique().tolist()[:5]
        raise ValueError(f"{csv_path} repeats event ids {duplicated}")
    frame.attrs["source"] = f"registry:{GLC_KEY}" if path is None else f"file:{csv_path}"
    return frame
