"""Pre-batched forecasting windows, a group of sites at a time, so that a model encodes each frame once.

The fixed-length windows of one site overlap: with 24 frames and windows of 8, a frame sits in up to
8 windows. Serving windows one by one (``Dataset.__getitem__`` and a ``DataLoader``) copies and
encodes it 8 times. :class:`SiteBatches` instead serves all the frames of a few sites and, beside
them, the index of every window of those sites into their frames; a model built for it
(:meth:`lslib.models.predictor.SpatioTemporalPredictor.forward`) runs its frame encoder once per
frame and gathers the windows from the encoded frames.

Batch keys (P sites, T frames per site, N windows of those sites, F and S frames per window):
    ``label`` (N,) float32 and ``cause`` (N,) int64, the windows' targets; ``lead`` (N,) int64;
    ``window`` (N,) int64, each window's index in the dataset (to put predictions back in order);
    ``position`` (N,) int64, each window's site among the P; ``frame`` (N, F) and ``sar_frame``
    (N, S) int64, its frames among the site's; ``image`` (P, T, 7, H, W), ``sar`` (P, T_sar, 2, H, W),
    ``meta`` (P, T, 9) as in :class:`lslib.data.dataset.LandslideDataset`; ``time`` (P, T) and
    ``sar_time`` (P, T_sar) float32, days from the site's first Landsat frame (0 for a missing date);
    ``site`` (P,) int64, the sites' indices in the stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import torch

from lslib.data.augment import SyntheticClouds

if TYPE_CHECKING:
    from lslib.data.dataset import LandslideDataset

__all__ = ["SiteBatches"]


def _days(dates: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """Days from ``origin`` (per site) of ``dates`` ``(site, frame)``; 0 where a date is missing."""
    days = (dates - origin[:, None]) / np.timedelta64(1, "D")
    return np.where(np.isnat(dates), 0.0, days).astype(np.float32)


class SiteBatches:
    """Iterate over a horizon-mode :class:`~lslib.data.dataset.LandslideDataset` in groups of sites.

    Parameters
    ----------
    dataset : LandslideDataset
        In horizon mode (``horizon_days=...``).
    sites_per_batch : int
        Sites per batch (each brings all its windows, about a dozen in the quick profile).
    shuffle : bool
        A fresh order of the sites at every pass (training); otherwise the dataset's order.
    seed : int
        Seed of the order and of the clouds; :meth:`reset` restarts both.
    clouds : float
        Share of the frames that get a synthetic cloud at every pass (training augmentation,
        :class:`lslib.data.augment.SyntheticClouds`); 0 for none.
    only_with_windows : bool
        Skip sites without a window.

    Examples
    --------
    >>> from lslib.data.sim import simulate
    >>> from lslib.data.dataset import LandslideDataset
    >>> stack = simulate(regions=["india"], n_sites=4, n_times=12, size=16, seed=0)
    >>> windows = LandslideDataset(stack, split=None, horizon_days=32, max_frames=4, max_sar_frames=4)
    >>> batch = next(iter(SiteBatches(windows, sites_per_batch=2)))
    >>> tuple(batch["frame"].shape[1:]), batch["image"].shape[0] <= 2
    ((4,), True)
    """

    def __init__(
        self,
        dataset: LandslideDataset,
        sites_per_batch: int = 16,
        shuffle: bool = False,
        seed: int = 0,
        clouds: float = 0.0,
        only_with_windows: bool = True,
    ) -> None:
        if getattr(dataset, "horizon_days", None) is None:
            raise ValueError("SiteBatches needs a dataset in horizon mode (LandslideDataset(..., horizon_days=...))")
        if isinstance(sites_per_batch, bool) or not isinstance(sites_per_batch, int) or sites_per_batch < 1:
            raise ValueError(f"sites_per_batch must be an integer >= 1, got {sites_per_batch!r}")
        if not 0.0 <= clouds <= 1.0:
            raise ValueError(f"clouds must be a share of frames in [0, 1], got {clouds!r}")
        self.dataset, self.sites_per_batch, self.shuffle, self.clouds = dataset, sites_per_batch, shuffle, clouds
        position, self._frames, self._sar_frames = dataset.window_frame_index()
        table = dataset.window_table()
        self._label = table["label"].astype(np.float32)
        self._cause = table["cause"].astype(np.int64)
        self._lead = table["lead"].astype(np.int64)
        order = np.argsort(position, kind="stable")
        bounds = np.searchsorted(position[order], np.arange(len(dataset.sites) + 1))
        self._windows_of = [order[bounds[p] : bounds[p + 1]] for p in range(len(dataset.sites))]
        self._positions = np.array(
            [p for p in range(len(dataset.sites)) if len(self._windows_of[p]) or not only_with_windows], dtype=np.int64
        )
        encoded = dataset._encoded
        origin = encoded["date"][:, 0]
        origin = np.where(np.isnat(origin), np.nanmin(encoded["date"], axis=1), origin)
        self._time = _days(encoded["date"], origin)
        self._sar_time = _days(encoded["sar_date"], origin)
        self.reset(seed)

    def reset(self, seed: int) -> None:
        """Restart the order of the sites and the clouds from ``seed`` (the same seed, the same passes)."""
        self.seed = seed
        self._order = np.random.default_rng([seed, 7])
        self._augment = SyntheticClouds(self.clouds, seed=seed + 1, per_sample=False) if self.clouds > 0 else None

    def __len__(self) -> int:
        return -(-len(self._positions) // self.sites_per_batch)

    @property
    def n_windows(self) -> int:
        """Windows served by one pass."""
        return int(sum(len(self._windows_of[p]) for p in self._positions))

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        positions = self._order.permutation(self._positions) if self.shuffle else self._positions
        for first in range(0, len(positions), self.sites_per_batch):
            yield self._batch(positions[first : first + self.sites_per_batch])

    def _batch(self, positions: np.ndarray) -> dict[str, torch.Tensor]:
        encoded = self.dataset._encoded
        windows = np.concatenate([self._windows_of[p] for p in positions])
        local = np.repeat(np.arange(len(positions)), [len(self._windows_of[p]) for p in positions])
        image = torch.from_numpy(encoded["image"][positions])
        if self._augment is not None:
            image = self._augment.sites(image)
        return {
            "label": torch.from_numpy(self._label[windows]),
            "cause": torch.from_numpy(self._cause[windows]),
            "lead": torch.from_numpy(self._lead[windows]),
            "window": torch.from_numpy(windows.astype(np.int64)),
            "position": torch.from_numpy(local.astype(np.int64)),
            "frame": torch.from_numpy(self._frames[windows]),
            "sar_frame": torch.from_numpy(self._sar_frames[windows]),
            "image": image,
            "sar": torch.from_numpy(encoded["sar"][positions]),
            "meta": torch.from_numpy(encoded["meta"][positions]),
            "time": torch.from_numpy(self._time[positions]),
            "sar_time": torch.from_numpy(self._sar_time[positions]),
            "site": torch.from_numpy(self.dataset.sites[positions].astype(np.int64)),
        }


#: Keys of a target batch that :class:`DomainSiteBatches` never passes on: its labels and bookkeeping.
_TARGET_DROPPED = ("label", "cause", "lead", "window")


class DomainSiteBatches:
    """Site batches of labelled source windows, each joined by a site batch of unlabelled target windows (DANN).

    Every source batch of ``source`` is served with the next batch of ``target`` (which restarts, reshuffled,
    whenever it runs out), its keys prefixed with :data:`lslib.models.dann.TARGET_PREFIX` (``target_``) and
    its ``position`` offset by the source batch's sites, so concatenating source and target keys gives one
    valid site batch. The target's labels, causes, leads and window indices are dropped: no target label can
    reach a loss. Give ``target`` the same ``clouds`` as ``source``, so augmentation cannot tell the domains
    apart.

    Parameters
    ----------
    source, target : SiteBatches
        The labelled training windows, and the unlabelled windows of the target domain.

    Examples
    --------
    >>> from lslib.data.sim import simulate
    >>> from lslib.data.dataset import LandslideDataset
    >>> def windows(region):  # a few sites of one region, in horizon mode
    ...     stack = simulate(regions=[region], n_sites=4, n_times=12, size=16, seed=0)
    ...     return LandslideDataset(stack, split=None, horizon_days=32, max_frames=4, max_sar_frames=4)
    >>> pairs = DomainSiteBatches(SiteBatches(windows("india"), 2), SiteBatches(windows("china"), 3, shuffle=True))
    >>> batch = next(iter(pairs))
    >>> "target_label" in batch, int(batch["target_position"].min()) == batch["image"].shape[0]
    (False, True)
    """

    def __init__(self, source: SiteBatches, target: SiteBatches) -> None:
        if not len(target):
            raise ValueError("the target batches are empty: give target windows to adapt to")
        self.source, self.target = source, target
        self.dataset = source.dataset
        self._target_batches: Iterator[dict[str, torch.Tensor]] = iter(())

    def __len__(self) -> int:
        return len(self.source)

    @property
    def n_windows(self) -> int:
        """Labelled windows served by one pass."""
        return self.source.n_windows

    def reset(self, seed: int) -> None:
        """Restart both streams (the target's from ``seed + 1``)."""
        self.source.reset(seed)
        self.target.reset(seed + 1)
        self._target_batches = iter(())

    def _next_target(self) -> dict[str, torch.Tensor]:
        try:
            return next(self._target_batches)
        except StopIteration:
            self._target_batches = iter(self.target)
            return next(self._target_batches)

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        for batch in self.source:
            target = self._next_target()
            target["position"] = target["position"] + batch["image"].shape[0]
            batch.update({"target_" + key: value for key, value in target.items() if key not in _TARGET_DROPPED})
            yield batch
