"""India Meteorological Department rainfall: subdivision monthly series (1901-2015) and district normals.

Examples
--------
>>> MONTHS[:3]
('JAN', 'FEB', 'MAR')
"""

from __future__ import annotations

import pandas as pd

from lslib.data.registry import fetch

__all__ = ["MONTHS", "subdivision_monthly", "month_anomalies", "district_normals"]

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
SUBDIVISION_KEY = "imd_rainfall/imd_subdivision_monthly_rainfall_1901-2015.csv"
NORMALS_KEY = "imd_rainfall/imd_district_rainfall_normals.csv"


def subdivision_monthly(subdivision: str) -> pd.DataFrame:
    """Monthly rain (mm) of one IMD subdivision, indexed by year, columns JAN..DEC."""
    frame = pd.read_csv(fetch(SUBDIVISION_KEY))
    rows = frame[frame["SUBDIVISION"].str.upper() == subdivision.upper()]
    if rows.empty:
        known = sorted(frame["SUBDIVISION"].unique())
        raise ValueError(f"Unknown IMD subdivision {subdivision!r}; known subdivisions include {known[:8]} ...")
    return rows.set_index("YEAR")[list(MONTHS)].astype(float)


def month_anomalies(subdivision: str, year: int) -> pd.DataFrame:
    """For each month of ``year``: rain (mm), the 1901-2015 mean, the anomaly (mm and %) and the
    percentile rank of that month among all years (0-100, ties averaged)."""
    monthly = subdivision_monthly(subdivision)
    if year not in monthly.index:
        raise ValueError(f"{subdivision} has no year {year} (years {monthly.index.min()}-{monthly.index.max()})")
    rows = []
    for month in MONTHS:
        series = monthly[month].dropna()
        value = float(monthly.loc[year, month])
        rank = float((series < value).mean() * 100 + (series == value).mean() * 50)
        mean = float(series.mean())
        rows.append(
            {
                "month": month,
                "rain_mm": value,
                "mean_mm": mean,
                "anomaly_mm": value - mean,
                "anomaly_pct": 100 * (value - mean) / mean if mean else float("nan"),
                "percentile": rank,
            }
        )
    return pd.DataFrame(rows).set_index("month")


def district_normals(state: str, district: str) -> pd.Series:
    """IMD monthly normal rainfall (mm) of a district, JAN..DEC."""
    normals = pd.read_csv(fetch(NORMALS_KEY))
    row = normals[
        (normals["STATE_UT_NAME"].str.upper() == state.upper()) & (normals["DISTRICT"].str.upper() == district.upper())
    ]
    if len(row) != 1:
        raise ValueError(f"No single IMD normal for {district}, {state}")
    return row.iloc[0][list(MONTHS)].astype(float)
