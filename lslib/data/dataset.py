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
Horizon mode (``horizon_days=``) makes one sample per fixed-length window of every site, labelled by
whether a slide follows within the horizon (:func:`lslib.data.tasks.forecast_table`): ``label`` and
``cause`` are then the window's, not the site's, and ``lead`` is the revisits from its last frame to
the slide (0 for a negative window). Its windows are never padded. :meth:`LandslideDataset.site_batches`
serves them pre-batched, a group of sites at a time, for models that encode each frame once.

Window samples add ``valid`` (T,) bool, ``sar_valid`` (S,) bool (padding sits at the end and is
all zeros), ``lead`` () int64 and ``cloud`` (T,) float32, the masked fraction of each frame.

Oracle variables (``attrs["role"] == "oracle"``) are never part of a sample.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import torch
import xarray as xr
from torch.utils.data import Dataset

from lslib.data.qa import invalid_mask
from lslib.data.schema import validate
from lslib.data.splits import SPLITS, split_sites
from lslib.data.tasks import assert_no_leak, forecast_table

__all__ = ["LandslideDataset", "split_sites", "SPLITS"]

#: The stack's variables :meth:`LandslideDataset._encode` reads.
_ENCODED_VARIABLES = (
    "reflectance",
    "qa_pixel",
    "date",
    "lat",
    "lon",
    "rain_1d",
    "rain_7d",
    "rain_30d",
    "temperature",
    "sar",
    "sar_date",
    "reference_time",
    "landslide",
    "cause",
    "scar_mask",
)


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
    horizon_days : float, optional
        Horizon mode (instead of ``leads``): every full window of ``max_frames`` Landsat and
        ``max_sar_frames`` Sentinel-1 frames, positive when the site slides within ``horizon_days`` days
        after the window's last frame (:func:`lslib.data.tasks.forecast_table`).

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
        horizon_days: float | None = None,
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
        self._mean = np.asarray(stack.attrs["norm_reflectance_mean"], np.float32)[:, None, None]
        self._std = np.asarray(stack.attrs["norm_reflectance_std"], np.float32)[:, None, None]
        self._sar_mean = np.asarray(stack.attrs["norm_sar_mean"], np.float32)[:, None, None]
        self._sar_std = np.asarray(stack.attrs["norm_sar_std"], np.float32)[:, None, None]
        if leads is not None and horizon_days is not None:
            raise ValueError("give leads (windows before each site's reference time) or horizon_days, not both")
        self.leads = None if leads is None else tuple(int(lead) for lead in leads)
        self.horizon_days = None if horizon_days is None else float(horizon_days)
        if self.horizon_days is not None:
            self.max_frames = int(max_frames or 8)
            self.max_sar_frames = int(max_sar_frames or 8)
            self._encoded = self._encode(self.sites)
            self.windows = self._make_horizon_windows()
            return
        if self.leads is None:
            self.windows = None
            return
        self.max_frames = int(max_frames or stack.sizes["time"])
        self.max_sar_frames = int(max_sar_frames or stack.sizes["sar_time"])
        self._encoded = self._encode(self.sites)  # all sites of the split, once: windows slice it
        self.windows = self._make_windows(min_frames)

    # ----------------------------------------------------------------- encoding
    def _encode(self, sites: np.ndarray) -> dict[str, np.ndarray]:
        """Model inputs of ``sites`` as arrays with a leading site axis (one pass over the stack).

        Only the variables the model reads are indexed (a whole stack is not copied), and the image is
        normalised in place in its ``(site, time, band + 1, y, x)`` float32 array: the bands in
        :data:`~lslib.data.schema.LANDSAT_BANDS` order (the order :func:`~lslib.data.schema.validate`
        requires), then the cloud mask."""
        every = len(sites) == self.stack.sizes["site"] and np.array_equal(sites, np.arange(len(sites)))
        subset = self.stack.isel(site=slice(None) if every else sites)[list(_ENCODED_VARIABLES)]
        masked = invalid_mask(subset["qa_pixel"].values).astype(np.float32)  # (site, time, y, x)
        reflectance = subset["reflectance"]
        image = np.empty(reflectance.shape[:2] + (reflectance.shape[2] + 1,) + reflectance.shape[3:], np.float32)
        bands = image[:, :, :-1]
        bands[...] = reflectance.values  # float32, as the model reads them
        np.subtract(bands, self._mean, out=bands)
        np.divide(bands, self._std, out=bands)
        np.copyto(bands, np.float32(0.0), where=masked[:, :, None] > 0)  # masked pixels: 0
        image[:, :, -1] = masked
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
            "image": image,
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

    def _make_horizon_windows(self) -> np.ndarray:
        """Horizon mode: ``(n, 3)`` rows of (position in the split, lead, index of the last frame), with the
        full table of :func:`lslib.data.tasks.forecast_table` kept as ``self.table``."""
        table = forecast_table(self.stack, self.horizon_days, self.max_frames, self.max_sar_frames)
        position = np.full(self.stack.sizes["site"], -1, dtype=np.int64)
        position[self.sites] = np.arange(len(self.sites))
        table = table[position[table["site"].to_numpy()] >= 0].reset_index(drop=True)
        table.insert(1, "position", position[table["site"].to_numpy()])
        self.table = table
        dates = self._encoded["date"]
        frames, sar_frames = [], []
        for row in table[["position", "start", "end", "sar_start", "sar_end"]].itertuples(index=False):
            span = np.arange(row.start, row.end + 1)
            frames.append(span[~np.isnat(dates[row.position, span])])
            sar_frames.append(np.arange(row.sar_start, row.sar_end + 1))
        width = (self.max_frames, self.max_sar_frames)
        self._frame_index = np.asarray(frames, dtype=np.int64).reshape(-1, width[0])
        self._sar_index = np.asarray(sar_frames, dtype=np.int64).reshape(-1, width[1])
        return table[["position", "lead", "end"]].to_numpy(dtype=np.int64).reshape(-1, 3)

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
        if self.horizon_days is not None:
            return {
                "site": self.sites[position],
                "lead": self.windows[:, 1],
                "label": self.table["label"].to_numpy(np.float32),
                "cause": self.table["cause"].to_numpy(np.int64),
            }
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
        if self.horizon_days is not None:
            return pd.DataFrame(
                {
                    "site": table["site"],
                    "lead": table["lead"],
                    "start": self.table["start"].to_numpy(),
                    "end": ends,
                    "label": table["label"].astype(int),
                }
            )
        return pd.DataFrame(
            {
                "site": table["site"],
                "lead": table["lead"],
                "start": np.maximum(0, ends - self.max_frames + 1),
                "end": ends,
                "label": table["label"].astype(int),
            }
        )

    def _label_of(self, index: int, position: int) -> np.float32:
        if self.horizon_days is not None:
            return np.float32(self.table["label"].iat[index])
        return self._encoded["label"][position]

    def _cause_of(self, index: int, position: int) -> np.int64:
        if self.horizon_days is not None:
            return np.int64(self.table["cause"].iat[index])
        return self._encoded["cause"][position]

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

    def _window_frames(self, index: int) -> tuple[int, int, int, np.ndarray, np.ndarray]:
        """Position, lead, last frame, Landsat frames and radar frames of window ``index``; refuses a frame on
        or after the event (the reference time in lead mode, the slide in horizon mode)."""
        position, lead, last = (int(v) for v in self.windows[index])
        e = self._encoded
        dates, sar_dates = e["date"][position], e["sar_date"][position]
        if self.horizon_days is not None:
            frames, sar_frames = self._frame_index[index], self._sar_index[index]
            event = self.stack["event_time"].values[self.sites[position]] if e["label"][position] > 0.5 else None
        else:
            frames = np.arange(max(0, last - self.max_frames + 1), last + 1)
            frames = frames[~np.isnat(dates[frames])]
            sar_frames = np.nonzero((sar_dates <= dates[last]) & ~np.isnat(sar_dates))[0][-self.max_sar_frames :]
            event = e["reference_time"][position]
        if event is not None:
            assert_no_leak(dates[frames], event)
            assert_no_leak(sar_dates[sar_frames], event)
        return position, lead, last, frames, sar_frames

    def encoded(self, name: str) -> np.ndarray:
        """A copy of one encoded array of the dataset's sites (leading axis: its sites, in order): ``image``,
        ``sar``, ``meta``, ``cloud`` ..., as the samples are cut from it."""
        if not hasattr(self, "_encoded"):
            raise ValueError("encoded arrays exist in the forecasting modes (leads= or horizon_days=)")
        if name not in self._encoded:
            raise ValueError(f"no encoded array {name!r}; there are {sorted(self._encoded)}")
        return self._encoded[name].copy()

    def with_images(self, image: np.ndarray) -> LandslideDataset:
        """The same windows over other Landsat inputs ``image`` (the shape of :meth:`encoded` ``("image")``), e.g.
        the test frames under a perturbation; the frames' masked shares follow the new mask channel."""
        if image.shape != self._encoded["image"].shape:
            raise ValueError(f"image must have shape {self._encoded['image'].shape}, got {image.shape}")
        twin = copy.copy(self)
        twin._encoded = dict(self._encoded, image=image.astype(np.float32), cloud=image[:, :, -1].mean(axis=(2, 3)))
        return twin

    def with_meta(self, meta: np.ndarray) -> LandslideDataset:
        """The same windows over other metadata ``meta`` (the shape of :meth:`encoded` ``("meta")``), e.g. without
        the location columns (:mod:`lslib.data.input_variants`)."""
        if meta.shape != self._encoded["meta"].shape:
            raise ValueError(f"meta must have shape {self._encoded['meta'].shape}, got {meta.shape}")
        twin = copy.copy(self)
        twin._encoded = dict(self._encoded, meta=meta.astype(np.float32))
        return twin

    def window_frame_index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Horizon mode: per window its position in the split ``(n,)``, its Landsat frame indices ``(n, T)`` and
        its radar frame indices ``(n, S)``, oldest first (every window is full)."""
        if self.horizon_days is None:
            raise ValueError("window_frame_index needs the horizon mode (horizon_days=...)")
        return self.windows[:, 0].copy(), self._frame_index, self._sar_index

    def _window_sample(self, index: int) -> dict[str, torch.Tensor]:
        position, lead, last, frames, sar_frames = self._window_frames(index)
        e = self._encoded
        dates, sar_dates = e["date"][position], e["sar_date"][position]
        end = dates[last]

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
        return {
            "image": torch.from_numpy(image),
            "sar": torch.from_numpy(sar),
            "meta": torch.from_numpy(padded(e["meta"][position, frames], self.max_frames)),
            "time": torch.from_numpy(padded(days(dates[frames]), self.max_frames)),
            "sar_time": torch.from_numpy(padded(days(sar_dates[sar_frames]), self.max_sar_frames)),
            "valid": torch.from_numpy(valid),
            "sar_valid": torch.from_numpy(sar_valid),
            "cloud": torch.from_numpy(padded(e["cloud"][position, frames], self.max_frames)),
            "label": torch.tensor(self._label_of(index, position)),
            "cause": torch.tensor(self._cause_of(index, position)),
            "mask": torch.from_numpy(e["mask"][position]),
            "site": torch.tensor(int(self.sites[position]), dtype=torch.int64),
            "lead": torch.tensor(lead, dtype=torch.int64),
        }
