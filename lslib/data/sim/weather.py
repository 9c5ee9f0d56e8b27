"""Daily weather: rain from a monthly climatology, extreme storms, temperature and wetness.

Stands in for: a station or reanalysis daily rainfall series (IMD, GHCN-D, CHIRPS) and daily mean
temperature at the site.

Breaks down: wet days are independent (no persistence of wet spells beyond the storms the scenarios
insert), and rain is uniform over the ~1 km site.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "daily_rain",
    "daily_temperature",
    "antecedent_index",
    "climatological_rain",
    "window_sums",
    "climate_storms",
    "API_DECAY",
]

#: Daily decay of the antecedent precipitation index (SIMULATOR.md: 0.85-0.95).
API_DECAY = 0.9


def _month_index(days: pd.DatetimeIndex) -> np.ndarray:
    return days.month.to_numpy() - 1


def daily_rain(
    days: pd.DatetimeIndex, monthly_mm: tuple[float, ...], wet_day_prob: tuple[float, ...], rng: np.random.Generator
) -> np.ndarray:
    """Daily rain (mm) whose expected monthly totals equal ``monthly_mm``.

    Wet days occur with the month's probability; wet-day amounts are exponential (gamma with
    shape 0.8) with the mean that gives the monthly climatology.

    Examples
    --------
    >>> days = pd.date_range("2001-01-01", "2030-12-31", freq="D")
    >>> rain = daily_rain(days, (30.0,) * 12, (0.5,) * 12, np.random.default_rng(0))
    >>> bool(abs(rain.sum() / (30 * 12) - 30.0) < 1.5)  # about 30 mm per month
    True
    """
    month = _month_index(days)
    days_in_month = days.days_in_month.to_numpy()
    probability = np.asarray(wet_day_prob)[month]
    mean_wet = np.asarray(monthly_mm)[month] / np.maximum(probability * days_in_month, 1e-6)
    wet = rng.random(len(days)) < probability
    shape = 0.8
    amounts = rng.gamma(shape, mean_wet / shape)
    return np.where(wet, amounts, 0.0)


def climate_storms(
    days: pd.DatetimeIndex,
    monthly_mm: tuple[float, ...],
    rate_per_year: float,
    total_mm: tuple[float, float],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Extreme multi-day storms of the region's climate, on top of the ordinary daily rain.

    Storms arrive as a Poisson process of ``rate_per_year``, in months weighted by their share of the
    annual rain (so the monsoon or the wet winter gets them), last 1-4 days and bring a total drawn
    log-uniformly from ``total_mm``: many moderate storms, a few extreme ones. Every site gets them,
    disturbed or not: rain on slopes nobody disturbed is how most real landslides start.

    Returns
    -------
    rain : numpy.ndarray
        Extra rain per day, mm.
    storm_day : numpy.ndarray
        Bool per day, True on the days of a storm.

    Examples
    --------
    >>> days = pd.date_range("2001-01-01", periods=3650, freq="D")
    >>> rain, flag = climate_storms(days, (10.0,) * 6 + (200.0,) * 6, 2.0, (100.0, 300.0), np.random.default_rng(0))
    >>> bool(rain[days.month > 6].sum() > 5 * rain[days.month <= 6].sum()), bool(rain[flag].min() > 0)
    (True, True)
    """
    weights = np.asarray(monthly_mm, dtype=float)[_month_index(days)] / days.days_in_month.to_numpy()
    weights = weights / weights.sum()
    n_storms = int(rng.poisson(rate_per_year * len(days) / 365.25))
    rain = np.zeros(len(days))
    flag = np.zeros(len(days), bool)
    for start in rng.choice(len(days), size=n_storms, p=weights):
        length = int(rng.integers(1, 5))
        total = float(np.exp(rng.uniform(np.log(total_mm[0]), np.log(total_mm[1]))))
        stop = min(start + length, len(days))
        rain[start:stop] += total * rng.dirichlet(np.full(length, 2.0))[: stop - start]
        flag[start:stop] = True
    return rain, flag


def climatological_rain(days: pd.DatetimeIndex, monthly_mm: tuple[float, ...]) -> np.ndarray:
    """The climatological mean daily rain (mm/day) for each day: the 'rain to climatology' counterfactual."""
    return np.asarray(monthly_mm)[_month_index(days)] / days.days_in_month.to_numpy()


def daily_temperature(
    days: pd.DatetimeIndex, mean_c: float, amplitude_c: float, peak_doy: int, rng: np.random.Generator
) -> np.ndarray:
    """Daily mean temperature (degrees C): a seasonal cosine plus day-to-day noise (sd 1.5 C)."""
    doy = days.day_of_year.to_numpy()
    seasonal = mean_c + amplitude_c * np.cos(2 * np.pi * (doy - peak_doy) / 365.25)
    return seasonal + rng.normal(0.0, 1.5, len(days))


def antecedent_index(rain_mm: np.ndarray, decay: float = API_DECAY, initial: float | None = None) -> np.ndarray:
    """Antecedent precipitation index API_t = decay * API_(t-1) + P_t, in mm.

    Examples
    --------
    >>> antecedent_index(np.array([10.0, 0.0, 0.0]), decay=0.5, initial=0.0).tolist()
    [10.0, 5.0, 2.5]
    """
    api = np.empty(len(rain_mm))
    value = (
        float(initial) if initial is not None else float(np.mean(rain_mm[:60]) / (1 - decay)) if len(rain_mm) else 0.0
    )
    for index, amount in enumerate(rain_mm):
        value = decay * value + amount
        api[index] = value
    return api


def window_sums(rain_mm: np.ndarray, window_days: int) -> np.ndarray:
    """Rain over the ``window_days`` days up to and including each day, mm.

    Examples
    --------
    >>> window_sums(np.array([1.0, 2.0, 3.0, 4.0]), 2).tolist()
    [1.0, 3.0, 5.0, 7.0]
    """
    cumulative = np.concatenate([[0.0], np.cumsum(rain_mm)])
    index = np.arange(1, len(rain_mm) + 1)
    return cumulative[index] - cumulative[np.maximum(index - window_days, 0)]
