"""Climatology: the slide rate of a region and month, the forecast that knows nothing of the site's land.

The reference of chapter 4's Brier skill score: a forecaster that has learned only when and where slides
tend to happen (the wet season of each region) from the training windows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["Climatology"]


class Climatology:
    """P(a slide within the horizon | region, calendar month of the window's last frame).

    Rates are estimated on training windows with a Beta prior of ``prior`` pseudo-windows around the
    region's rate (and the region's around the overall rate), so a cell with few windows shrinks toward
    its region and a region never seen scores the overall rate.

    Parameters
    ----------
    prior : float
        Pseudo-windows of the prior of each rate.

    Examples
    --------
    >>> train = pd.DataFrame({"region": ["a"] * 4 + ["b"] * 4, "month": [1, 1, 2, 2] * 2,
    ...                       "label": [1, 1, 0, 0, 0, 0, 0, 1]})
    >>> model = Climatology(prior=0.0).fit(train["region"], train["month"], train["label"])
    >>> model.predict(np.array(["a", "a", "b"]), np.array([1, 2, 2])).tolist()
    [1.0, 0.0, 0.5]
    """

    def __init__(self, prior: float = 10.0) -> None:
        if not (np.isfinite(prior) and prior >= 0):
            raise ValueError(f"prior must be a finite number of pseudo-windows >= 0, got {prior!r}")
        self.prior = float(prior)
        self.overall_: float | None = None

    def fit(self, region, month, label) -> Climatology:
        """Estimate the rates from training windows: their ``region`` (str), the ``month`` (1-12) of their last
        frame and their ``label`` (0/1)."""
        frame = pd.DataFrame(
            {
                "region": np.asarray(region).astype(str),
                "month": np.asarray(month, int),
                "label": np.asarray(label, float),
            }
        )
        if frame.empty:
            raise ValueError("Climatology needs at least one training window")
        if not frame["month"].between(1, 12).all():
            raise ValueError("month must be a calendar month, 1-12")
        self.overall_ = float(frame["label"].mean())
        regions = frame.groupby("region")["label"].agg(["sum", "count"])
        self.region_ = ((regions["sum"] + self.prior * self.overall_) / (regions["count"] + self.prior)).to_dict()
        cells = frame.groupby(["region", "month"])["label"].agg(["sum", "count"])
        self.cell_ = {
            key: (row["sum"] + self.prior * self.region_[key[0]]) / (row["count"] + self.prior)
            for key, row in cells.iterrows()
        }
        return self

    def predict(self, region, month) -> np.ndarray:
        """The rate of each window's region and month (the region's rate for a month never seen there)."""
        if self.overall_ is None:
            raise ValueError("Climatology.predict before fit")
        region = np.asarray(region).astype(str)
        month = np.asarray(month, int)
        return np.array(
            [self.cell_.get((r, m), self.region_.get(r, self.overall_)) for r, m in zip(region, month)], dtype=float
        )
