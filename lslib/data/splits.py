"""Deterministic splits of sites into train, validation and test sets.

Examples
--------
>>> split = split_sites(np.array([0, 1] * 10), seed=0)
>>> sorted(set(split.tolist())), int((split == "train").sum())
(['test', 'train', 'val'], 14)
"""

from __future__ import annotations

import numpy as np

__all__ = ["split_sites", "SPLITS"]

SPLITS = ("train", "val", "test")


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
        split[members[n_train:n_train + n_val]] = "val"
        split[members[n_train + n_val:]] = "test"
    return split
