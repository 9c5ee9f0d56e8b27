"""Per-frame image patches for models that see one acquisition at a time (the VAE of chapter 3).

Each usable Landsat frame of each site becomes one patch: bands normalised with the statistics in
the stack's attributes, QA-masked pixels set to 0 and flagged in a mask, plus the labels a probe
may try to read back (region, season, cause, antecedent rain).

Examples
--------
>>> season_of(np.array(["2017-01-15", "2017-07-01"], dtype="datetime64[D]")).tolist()
['DJF', 'JJA']
"""

from __future__ import annotations

import numpy as np
import torch
import xarray as xr
from torch.utils.data import Dataset

from lslib.data.indices import ndvi
from lslib.data.qa import invalid_mask
from lslib.data.schema import LANDSAT_BANDS

__all__ = ["SEASONS", "season_of", "frame_patches", "eolearn_ndvi_frames", "PatchDataset"]

SEASONS = ("DJF", "MAM", "JJA", "SON")
NDVI_CENTRE, NDVI_SCALE = 0.5, 0.25  # NDVI patches are (ndvi - 0.5) / 0.25


def season_of(dates: np.ndarray) -> np.ndarray:
    """Meteorological season of each date (northern hemisphere: all study regions are north)."""
    months = (np.asarray(dates, dtype="datetime64[M]").astype(int) % 12) + 1
    return np.array(SEASONS)[(months % 12) // 3]


def frame_patches(
    stack: xr.Dataset,
    *,
    sites: np.ndarray | None = None,
    max_cloud: float = 0.5,
    with_sar: bool = False,
    ndvi_only: bool = False,
) -> dict[str, np.ndarray]:
    """Usable frames of ``sites`` as model-ready patches.

    Parameters
    ----------
    stack : xarray.Dataset
        A stack in the layout of :mod:`lslib.data.schema` with normalisation statistics.
    sites : array of int, optional
        Site indices to use (default all).
    max_cloud : float
        Frames whose cloud fraction exceeds this are left out.
    with_sar : bool
        Append the normalised VV and VH of the nearest Sentinel-1 frame (8 channels).
    ndvi_only : bool
        One channel, NDVI scaled as ``(ndvi - 0.5) / 0.25`` (the variant real NDVI-only data can feed).

    Returns
    -------
    dict
        ``image`` (N, C, H, W) float32 with masked pixels 0, ``mask`` (N, H, W) float32 (1 usable),
        and per patch ``site``, ``frame``, ``date``, ``region``, ``season``, ``cause``, ``rain_30d``
        (mm) and ``day_of_year``.
    """
    sites = np.arange(stack.sizes["site"]) if sites is None else np.asarray(sites)
    subset = stack.isel(site=sites)
    keep = subset["cloud_fraction"].values <= max_cloud  # (site, time)
    site_index, frame_index = np.nonzero(keep)
    reflectance = subset["reflectance"].sel(band=list(LANDSAT_BANDS)).values[site_index, frame_index]
    masked = invalid_mask(subset["qa_pixel"].values[site_index, frame_index])
    usable = (~masked).astype(np.float32)
    if ndvi_only:
        image = ((ndvi(reflectance[:, 2], reflectance[:, 3]) - NDVI_CENTRE) / NDVI_SCALE)[:, None]
    else:
        mean = np.asarray(stack.attrs["norm_reflectance_mean"], np.float32)[None, :, None, None]
        std = np.asarray(stack.attrs["norm_reflectance_std"], np.float32)[None, :, None, None]
        image = (reflectance - mean) / std
        if with_sar:
            sar_dates = subset["sar_date"].values[site_index]  # (N, S)
            dates = subset["date"].values[site_index, frame_index][:, None]
            gap = np.abs((sar_dates - dates) / np.timedelta64(1, "D"))
            nearest = np.argmin(np.where(np.isnat(sar_dates), np.inf, gap), axis=1)  # padded frames are NaT
            sar = subset["sar"].values[site_index, nearest]
            sar_mean = np.asarray(stack.attrs["norm_sar_mean"], np.float32)[None, :, None, None]
            sar_std = np.asarray(stack.attrs["norm_sar_std"], np.float32)[None, :, None, None]
            image = np.concatenate([image, (sar - sar_mean) / sar_std], axis=1)
    usable = usable * np.isfinite(image).all(axis=1)  # a pixel missing in any channel is not usable
    image = np.where(np.isfinite(image), image, 0.0) * usable[:, None]
    dates = subset["date"].values[site_index, frame_index]
    return {
        "image": image.astype(np.float32),
        "mask": usable,
        "site": sites[site_index],
        "frame": frame_index,
        "date": dates,
        "region": subset["region"].values[site_index].astype(str),
        "season": season_of(dates),
        "cause": subset["cause"].values[site_index],
        "rain_30d": subset["rain_30d"].values[site_index, frame_index],
        "day_of_year": ((dates - dates.astype("datetime64[Y]")) / np.timedelta64(1, "D")).astype(int) + 1,
    }


def eolearn_ndvi_frames(patch: dict[str, np.ndarray], size: int = 32, min_clear: float = 0.7) -> dict[str, np.ndarray]:
    """The real eo-learn NDVI frames on a 30 m grid, scaled like :func:`frame_patches` ``ndvi_only``.

    The 10 m Sentinel-2 NDVI is averaged over 3 x 3 blocks of clear pixels (a block with any cloud
    is masked), cropped to ``size`` x ``size``; frames with less than ``min_clear`` clear blocks
    are left out.
    """
    ndvi_10m, cloud = patch["ndvi"], patch["cloud"] | ~patch["valid"]
    rows, cols = size * 3, size * 3
    if ndvi_10m.shape[1] < rows or ndvi_10m.shape[2] < cols:
        raise ValueError(
            f"The patch ({ndvi_10m.shape[1]} x {ndvi_10m.shape[2]} px at 10 m) is smaller than {size} px at 30 m"
        )
    blocks = ndvi_10m[:, :rows, :cols].reshape(len(ndvi_10m), size, 3, size, 3)
    clouds = cloud[:, :rows, :cols].reshape(len(cloud), size, 3, size, 3).any(axis=(2, 4))
    values = blocks.mean(axis=(2, 4))
    usable = (~clouds).astype(np.float32)
    keep = usable.mean(axis=(1, 2)) >= min_clear
    image = np.where(usable > 0, (values - NDVI_CENTRE) / NDVI_SCALE, 0.0)[:, None]
    dates = patch["dates"][keep]
    return {
        "image": image[keep].astype(np.float32),
        "mask": usable[keep],
        "date": dates,
        "day_of_year": ((dates - dates.astype("datetime64[Y]")) / np.timedelta64(1, "D")).astype(int) + 1,
        "median_ndvi": np.array([np.median(v[u > 0]) for v, u in zip(values[keep], usable[keep])]),
    }


class PatchDataset(Dataset):
    """Patches as dict samples: ``image`` (C, H, W) and ``mask`` (H, W)."""

    def __init__(self, patches: dict[str, np.ndarray]) -> None:
        self.image = torch.from_numpy(patches["image"])
        self.mask = torch.from_numpy(patches["mask"])

    def __len__(self) -> int:
        return len(self.image)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"image": self.image[index], "mask": self.mask[index]}
