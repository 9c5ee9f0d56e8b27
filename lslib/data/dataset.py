"""The one torch ``Dataset`` over the study's layout: dict samples, as torchgeo datasets return.

Dataset features:
    * one sample per site: Landsat 8 frames with a cloud-mask channel, Sentinel-1 frames,
      per-frame metadata, the landslide label, the cause and the scar mask;
    * reflectance and SAR normalised with the statistics stored in the stack's attributes
      (``norm_reflectance_mean`` ...), computed on clear pixels when the stack was made;
    * deterministic train / val / test split by site, stratified by label.

Sample keys and shapes (T Landsat frames, S Sentinel-1 frames, H x W pixels):
    ``image`` (T, 7, H, W) float32: six normalised bands plus the QA cloud mask (1 = masked);
    ``sar`` (S, 2, H, W) float32: normalised VV, VH;
    ``meta`` (T, 8) float32: rain_1d, rain_7d, rain_30d (log1p mm), temperature / 30,
    sin and cos of the day of year, sin of latitude, sin of longitude;
    ``time`` (T,) float32: days from the first frame; ``sar_time`` (S,) float32 likewise;
    ``label`` () float32; ``cause`` () int64; ``mask`` (H, W) float32; ``site`` () int64.

Oracle variables (``attrs["role"] == "oracle"``) are never part of a sample.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import xarray as xr
from torch.utils.data import Dataset

from lslib.data.qa import invalid_mask
from lslib.data.schema import LANDSAT_BANDS, validate
from lslib.data.splits import SPLITS, split_sites

__all__ = ["LandslideDataset", "split_sites", "SPLITS"]

class LandslideDataset(Dataset):
    """Sites of a stack as dict samples for PyTorch.

    Parameters
    ----------
    stack : xarray.Dataset
        A stack in the layout of :mod:`lslib.data.schema` (simulated or real).
    split : str or None
        ``train``, ``val``, ``test`` or None for every site.
    transforms : callable, optional
        Applied to each sample dict.
    seed : int
        Seed of the split.
    """

    def __init__(self, stack: xr.Dataset, split: str | None = "train",
                 transforms: Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]] | None = None,
                 seed: int = 0) -> None:
        if split is not None and split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS} or None, got {split!r}")
        validate(stack)
        for key in ("norm_reflectance_mean", "norm_reflectance_std", "norm_sar_mean", "norm_sar_std"):
            if key not in stack.attrs:
                raise ValueError(f"The stack has no {key!r} attribute: normalisation statistics are required")
        self.stack = stack
        self.transforms = transforms
        self.split = split
        assignment = split_sites(stack["landslide"].values.astype(int), seed=seed)
        self.sites = np.arange(stack.sizes["site"]) if split is None else np.nonzero(assignment == split)[0]
        self._mean = np.asarray(stack.attrs["norm_reflectance_mean"], np.float32)[:, None, None]
        self._std = np.asarray(stack.attrs["norm_reflectance_std"], np.float32)[:, None, None]
        self._sar_mean = np.asarray(stack.attrs["norm_sar_mean"], np.float32)[:, None, None]
        self._sar_std = np.asarray(stack.attrs["norm_sar_std"], np.float32)[:, None, None]

    def __len__(self) -> int:
        return len(self.sites)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        site = self.stack.isel(site=int(self.sites[index])).load()
        reflectance = site["reflectance"].sel(band=list(LANDSAT_BANDS)).values.astype(np.float32)
        masked = invalid_mask(site["qa_pixel"].values).astype(np.float32)
        bands = (reflectance - self._mean) / self._std * (1.0 - masked[:, None])  # masked pixels set to 0
        image = np.concatenate([bands, masked[:, None]], axis=1)
        sar = (site["sar"].values.astype(np.float32) - self._sar_mean) / self._sar_std
        dates = site["date"].values
        doy = ((dates - dates.astype("datetime64[Y]")) / np.timedelta64(1, "D")).astype(np.float32)
        lat = np.deg2rad(float(site["lat"]))
        lon = np.deg2rad(float(site["lon"]))
        meta = np.stack([
            np.log1p(site["rain_1d"].values), np.log1p(site["rain_7d"].values), np.log1p(site["rain_30d"].values),
            site["temperature"].values / 30.0, np.sin(2 * np.pi * doy / 365.25), np.cos(2 * np.pi * doy / 365.25),
            np.full(len(dates), np.sin(lat)), np.full(len(dates), np.sin(lon)),
        ], axis=-1).astype(np.float32)
        start = dates[0]
        sample = {
            "image": torch.from_numpy(image),
            "sar": torch.from_numpy(sar),
            "meta": torch.from_numpy(meta),
            "time": torch.from_numpy(((dates - start) / np.timedelta64(1, "D")).astype(np.float32)),
            "sar_time": torch.from_numpy(((site["sar_date"].values - start) / np.timedelta64(1, "D")).astype(np.float32)),
            "label": torch.tensor(float(site["landslide"]), dtype=torch.float32),
            "cause": torch.tensor(int(site["cause"]), dtype=torch.int64),
            "mask": torch.from_numpy(site["scar_mask"].values.astype(np.float32)),
            "site": torch.tensor(int(self.sites[index]), dtype=torch.int64),
        }
        if not all(torch.isfinite(v).all() for k, v in sample.items() if v.is_floating_point()):
            bad = [k for k, v in sample.items() if v.is_floating_point() and not torch.isfinite(v).all()]
            raise ValueError(f"Site {int(self.sites[index])} has non-finite values in {bad}")
        return self.transforms(sample) if self.transforms else sample
