"""Tabular features of forecasting windows: what the network sees, summarised for a tree baseline.

Chapter 4's network reads, per window (:func:`lslib.data.tasks.forecast_table`), its Landsat frames
(six bands and the QA cloud mask), its Sentinel-1 frames and per-frame metadata (rain, temperature,
season, place). :func:`matched_window_features` condenses the same inputs into one row of floats per
window, so that a gradient-boosting baseline is given the same information as the network: the eight
hand features of the random-forest baseline, one value per frame of the NDVI, cloud and weather
series, the season of the last frame, the site's place, and the change of the radar backscatter.

Everything per site or per frame is computed once for the whole stack and then indexed by window, so
ten thousand windows cost little more than one pass over the stack.

Examples
--------
>>> from lslib.data.sim import simulate
>>> from lslib.data.tasks import forecast_table
>>> stack = simulate(regions=["india"], n_sites=4, n_times=12, size=16, seed=0)
>>> windows = forecast_table(stack, 32.0, window_frames=4, sar_frames=4)
>>> table = matched_window_features(stack, windows)
>>> len(table) == len(windows), table.shape[1], bool(np.isfinite(table.to_numpy()).all())
(True, 43, True)
>>> table.columns[:8].tolist() == list(window_hand_feature_names)
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from lslib.data.indices import ndvi_stack
from lslib.data.qa import invalid_mask
from lslib.data.schema import SAR_POLS, require

__all__ = [
    "matched_window_features",
    "window_hand_feature_names",
    "window_frame_columns",
    "BARE_NDVI",
    "NEUTRAL_NDVI",
    "NEUTRAL_TEMPERATURE_C",
]

#: NDVI below which a pixel counts as bare ground (as in the random-forest baseline's hand features).
BARE_NDVI = 0.3
#: NDVI given to a window none of whose frames has a clear pixel.
NEUTRAL_NDVI = 0.5
#: Temperature (degrees C) given to a window without any recorded temperature.
NEUTRAL_TEMPERATURE_C = 15.0

#: The eight hand features of the random-forest baseline, in their column order.
window_hand_feature_names: tuple[str, ...] = (
    "ndvi_mean",
    "ndvi_min",
    "ndvi_drop",
    "bare_share_max",
    "slope_mean_deg",
    "slope_p90_deg",
    "rain_7d_mm",
    "rain_30d_mm",
)
_FRAME_SERIES = ("ndvi", "cloud", "rain1d", "rain7d", "rain30d", "temp")
_PLACE_COLUMNS = ("doy_sin", "doy_cos", "lat_sin", "lon_sin", "lon_cos")
_SAR_COLUMNS = tuple(
    f"sar_{pol}_{kind}_db" for kind in ("change", "std", "last") for pol in SAR_POLS
)  # sar_vv_change_db, sar_vh_change_db, sar_vv_std_db, ...
_WINDOW_COLUMNS = ("site", "start", "end", "sar_start", "sar_end")
_STACK_VARIABLES = (
    "reflectance",
    "qa_pixel",
    "date",
    "sar",
    "sar_date",
    "rain_1d",
    "rain_7d",
    "rain_30d",
    "temperature",
    "slope",
    "lat",
    "lon",
)
_SITE_CHUNK = 64  # sites per block of the radar statistics (bounds their memory)


def window_frame_columns(frames: int) -> list[str]:
    """Names of the per-frame columns for windows of ``frames`` Landsat frames, series by series.

    Examples
    --------
    >>> window_frame_columns(2)
    ['ndvi_f1', 'ndvi_f2', 'cloud_f1', 'cloud_f2', 'rain1d_f1', 'rain1d_f2', 'rain7d_f1', 'rain7d_f2', \
'rain30d_f1', 'rain30d_f2', 'temp_f1', 'temp_f2']
    """
    if isinstance(frames, bool) or not isinstance(frames, (int, np.integer)) or frames < 1:
        raise ValueError(f"frames must be an integer >= 1, got {frames!r}")
    return [f"{series}_f{k}" for series in _FRAME_SERIES for k in range(1, int(frames) + 1)]


def matched_window_features(stack: xr.Dataset, windows: pd.DataFrame) -> pd.DataFrame:
    """One row of float features per forecasting window: the network's inputs, summarised.

    Parameters
    ----------
    stack : xarray.Dataset
        A stack in the study's layout (:mod:`lslib.data.schema`); reads ``reflectance``, ``qa_pixel``,
        ``date``, ``sar``, ``sar_date``, ``rain_1d``, ``rain_7d``, ``rain_30d``, ``temperature``,
        ``slope``, ``lat`` and ``lon``, never a label.
    windows : pandas.DataFrame
        Windows as :func:`lslib.data.tasks.forecast_table` returns them; reads ``site`` (position on the
        ``site`` dimension), ``start``, ``end`` (inclusive indices on ``time``), ``sar_start`` and
        ``sar_end`` (inclusive indices on ``sar_time``). A window's frames are the valid (non-NaT
        ``date``) frames from ``start`` to ``end``; every window must hold the same number F of them.
        Its radar frames are the valid ``sar_date`` frames from ``sar_start`` to ``sar_end`` (S >= 1,
        which may differ between windows).

    Returns
    -------
    pandas.DataFrame
        One row per window, in the order of ``windows`` (same index), float64, no NaN. Columns, in order:

        Hand features (:data:`window_hand_feature_names`, as the random-forest baseline's), from the
        per-frame NDVI series below (median NDVI over a frame's clear pixels):

        ``ndvi_mean``, ``ndvi_min`` (unitless)
            Mean and minimum of the series.
        ``ndvi_drop`` (unitless)
            Mean of the first ``max(1, F // 2)`` frames minus the mean of the last two (positive:
            vegetation was lost).
        ``bare_share_max`` (share, 0-1)
            Largest share, over the frames, of clear pixels with NDVI < :data:`BARE_NDVI`; 0 when no
            frame has a clear pixel.
        ``slope_mean_deg``, ``slope_p90_deg`` (degrees)
            Mean and 90th percentile of the site's slope; 0 when the slope is missing.
        ``rain_7d_mm``, ``rain_30d_mm`` (mm)
            Rain of the 7 and 30 days up to and including the last frame's day; 0 when missing.

        Per frame, ``k = 1 .. F`` counted from the window's oldest frame (:func:`window_frame_columns`):

        ``ndvi_f{k}`` (unitless)
            Median NDVI over the frame's clear pixels; a frame without a clear pixel gets the mean of
            the window's other frames (:data:`NEUTRAL_NDVI` when none has one).
        ``cloud_f{k}`` (share, 0-1)
            Share of the frame's pixels masked by the QA (:func:`lslib.data.qa.invalid_mask`: fill,
            cloud, dilated cloud, cirrus, shadow, snow): the network's cloud-mask channel, averaged.
        ``rain1d_f{k}``, ``rain7d_f{k}``, ``rain30d_f{k}`` (log1p of mm)
            ``log1p`` of the 1-, 7- and 30-day rain up to the frame's day, as the network's metadata.
        ``temp_f{k}`` (degrees C)
            Air temperature on the frame's day.

        A missing weather value gets the mean of the window's other frames (0 mm of rain, or
        :data:`NEUTRAL_TEMPERATURE_C`, when the whole window lacks it).

        Season and place:

        ``doy_sin``, ``doy_cos`` (unitless)
            Sine and cosine of ``2 pi doy / 365.25``, ``doy`` the last frame's day of the year (from 0).
        ``lat_sin``, ``lon_sin``, ``lon_cos`` (unitless)
            Sine of the site's latitude, sine and cosine of its longitude.

        Radar change, per polarisation ``pol`` in ``vv, vh`` (over the window's S radar frames; each
        frame's value is its mean over its finite pixels):

        ``sar_{pol}_change_db`` (dB)
            Mean of the last ``min(2, S)`` frames minus the mean of the first ``max(1, S // 2)``;
            0 when either is undefined.
        ``sar_{pol}_std_db`` (dB)
            Each pixel's standard deviation over the S frames (population, ``ddof=0``), averaged over
            pixels; 0 when undefined (no finite pixel).
        ``sar_{pol}_last_db`` (dB)
            Mean backscatter of the last radar frame; the mean of the window's frames, else the stack's
            mean of the polarisation, else 0, when it has no finite pixel.

        With F = 8 that is 8 + 48 + 5 + 6 = 67 columns. No windows give an empty table (its per-frame
        columns those of F = 1, as no window tells F).

    Raises
    ------
    ValueError
        ``windows`` lacks a column, holds an index outside the stack or a start after its end, a window
        has no valid frame, or the windows hold different numbers of valid Landsat frames (the
        message names the first bad window). :class:`lslib.data.schema.SchemaError` (a ValueError)
        when ``stack`` lacks a variable.
    """
    require(stack, _STACK_VARIABLES)
    sites, frames, sar_first, sar_count = _window_indices(stack, windows)
    if not len(sites):
        columns = [*window_hand_feature_names, *window_frame_columns(1), *_PLACE_COLUMNS, *_SAR_COLUMNS]
        return pd.DataFrame({name: np.zeros(0) for name in columns}, index=windows.index)
    used, position = np.unique(sites, return_inverse=True)
    if 2 * len(used) <= stack.sizes["site"]:  # few sites: read only theirs (selecting copies, so not for most)
        subset = stack[list(_STACK_VARIABLES)].isel(site=used)
    else:
        subset, position = stack, sites
    parts = [
        _landsat_features(subset, position, frames),
        _place_features(subset, position, frames[:, -1]),
        _sar_features(subset, position, sar_first, sar_count),
    ]
    table = pd.concat(parts, axis=1)
    table.index = windows.index
    return table


# ----------------------------------------------------------------- which frames a window holds
def _window_indices(stack: xr.Dataset, windows: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Check ``windows``; return per window its site, its F Landsat frame indices ``(n, F)``, and the
    rank (among the site's valid radar frames) and number of its radar frames."""
    missing = [name for name in _WINDOW_COLUMNS if name not in windows.columns]
    if missing:
        raise ValueError(f"windows lacks columns {missing}; it has {list(windows.columns)}")
    values = {name: windows[name].to_numpy() for name in _WINDOW_COLUMNS}
    for name, array in values.items():
        if len(array) and not np.issubdtype(array.dtype, np.integer):
            raise ValueError(f"windows[{name!r}] must hold integer indices, got dtype {array.dtype}")
    sites = values["site"].astype(np.int64)
    _check_range("site", sites, stack.sizes["site"])
    dates = np.asarray(stack["date"].values)
    sar_dates = np.asarray(stack["sar_date"].values)
    first, count = _valid_ranks(dates, sites, values["start"], values["end"], "start", "end")
    sar_first, sar_count = _valid_ranks(
        sar_dates, sites, values["sar_start"], values["sar_end"], "sar_start", "sar_end"
    )
    if len(count) and np.any(count != count[0]):
        bad = int(np.nonzero(count != count[0])[0][0])
        raise ValueError(
            f"Every window must hold the same number of valid Landsat frames: window {bad} holds {int(count[bad])}, "
            f"window 0 holds {int(count[0])} (use forecast_table, whose windows all hold window_frames frames)"
        )
    n_frames = int(count[0]) if len(count) else 1
    order = np.argsort(np.isnat(dates), axis=1, kind="stable")  # per site: valid frames first, in time order
    frames = order[sites[:, None], first[:, None] + np.arange(n_frames)]
    return sites, frames, sar_first, sar_count


def _check_range(name: str, index: np.ndarray, size: int) -> None:
    """Raise a ValueError naming the first index of ``name`` outside ``[0, size)``."""
    outside = (index < 0) | (index >= size)
    if outside.any():
        row = int(np.nonzero(outside)[0][0])
        raise ValueError(f"windows[{name!r}] holds {int(index[row])} (window {row}), outside 0..{size - 1}")


def _valid_ranks(
    dates: np.ndarray, sites: np.ndarray, start: np.ndarray, end: np.ndarray, start_name: str, end_name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Per window, the rank of its first valid frame among its site's valid frames and its number of
    valid frames in ``start..end`` (inclusive); raise a ValueError for a bad or empty range."""
    start, end = start.astype(np.int64), end.astype(np.int64)
    _check_range(start_name, start, dates.shape[1])
    _check_range(end_name, end, dates.shape[1])
    if np.any(start > end):
        row = int(np.nonzero(start > end)[0][0])
        raise ValueError(f"window {row}: {start_name}={int(start[row])} is after {end_name}={int(end[row])}")
    valid = ~np.isnat(dates)
    before = np.cumsum(valid, axis=1) - valid  # valid frames before each index
    first = before[sites, start]
    count = before[sites, end] + valid[sites, end] - first
    if np.any(count < 1):
        row = int(np.nonzero(count < 1)[0][0])
        raise ValueError(f"window {row} has no valid frame in {start_name}..{end_name}")
    return first, count


# ----------------------------------------------------------------- Landsat: NDVI, clouds, weather
def _per_frame_ndvi(stack: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """``(site, time)`` median NDVI over clear pixels and share of clear pixels below :data:`BARE_NDVI`
    (both NaN for a frame without a clear pixel)."""
    values = ndvi_stack(stack).values
    values = values.reshape(values.shape[0] * values.shape[1], -1)
    finite = np.isfinite(values)
    clear = finite.sum(axis=1)
    ordered = np.sort(values, axis=1)  # NaN sort last: the clear values lead each row
    rows = np.arange(len(values))
    low = ordered[rows, np.maximum(clear - 1, 0) // 2]
    high = ordered[rows, np.minimum(clear // 2, values.shape[1] - 1)]
    with np.errstate(invalid="ignore"):
        median = np.where(clear > 0, (low + high) / 2.0, np.nan)
        bare = np.where(clear > 0, (finite & (values < BARE_NDVI)).sum(axis=1) / np.maximum(clear, 1), np.nan)
    shape = stack["date"].shape
    return median.reshape(shape), bare.reshape(shape)


def _fill_rows(values: np.ndarray, default: float) -> np.ndarray:
    """NaN in each row replaced by that row's mean of finite values (``default`` for an all-NaN row)."""
    finite = np.isfinite(values)
    total = np.where(finite, values, 0.0).sum(axis=1, keepdims=True)
    count = finite.sum(axis=1, keepdims=True)
    mean = np.where(count > 0, total / np.maximum(count, 1), default)
    return np.where(finite, values, mean)


def _landsat_features(stack: xr.Dataset, position: np.ndarray, frames: np.ndarray) -> pd.DataFrame:
    """Hand features and per-frame series of each window (``position``: its site in ``stack``)."""
    median, bare = _per_frame_ndvi(stack)
    cloud = invalid_mask(stack["qa_pixel"].values).mean(axis=(2, 3))
    rows = position[:, None]
    ndvi = _fill_rows(median[rows, frames], NEUTRAL_NDVI)
    bare_window = np.nan_to_num(bare[rows, frames], nan=-np.inf).max(axis=1)
    half = max(1, frames.shape[1] // 2)
    slope = np.asarray(stack["slope"].values, dtype=float).reshape(stack.sizes["site"], -1)
    with np.errstate(all="ignore"):
        slope_mean = _nan_reduce(np.nanmean, slope)
        slope_p90 = _nan_reduce(lambda a, axis: np.nanpercentile(a, 90, axis=axis), slope)
    last = frames[:, -1]
    weather = {
        name: np.asarray(stack[name].values, dtype=float)[rows, frames]
        for name in ("rain_1d", "rain_7d", "rain_30d", "temperature")
    }
    columns = {
        "ndvi_mean": ndvi.mean(axis=1),
        "ndvi_min": ndvi.min(axis=1),
        "ndvi_drop": ndvi[:, :half].mean(axis=1) - ndvi[:, -2:].mean(axis=1),
        "bare_share_max": np.where(np.isfinite(bare_window), bare_window, 0.0),
        "slope_mean_deg": slope_mean[position],
        "slope_p90_deg": slope_p90[position],
        "rain_7d_mm": np.nan_to_num(np.asarray(stack["rain_7d"].values, dtype=float)[position, last]),
        "rain_30d_mm": np.nan_to_num(np.asarray(stack["rain_30d"].values, dtype=float)[position, last]),
    }
    series = {
        "ndvi": ndvi,
        "cloud": cloud[rows, frames],
        "rain1d": np.log1p(np.clip(_fill_rows(weather["rain_1d"], 0.0), 0.0, None)),
        "rain7d": np.log1p(np.clip(_fill_rows(weather["rain_7d"], 0.0), 0.0, None)),
        "rain30d": np.log1p(np.clip(_fill_rows(weather["rain_30d"], 0.0), 0.0, None)),
        "temp": _fill_rows(weather["temperature"], NEUTRAL_TEMPERATURE_C),
    }
    for name in _FRAME_SERIES:
        for k in range(frames.shape[1]):
            columns[f"{name}_f{k + 1}"] = series[name][:, k]
    return pd.DataFrame({name: np.asarray(value, dtype=np.float64) for name, value in columns.items()})


def _nan_reduce(reduce, values: np.ndarray) -> np.ndarray:
    """``reduce(values, axis=1)`` over each row's finite values, 0 for a row without one."""
    finite = np.isfinite(values).any(axis=1)
    out = np.zeros(len(values))
    if finite.any():
        out[finite] = reduce(values[finite], axis=1)
    return out


# ----------------------------------------------------------------- season and place
def _place_features(stack: xr.Dataset, position: np.ndarray, last: np.ndarray) -> pd.DataFrame:
    """Day of year of the last frame and the site's place, as the network's metadata encodes them."""
    dates = np.asarray(stack["date"].values)[position, last]
    doy = (dates - dates.astype("datetime64[Y]")) / np.timedelta64(1, "D")
    lat = np.deg2rad(np.asarray(stack["lat"].values, dtype=float))[position]
    lon = np.deg2rad(np.asarray(stack["lon"].values, dtype=float))[position]
    angle = 2.0 * np.pi * doy / 365.25
    values = [np.sin(angle), np.cos(angle), np.sin(lat), np.sin(lon), np.cos(lon)]
    return pd.DataFrame({name: np.nan_to_num(v) for name, v in zip(_PLACE_COLUMNS, values)})


# ----------------------------------------------------------------- Sentinel-1 change
def _sar_features(stack: xr.Dataset, position: np.ndarray, first: np.ndarray, count: np.ndarray) -> pd.DataFrame:
    """Radar change, variability and last level of each window, per polarisation (dB).

    Sites are read in blocks of :data:`_SITE_CHUNK`; in each block the valid radar frames of a site are
    moved to the front (in time order), so a window's frames are the contiguous ranks
    ``first .. first + count - 1``."""
    sar = stack["sar"].sel(pol=list(SAR_POLS)) if "pol" in stack["sar"].coords else stack["sar"]
    valid = ~np.isnat(np.asarray(stack["sar_date"].values))
    order = np.argsort(~valid, axis=1, kind="stable")
    n_sites, n_frames, n_pols = stack.sizes["site"], sar.sizes["sar_time"], sar.sizes["pol"]
    frame_mean = np.full((n_sites, n_frames, n_pols), np.nan)
    pixel_std = np.zeros((len(position), n_pols))
    for lo in range(0, n_sites, _SITE_CHUNK):
        hi = min(lo + _SITE_CHUNK, n_sites)
        values = np.asarray(sar.isel(site=slice(lo, hi)).values, dtype=np.float64)
        values = values.reshape(hi - lo, n_frames, n_pols, -1)
        if not valid[lo:hi].all():
            values = np.take_along_axis(values, order[lo:hi, :, None, None], axis=1)
        finite = None if np.isfinite(values).all() else np.isfinite(values)
        frame_mean[lo:hi] = _frame_means(values, finite)
        rows = np.nonzero((position >= lo) & (position < hi))[0]
        if len(rows):
            pixel_std[rows] = _window_pixel_std(values, finite, position[rows] - lo, first[rows], count[rows])
    frame_mean[np.arange(n_frames)[None, :] >= valid.sum(axis=1)[:, None]] = np.nan  # ranks past the valid frames
    return _sar_table(frame_mean, position, first, count, pixel_std)


def _frame_means(values: np.ndarray, finite: np.ndarray | None) -> np.ndarray:
    """Mean over finite pixels of ``values`` ``(site, frame, pol, pixel)``; NaN without one.
    ``finite`` None means every value is finite."""
    if finite is None:
        return values.mean(axis=-1)
    n = finite.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.where(finite, values, 0.0).sum(axis=-1) / n, np.nan)


def _running_sums(values: np.ndarray) -> np.ndarray:
    """Cumulative sums along the frame axis (1) with a leading zero: ``out[:, k]`` sums frames ``0 .. k-1``."""
    out = np.empty((values.shape[0], values.shape[1] + 1) + values.shape[2:])
    out[:, 0] = 0.0
    for frame in range(values.shape[1]):  # frame by frame: whole contiguous slices (np.cumsum on axis 1 strides)
        np.add(out[:, frame], values[:, frame], out=out[:, frame + 1])
    return out


def _window_pixel_std(
    values: np.ndarray, finite: np.ndarray | None, local: np.ndarray, first: np.ndarray, count: np.ndarray
) -> np.ndarray:
    """Per window ``(n, pol)``: each pixel's std over the window's radar frames, averaged over pixels (dB).

    ``values`` ``(site, frame, pol, pixel)`` holds the compacted radar frames of a block of sites
    (``local``: each window's site in the block); running sums of the values, centred on each pixel's
    mean to keep the differences exact, give every window's moments at once."""
    if finite is None:
        centred = values - values.mean(axis=1, keepdims=True)
        n = count.astype(float)[:, None, None]
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = np.where(finite, values, 0.0).sum(axis=1, keepdims=True) / np.maximum(
                finite.sum(axis=1, keepdims=True), 1
            )
        centred = np.where(finite, values - centre, 0.0)
        counts = _running_sums(finite.astype(np.float64))
        n = counts[local, first + count] - counts[local, first]
    end = first + count
    s1 = _running_sums(centred)
    s1 = s1[local, end] - s1[local, first]
    s2 = _running_sums(np.square(centred, out=centred))
    s2 = s2[local, end] - s2[local, first]
    with np.errstate(invalid="ignore", divide="ignore"):
        std = np.sqrt(np.clip(np.where(n > 0, s2 / n - (s1 / n) ** 2, np.nan), 0.0, None))
    defined = np.isfinite(std)
    return np.where(
        defined.any(axis=-1), np.where(defined, std, 0.0).sum(axis=-1) / np.maximum(defined.sum(-1), 1), 0.0
    )


def _sar_table(
    frame_mean: np.ndarray, position: np.ndarray, first: np.ndarray, count: np.ndarray, pixel_std: np.ndarray
) -> pd.DataFrame:
    """The radar columns from per-frame means ``(site, compact frame, pol)`` and per-window pixel std."""
    finite = np.isfinite(frame_mean)
    zero = np.zeros_like(frame_mean[:, :1])
    n_sum, v_sum = (
        np.concatenate([zero, np.cumsum(part, axis=1)], axis=1)
        for part in (finite.astype(float), np.nan_to_num(frame_mean))
    )

    def mean(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Mean of the finite frame means in compact frames ``lo..hi - 1`` of each window, ``(n, pol)``."""
        n = n_sum[position, hi] - n_sum[position, lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, (v_sum[position, hi] - v_sum[position, lo]) / n, np.nan)

    end = first + count
    early = mean(first, first + np.maximum(1, count // 2))
    late = mean(end - np.minimum(2, count), end)
    whole = mean(first, end)
    n_all = finite.sum(axis=(0, 1))
    overall = np.where(n_all > 0, np.nan_to_num(frame_mean).sum(axis=(0, 1)) / np.maximum(n_all, 1), 0.0)
    last = frame_mean[position, end - 1]
    last = np.where(np.isfinite(last), last, np.where(np.isfinite(whole), whole, overall))
    change = np.nan_to_num(late - early)
    columns = {}
    for kind, values in (("change", change), ("std", pixel_std), ("last", last)):
        for index, pol in enumerate(SAR_POLS):
            columns[f"sar_{pol}_{kind}_db"] = np.asarray(values[:, index], dtype=np.float64)
    return pd.DataFrame({name: columns[name] for name in _SAR_COLUMNS})
