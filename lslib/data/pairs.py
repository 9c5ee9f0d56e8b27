"""Before/after pairs of a simulated stack, labelled with the scenario that links them, for the
conditional GAN of chapter 5.

Each pair is the site's frame before a change and its frame after, both from a cloud-free stack
(``simulate(clouds=False)``), normalised like :class:`lslib.data.dataset.LandslideDataset`:

``unchanged``
    a thriving-forest site that stood: its first and last frames (seasons change, the land does not);
``mining``
    a mining site: its first frame and its last frame before any slide (the pit and spoil grow);
``reforestation``
    a deforestation site read backwards: its last frame before any slide (cleared) and its first frame
    (forest). The simulator has no regrowth scenario, so a restored canopy stands in for planted
    forest; young plantations would look sparser than this;
``landslide_damage``
    a site that slid: its last frame before the event and its first frame after it (the scar).

A site may give two pairs (a mine that later slid). Splits are by site.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from lslib.data.schema import LANDSAT_BANDS
from lslib.data.splits import split_sites

__all__ = ["PAIR_SCENARIOS", "scenario_pairs", "detection_pairs", "denormalise"]

PAIR_SCENARIOS: tuple[str, ...] = ("unchanged", "mining", "reforestation", "landslide_damage")


def _normalise(stack: xr.Dataset, reflectance: np.ndarray) -> np.ndarray:
    mean = np.asarray(stack.attrs["norm_reflectance_mean"], np.float32)[:, None, None]
    std = np.asarray(stack.attrs["norm_reflectance_std"], np.float32)[:, None, None]
    return ((reflectance - mean) / std).astype(np.float32)


def scenario_pairs(stack: xr.Dataset, seed: int = 0, fractions: tuple[float, float, float] = (0.6, 0.1, 0.3)
                   ) -> dict[str, np.ndarray]:
    """All before/after pairs of ``stack`` (see the module docstring).

    Returns
    -------
    dict of numpy.ndarray
        ``source`` and ``target`` (n, 6, H, W) normalised bands; ``scenario`` (n,) index into
        :data:`PAIR_SCENARIOS`; ``site`` (n,); ``split`` (n,) train/val/test by site; ``scar`` (n, H, W)
        bool (the slide scar, for damage pairs); ``slope`` (n, H, W) degrees; ``dem`` (n, H, W) m; ``before`` and ``after``
        (n,) frame dates.

    Raises
    ------
    ValueError
        The stack is not simulated (it has no ``scenario``) or has clouds.
    """
    if "scenario" not in stack:
        raise ValueError("scenario_pairs needs a simulated stack (the variable 'scenario' names each site's history)")
    if float(stack["cloud_fraction"].max()) > 0.0:
        raise ValueError("scenario_pairs needs a cloud-free stack: simulate(..., clouds=False)")
    reflectance = stack["reflectance"].sel(band=list(LANDSAT_BANDS)).values.astype(np.float32)
    dates = stack["date"].values
    event = stack["event_time"].values
    slid = stack["landslide"].values.astype(bool)
    kinds = stack["scenario"].values.astype(str)
    split = split_sites(slid.astype(int), fractions=fractions, seed=seed)
    rows: list[tuple[int, int, int, int]] = []  # (site, scenario, before frame, after frame)
    for site in range(stack.sizes["site"]):
        valid = np.nonzero(~np.isnat(dates[site]))[0]
        before_event = valid[dates[site, valid] < event[site]] if slid[site] else valid
        if kinds[site] == "thriving_forest" and not slid[site]:
            rows.append((site, 0, valid[0], valid[-1]))
        if kinds[site] == "mining" and len(before_event) >= 2:
            rows.append((site, 1, before_event[0], before_event[-1]))
        if kinds[site] == "deforestation" and len(before_event) >= 2:
            rows.append((site, 2, before_event[-1], before_event[0]))
        if slid[site]:
            after = valid[dates[site, valid] >= event[site]]
            if len(before_event) and len(after):
                rows.append((site, 3, before_event[-1], after[0]))
    table = np.asarray(rows, dtype=np.int64).reshape(-1, 4)
    site, scenario, before, after = table.T
    scar = stack["scar_mask"].values[site].astype(bool) & (scenario == 3)[:, None, None]
    return {
        "source": _normalise(stack, reflectance[site, before]), "target": _normalise(stack, reflectance[site, after]),
        "scenario": scenario, "site": site, "split": split[site], "scar": scar,
        "slope": stack["slope"].values[site].astype(np.float32), "dem": stack["dem"].values[site].astype(np.float32),
        "before": dates[site, before], "after": dates[site, after],
    }


def detection_pairs(stack: xr.Dataset, seed: int = 0, fractions: tuple[float, float, float] = (0.6, 0.1, 0.3)
                    ) -> dict[str, np.ndarray]:
    """One pair per site for the mining detector: the first frame and the last frame before any slide,
    with ``mining`` True for the sites whose history is a mine (whatever else they show: clearings,
    storms). Same keys as :func:`scenario_pairs` (``scenario`` is omitted), plus ``mining``."""
    if "scenario" not in stack:
        raise ValueError("detection_pairs needs a simulated stack (the variable 'scenario' names each site's history)")
    reflectance = stack["reflectance"].sel(band=list(LANDSAT_BANDS)).values.astype(np.float32)
    dates, event = stack["date"].values, stack["event_time"].values
    slid = stack["landslide"].values.astype(bool)
    split = split_sites(slid.astype(int), fractions=fractions, seed=seed)
    rows = []
    for site in range(stack.sizes["site"]):
        valid = np.nonzero(~np.isnat(dates[site]))[0]
        before = valid[dates[site, valid] < event[site]] if slid[site] else valid
        if len(before) >= 2:
            rows.append((site, before[0], before[-1]))
    site, first, last = np.asarray(rows, dtype=np.int64).reshape(-1, 3).T
    return {"source": _normalise(stack, reflectance[site, first]), "target": _normalise(stack, reflectance[site, last]),
            "mining": stack["scenario"].values.astype(str)[site] == "mining", "site": site, "split": split[site],
            "before": dates[site, first], "after": dates[site, last]}


def denormalise(images: np.ndarray, stack: xr.Dataset) -> np.ndarray:
    """Surface reflectance (unitless) of normalised ``(..., 6, H, W)`` images of ``stack``."""
    mean = np.asarray(stack.attrs["norm_reflectance_mean"], np.float32)[:, None, None]
    std = np.asarray(stack.attrs["norm_reflectance_std"], np.float32)[:, None, None]
    return images * std + mean
