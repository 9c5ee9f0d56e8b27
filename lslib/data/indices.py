"""Spectral indices of the study's layout, with cloud masking from QA_PIXEL.

Examples
--------
>>> float(ndvi(np.array(0.05), np.array(0.35)))
0.75
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from lslib.data.qa import invalid_mask

__all__ = ["ndvi", "ndvi_stack", "site_ndvi_series"]


def ndvi(red, nir):
    """Normalised difference vegetation index (nir - red) / (nir + red), unitless in [-1, 1]."""
    red = np.asarray(red, dtype=float)
    nir = np.asarray(nir, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(nir + red) > 1e-6, (nir - red) / (nir + red), np.nan)


def ndvi_stack(ds: xr.Dataset, masked: bool = True) -> xr.DataArray:
    """NDVI per pixel ``(site, time, y, x)``; with ``masked`` the QA-flagged pixels are NaN."""
    value = xr.DataArray(
        ndvi(ds["reflectance"].sel(band="red"), ds["reflectance"].sel(band="nir08")), dims=("site", "time", "y", "x")
    )
    if masked:
        value = value.where(~invalid_mask(ds["qa_pixel"].values))
    value.attrs.update(units="1", long_name="NDVI", source=ds.attrs.get("source", ""))
    return value


def site_ndvi_series(ds: xr.Dataset, masked: bool = True, min_clear_fraction: float = 0.2) -> np.ndarray:
    """Site-median NDVI per frame ``(site, time)``.

    With ``masked`` (the default) only clear pixels count and frames with less than
    ``min_clear_fraction`` of clear pixels are NaN; without it, the median runs over every pixel,
    clouds included (the naive series a cloud-blind method would see).
    """
    values = ndvi_stack(ds, masked=masked).values.reshape(ds.sizes["site"], ds.sizes["time"], -1)
    with np.errstate(all="ignore"):
        series = (
            np.nanmedian(np.where(np.isfinite(values), values, np.nan), axis=-1)
            if masked
            else np.median(values, axis=-1)
        )
    if masked:
        clear = np.isfinite(values).mean(axis=-1)
        series = np.where(clear >= min_clear_fraction, series, np.nan)
    return series
