"""The one torch ``Dataset`` over the study's layout: dict samples, as torchgeo datasets return.

Dataset features:
    * one sample per site (all frames), or one per *forecasting window* (``leads=``): the frames a
      forecaster may see, ending ``lead`` revisits before the site's reference (event) time;
    * Landsat 8 frames with a cloud-mask channel, Sentinel-1 frames, per-frame metadata, the
      landslide label, the cause and the scar mask;
    * reflectance and SAR normalised with the statistics stored in the stack's attributes
      (``norm_reflectance_mean`` ...), computed on clear pixels when the stack was made;
    * deterministic train / val / test split by site, stratified by label, so the windows of one
      site never fall in two splits.

Sample keys and shapes (T Landsat frames, S Sentinel-1 frames, H x W pixels):
    ``image`` (T, 7, H, W) float32: six normalised bands plus the QA cloud mask (1 = masked);
    ``sar`` (S, 2, H, W) float32: normalised VV, VH;
    ``meta`` (T, 9) float32: rain_1d, rain_7d, rain_30d (log1p mm, up to and including the frame's
    day), temperature / 30, sin and cos of the day of year, sin of latitude, sin and cos of longitude;
    ``time`` (T,) float32: days from the first frame (site samples) or from the window's last
    frame (window samples, <= 0); ``sar_time`` (S,) float32 likewise;
    ``label`` () float32; ``cause`` () int64; ``mask`` (H, W) float32; ``site`` () int64.
Window samples add ``valid`` (T,) bool, ``sar_valid`` (S,) bool (padding sits at the end and is
all zeros), ``lead`` () int64 and ``cloud`` (T,) float32, the masked fraction of each frame.

Oracle variables (``attrs["role"] == "oracle"``) are never part of a sample.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import torch
import xarray as xr
from torch.utils.data import Dataset

from lslib.data.qa import invalid_mask
from lslib.data.schema import LANDSAT_BANDS, validate
from lslib.data.splits import SPLITS, split_sites
from lslib.data.tasks import assert_no_leak

__all__ = ["LandslideDataset", "split_sites", "SPLITS", "NORMALISATIONS", "window_standardise"]

NORMALISATIONS = ("stack", "window")


def window_standardise(
    image: np.ndarray, valid: np.ndarray, sar: np.ndarray | None = None, sar_valid: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Standardise a window by its own statistics: each band over the clear pixels of its valid
    frames, each SAR polarisation over its valid frames. Masked and padding pixels stay 0; a band
    without a clear pixel is left unchanged.

    Parameters
    ----------
    image : array (T, C + 1, H, W)
        Normalised bands and, last, the cloud mask (1 = masked).
    valid : array (T,) of bool
        Which frames are real (not padding).
    sar, sar_valid : arrays (S, P, H, W) and (S,), optional
        Normalised SAR and which of its frames are real.
    """
    image = image.copy()
    clear = (image[:, -1] < 0.5) & valid[:, None, None]  # (T, H, W)
    for band in range(image.shape[1] - 1):
        values = image[:, band][clear]
        if values.size > 1:
            image[:, band] = np.where(clear, (image[:, band] - values.mean()) / max(values.std(), 1e-3), 0.0)
    if sar is None:
        return image, None
    sar = sar.copy()
    frames = np.asarray(sar_valid, bool)
    for pol in range(sar.shape[1]):
        values = sar[frames, pol]
        if values.size > 1:
            sar[frames, pol] = (values - values.mean()) / max(values.std(), 1e-3)
    return image, sar


class LandslideDataset(Dataset):
    """Sites (or forecasting windows) of a stack as dict samples for PyTorch.

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
    leads : sequence of int, optional
        Forecasting mode: one sample per site and lead, in revisits: the window's last frame is the
        ``lead``-th frame before the reference time (1: the last frame before the event; 2: that
        one is withheld too). A window with fewer than ``min_frames`` frames is left out.
    max_frames, max_sar_frames : int, optional
        Forecasting mode: the most recent frames kept per window (padded to this length).
    min_frames : int
        Forecasting mode: the fewest Landsat frames a window may have.
    fractions : tuple of float
        Train, validation and test shares of the sites.
    sites : sequence of int, optional
        Explicit site indices (e.g. one region's test sites); overrides ``split``.
    normalisation : str
        ``"stack"``: bands and SAR standardised with the stack's statistics (shared by every site).
        ``"window"`` (forecasting mode): each window is further standardised by its own per-band
        mean and standard deviation over its clear pixels (and each polarisation over its SAR
        frames), which removes a site's radiometric level and keeps only change within the window.

    Examples
    --------
    >>> from lslib.data.sim import simulate
    >>> stack = simulate(regions=["india"], n_sites=4, n_times=8, size=16, seed=0)
    >>> windows = LandslideDataset(stack, split=None, leads=(1, 2), max_frames=4, max_sar_frames=4)
    >>> sample = windows[0]
    >>> tuple(sample["image"].shape), int(sample["lead"]), bool(sample["time"][0] <= 0)
    ((4, 7, 16, 16), 1, True)
    """

    def __init__(
        self,
        stack: xr.Dataset,
        split: str | None = "train",
        transforms: Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]] | None = None,
        seed: int = 0,
        leads: Sequence[int] | None = None,
        max_frames: int | None = None,
        max_sar_frames: int | None = None,
        min_frames: int = 2,
        fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
        sites: Sequence[int] | None = None,
        normalisation: str = "stack",
    ) -> None:
        if split is not None and split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS} or None, got {split!r}")
        validate(stack)
        for key in ("norm_reflectance_mean", "norm_reflectance_std", "norm_sar_mean", "norm_sar_std"):
            if key not in stack.attrs:
                raise ValueError(f"The stack has no {key!r} attribute: normalisation statistics are required")
        if leads is not None and (not len(leads) or min(leads) < 1):
            raise ValueError(f"leads must be revisit counts >= 1 (1: the last frame before the event), got {leads!r}")
        self.stack = stack
        self.transforms = transforms
        self.split = split
        assignment = split_sites(stack["landslide"].values.astype(int), fractions=fractions, seed=seed)
        self.sites = np.arange(stack.sizes["site"]) if split is None else np.nonzero(assignment == split)[0]
        if sites is not None:
            self.sites = np.asarray(sites, dtype=np.int64)
            outside = self.sites[(self.sites < 0) | (self.sites >= stack.sizes["site"])]
            if len(outside):
                raise ValueError(f"sites {outside[:5].tolist()} are outside the stack's {stack.sizes['site']} sites")
        if normalisation not in NORMALISATIONS:
            raise ValueError(f"normalisation must be one of {NORMALISATIONS}, got {normalisation!r}")
        self.normalisation = normalisation
        self._mean = np.asarray(stack.attrs["norm_reflectance_mean"], np.float32)[:, None, None]
        self._std = np.asarray(stack.attrs["norm_reflectance_std"], np.float32)[:, None, None]
        self._sar_mean = np.asarray(stack.attrs["norm_sar_mean"], np.float32)[:, None, None]
        self._sar_std = np.asarray(stack.attrs["norm_sar_std"], np.float32)[:, None, None]
        self.leads = None if leads is None else tuple(int(lead) for lead in leads)
        if self.leads is None:
            if normalisation != "stack":
                raise ValueError(f"normalisation={normalisation!r} needs the forecasting mode (leads=...)")
            self.windows = None
            return
        self.max_frames = int(max_frames or stack.sizes["time"])
        self.max_sar_frames = int(max_sar_frames or stack.sizes["sar_time"])
        self._encoded = self._encode(self.sites)  # all sites of the split, once: windows slice it
        self.windows = self._make_windows(min_frames)

    # ----------------------------------------------------------------- encoding
    def _encode(self, sites: np.ndarray) -> dict[str, np.ndarray]:
        """Model inputs of ``sites`` as arrays with a leading site axis (one pass over the stack)."""
        subset = self.stack.isel(site=sites)
        reflectance = subset["reflectance"].sel(band=list(LANDSAT_BANDS)).values.astype(np.float32)
        masked = invalid_mask(subset["qa_pixel"].values).astype(np.float32)  # (site, time, y, x)
        bands = np.where(masked[:, :, None] > 0, 0.0, (reflectance - self._mean) / self._std)  # masked pixels: 0
        dates = subset["date"].values
        doy = ((dates - dates.astype("datetime64[Y]")) / np.timedelta64(1, "D")).astype(np.float32)
        lat = np.deg2rad(subset["lat"].values.astype(np.float32))[:, None] * np.ones_like(doy)
        lon = np.deg2rad(subset["lon"].values.astype(np.float32))[:, None] * np.ones_like(doy)
        meta = np.stack(
            [
                np.log1p(subset["rain_1d"].values),
                np.log1p(subset["rain_7d"].values),
                np.log1p(subset["rain_30d"].values),
                subset["temperature"].values / 30.0,
                np.sin(2 * np.pi * doy / 365.25),
                np.cos(2 * np.pi * doy / 365.25),
                np.sin(lat),
                np.sin(lon),
                np.cos(lon),
            ],
            axis=-1,
        ).astype(np.float32)
        return {
            "image": np.concatenate([bands, masked[:, :, None]], axis=2).astype(np.float32),
            "cloud": masked.mean(axis=(2, 3)).astype(np.float32),
            "sar": ((subset["sar"].values.astype(np.float32) - self._sar_mean) / self._sar_std).astype(np.float32),
            "meta": meta,
            "date": dates,
            "sar_date": subset["sar_date"].values,
            "reference_time": subset["reference_time"].values,
            "label": subset["landslide"].values.astype(np.float32),
            "cause": subset["cause"].values.astype(np.int64),
            "mask": subset["scar_mask"].values.astype(np.float32),
        }

    def _make_windows(self, min_frames: int) -> np.ndarray:
        """``(n, 3)`` rows of (position in the split, lead, index of the window's last frame)."""
        rows = []
        encoded = self._encoded
        for position in range(len(self.sites)):
            dates = encoded["date"][position]
            before = np.nonzero((dates < encoded["reference_time"][position]) & ~np.isnat(dates))[0]
            for lead in self.leads:
                if len(before) - lead + 1 >= min_frames:
                    rows.append((position, lead, before[len(before) - lead]))
        return np.asarray(rows, dtype=np.int64).reshape(-1, 3)

    # ----------------------------------------------------------------- access
    def __len__(self) -> int:
        return len(self.sites) if self.windows is None else len(self.windows)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        sample = self._site_sample(index) if self.windows is None else self._window_sample(index)
        floating = [k for k, v in sample.items() if v.is_floating_point() and not torch.isfinite(v).all()]
        if floating:
            raise ValueError(f"Site {int(sample['site'])} has non-finite values in {floating}")
        return self.transforms(sample) if self.transforms else sample

    def window_table(self) -> dict[str, np.ndarray]:
        """Per window: ``site`` (index in the stack), ``lead``, ``label`` and ``cause`` (forecasting mode)."""
        if self.windows is None:
            raise ValueError("window_table needs the forecasting mode (leads=...)")
        position = self.windows[:, 0]
        return {
            "site": self.sites[position],
            "lead": self.windows[:, 1],
            "label": self._encoded["label"][position],
            "cause": self._encoded["cause"][position],
        }

    def window_bounds(self) -> pd.DataFrame:
        """Per window (forecasting mode): ``site`` (index in the stack), ``lead``, ``start`` and ``end`` (the first
        and last time slot a sample reads: the ``max_frames`` slots up to the window's last frame, missing dates
        among them skipped) and ``label``; the table :func:`lslib.analysis.shortcuts.timing_features` reads."""
        table = self.window_table()
        ends = self.windows[:, 2]
        return pd.DataFrame(
            {
                "site": table["site"],
                "lead": table["lead"],
                "start": np.maximum(0, ends - self.max_frames + 1),
                "end": ends,
                "label": table["label"].astype(int),
            }
        )

    def _site_sample(self, index: int) -> dict[str, torch.Tensor]:
        site = int(self.sites[index])
        e = self._encode(np.array([site]))
        dates, start = e["date"][0], e["date"][0][0]
        return {
            "image": torch.from_numpy(e["image"][0]),
            "sar": torch.from_numpy(e["sar"][0]),
            "meta": torch.from_numpy(e["meta"][0]),
            "time": torch.from_numpy(((dates - start) / np.timedelta64(1, "D")).astype(np.float32)),
            "sar_time": torch.from_numpy(((e["sar_date"][0] - start) / np.timedelta64(1, "D")).astype(np.float32)),
            "label": torch.tensor(e["label"][0]),
            "cause": torch.tensor(e["cause"][0]),
            "mask": torch.from_numpy(e["mask"][0]),
            "site": torch.tensor(site, dtype=torch.int64),
        }

    def _window_sample(self, index: int) -> dict[str, torch.Tensor]:
        position, lead, last = (int(v) for v in self.windows[index])
        e = self._encoded
        dates = e["date"][position]
        frames = np.arange(max(0, last - self.max_frames + 1), last + 1)
        frames = frames[~np.isnat(dates[frames])]
        end = dates[last]
        assert_no_leak(dates[frames], e["reference_time"][position])
        sar_dates = e["sar_date"][position]
        sar_frames = np.nonzero((sar_dates <= end) & ~np.isnat(sar_dates))[0][-self.max_sar_frames :]
        assert_no_leak(sar_dates[sar_frames], e["reference_time"][position])

        def padded(values: np.ndarray, length: int) -> np.ndarray:
            out = np.zeros((length,) + values.shape[1:], dtype=values.dtype)
            out[: len(values)] = values
            return out

        def days(when: np.ndarray) -> np.ndarray:
            return ((when - end) / np.timedelta64(1, "D")).astype(np.float32)

        valid = padded(np.ones(len(frames), bool), self.max_frames)
        sar_valid = padded(np.ones(len(sar_frames), bool), self.max_sar_frames)
        image = padded(e["image"][position, frames], self.max_frames)
        sar = padded(e["sar"][position, sar_frames], self.max_sar_frames)
        if self.normalisation == "window":
            image, sar = window_standardise(image, valid, sar, sar_valid)
        return {
            "image": torch.from_numpy(image),
            "sar": torch.from_numpy(sar),
            "meta": torch.from_numpy(padded(e["meta"][position, frames], self.max_frames)),
            "time": torch.from_numpy(padded(days(dates[frames]), self.max_frames)),
            "sar_time": torch.from_numpy(padded(days(sar_dates[sar_frames]), self.max_sar_frames)),
            "valid": torch.from_numpy(valid),
            "sar_valid": torch.from_numpy(sar_valid),
            "cloud": torch.from_numpy(padded(e["cloud"][position, frames], self.max_frames)),
            "label": torch.tensor(e["label"][position]),
            "cause": torch.tensor(e["cause"][position]),
            "mask": torch.from_numpy(e["mask"][position]),
            "site": torch.tensor(int(self.sites[position]), dtype=torch.int64),
            "lead": torch.tensor(lead, dtype=torch.int64),
        }
