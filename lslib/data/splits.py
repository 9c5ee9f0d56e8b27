"""Deterministic splits of sites into train, validation and test sets.

Examples
--------
>>> split = split_sites(np.array([0, 1] * 10), seed=0)
>>> sorted(set(split.tolist())), int((split == "train").sum())
(['test', 'train', 'val'], 14)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["split_sites", "SPLITS", "FORECAST_FRACTIONS", "RegionSplit", "region_splits"]

SPLITS = ("train", "val", "test")
#: Train, validation and test shares of the sites in chapter 4's forecasting split (a large test set for tight
#: intervals); chapter 1 scores its oracles on the same test sites.
FORECAST_FRACTIONS = (0.5, 0.15, 0.35)


def split_sites(labels: np.ndarray, fractions=(0.7, 0.15, 0.15), seed: int = 0) -> np.ndarray:
    """Assign each site to ``train``, ``val`` or ``test``, stratified by label, deterministically."""
    labels = np.asarray(labels)
    split = np.empty(len(labels), dtype="<U5")
    rng = np.random.default_rng(seed)
    for value in np.unique(labels):
        members = rng.permutation(np.nonzero(labels == value)[0])
        n_train = int(round(fractions[0] * len(members)))
        n_val = int(round(fractions[1] * len(members)))
        split[members[:n_train]] = "train"
        split[members[n_train : n_train + n_val]] = "val"
        split[members[n_train + n_val :]] = "test"
    return split


@dataclass(frozen=True)
class RegionSplit:
    """Site indices for one held-out region: its test sites, and two training sets of the same
    size (train + validation) to compare, one from the region itself and one from the others.

    Attributes
    ----------
    region : str
        The held-out (target) region.
    test : array of int
        The region's test sites, shared by both protocols so their scores are paired.
    inregion_train, inregion_val : array of int
        Training and validation sites from the region itself (disjoint from ``test``).
    transfer_train, transfer_val : array of int
        As many training and validation sites, drawn from the other regions in equal shares.
    """

    region: str
    test: np.ndarray
    inregion_train: np.ndarray
    inregion_val: np.ndarray
    transfer_train: np.ndarray
    transfer_val: np.ndarray

    def sets(self) -> dict[str, np.ndarray]:
        """The five site sets by name."""
        return {
            "test": self.test,
            "inregion_train": self.inregion_train,
            "inregion_val": self.inregion_val,
            "transfer_train": self.transfer_train,
            "transfer_val": self.transfer_val,
        }


def _stratified_take(
    sites: np.ndarray, labels: np.ndarray, share: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Split ``sites`` into (taken, rest) with ``share`` of each label value in ``taken``."""
    taken = []
    for value in np.unique(labels[sites]):
        members = rng.permutation(sites[labels[sites] == value])
        taken.append(members[: int(round(share * len(members)))])
    taken_sites = np.sort(np.concatenate(taken)) if taken else np.array([], int)
    return taken_sites, np.setdiff1d(sites, taken_sites)


def region_splits(
    regions: np.ndarray, labels: np.ndarray, test_share: float = 0.5, val_share: float = 0.2, seed: int = 0
) -> dict[str, RegionSplit]:
    """Leave-one-region-out splits with an in-region control of the same size, for every region.

    For each region R: ``test_share`` of R's sites (stratified by label) are its test sites; the rest of R is
    the in-region training pool, split into train and validation (``val_share`` of it). The out-of-region
    (transfer) training pool has exactly as many sites of each label, drawn in equal shares from the other
    regions (as equal as their sites allow), and is split the same way. So the two protocols differ only in
    *where* their training sites come from, and are scored on the same test sites.

    Parameters
    ----------
    regions : array of str
        Region of each site.
    labels : array of int
        Outcome of each site (1 slid, 0 stood); the splits are stratified by it.
    test_share, val_share : float
        Shares of a region held out for testing (0: none, when the test sites come from a stack of their own),
        and of a training pool kept for validation.
    seed : int
        Seed of every draw.

    Returns
    -------
    dict
        Region name -> :class:`RegionSplit`.

    Raises
    ------
    ValueError
        Fewer than two regions, or a share out of range. Where the other regions together have fewer sites
        of a label than the in-region pool, the in-region pool keeps as many as they can match (chosen at
        random), so the two pools always agree; a region short of sites of one label gives what it has and
        the others make up the rest.

    Examples
    --------
    >>> splits = region_splits(np.repeat(["a", "b"], 12), np.tile([0, 1], 12), seed=0)
    >>> len(splits["a"].test), len(splits["a"].inregion_train), len(splits["a"].transfer_train)
    (6, 4, 4)
    """
    regions, labels = np.asarray(regions).astype(str), np.asarray(labels).astype(int)
    names = sorted(set(regions.tolist()))
    if len(names) < 2:
        raise ValueError(f"region_splits needs sites from at least two regions, got {names}")
    if not 0.0 <= test_share < 1.0:
        raise ValueError(f"test_share must be in [0, 1), got {test_share}")
    if not 0.0 < val_share < 1.0:
        raise ValueError(f"val_share must be in (0, 1), got {val_share}")
    out = {}
    for position, target in enumerate(names):
        rng = np.random.default_rng([seed, position])
        test, pool = _stratified_take(np.nonzero(regions == target)[0], labels, test_share, rng)
        others = [name for name in names if name != target]
        transfer, kept = [], []
        for value in np.unique(labels[pool]):
            own = pool[labels[pool] == value]
            candidates = [np.nonzero((regions == other) & (labels == value))[0] for other in others]
            need = min(len(own), sum(map(len, candidates)))  # the in-region pool is cut to what the others can match
            kept.append(own if need == len(own) else np.sort(rng.choice(own, size=need, replace=False)))
            counts = np.zeros(len(others), int)
            for _ in range(need):  # one at a time to the region that has given fewest: equal shares when possible
                open_ = [k for k in range(len(others)) if counts[k] < len(candidates[k])]
                counts[min(open_, key=lambda k: counts[k])] += 1
            for members, count in zip(candidates, counts):
                transfer.append(rng.choice(members, size=count, replace=False))
        pool = np.sort(np.concatenate(kept))
        transfer_pool = np.sort(np.concatenate(transfer))
        inregion_val, inregion_train = _stratified_take(pool, labels, val_share, rng)
        transfer_val, transfer_train = _stratified_take(transfer_pool, labels, val_share, rng)
        out[target] = RegionSplit(target, test, inregion_train, inregion_val, transfer_train, transfer_val)
    return out
