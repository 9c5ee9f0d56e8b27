"""Daily rain and temperature at a point from a public archive, through a careful HTTP client.

The default source is the Open-Meteo historical weather API (ERA5-based reanalysis, free, no key):
``daily=precipitation_sum,temperature_2m_mean``. Requests retry with back-off on connection errors
and 429/5xx answers, time out, and are cached on disk by URL, so a second run makes no request.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd

from lslib.errors import DataUnavailable

__all__ = ["OPEN_METEO_ARCHIVE", "daily_weather"]

OPEN_METEO_ARCHIVE = "https://archive-api.open-meteo.com/v1/archive"


def _session(retries: int):
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3 import Retry

    session = requests.Session()
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        backoff_factor=0.3,
        status_forcelist=[429, 500, 502, 503, 504],
        allowed_methods=["GET"],
    )
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


def daily_weather(
    lat: float,
    lon: float,
    start: str,
    end: str,
    *,
    url: str = OPEN_METEO_ARCHIVE,
    cache_dir: str | Path = "data/weather",
    retries: int = 3,
    timeout: float = 20.0,
) -> pd.DataFrame:
    """Daily ``precipitation_mm`` and ``temperature_c`` at (lat, lon) from ``start`` to ``end`` (ISO dates).

    Raises
    ------
    DataUnavailable
        The service could not be reached after the retries, or answered without daily data.
    """
    query = {
        "latitude": round(lat, 4),
        "longitude": round(lon, 4),
        "start_date": start,
        "end_date": end,
        "daily": "precipitation_sum,temperature_2m_mean",
        "timezone": "UTC",
    }
    full_url = f"{url}?{urlencode(query)}"
    cache = Path(cache_dir) / f"{hashlib.sha256(full_url.encode()).hexdigest()[:20]}.json"
    if cache.is_file():
        payload = json.loads(cache.read_text())
    else:
        try:
            response = _session(retries).get(url, params=query, timeout=timeout)
            response.raise_for_status()
            payload = response.json()
        except Exception as error:
            raise DataUnavailable(
                f"Daily weather unavailable from {full_url}: {type(error).__name__}: {error}"
            ) from error
        cache.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache.with_suffix(".tmp")
        temporary.write_text(json.dumps(payload))
        temporary.replace(cache)
    daily = payload.get("daily") or {}
    if "time" not in daily or "precipitation_sum" not in daily:
        raise DataUnavailable(f"{full_url} answered without daily precipitation (keys: {sorted(payload)})")
    frame = pd.DataFrame(
        {
            "precipitation_mm": pd.to_numeric(daily["precipitation_sum"], errors="coerce"),
            "temperature_c": pd.to_numeric(
                daily.get("temperature_2m_mean", [None] * len(daily["time"])), errors="coerce"
            ),
        },
        index=pd.DatetimeIndex(pd.to_datetime(daily["time"]), name="date"),
    )
    return frame.loc[start:end]
