"""Before/after pairs of a simulated stack, labelled with the scenario that links them, for the
conditional GAN of chapter 5.

Each pair is the site's frame before a change and its frame after, both from a cloud-free stack
(``simulate(clouds=False)``), normalised like :class:`lslib.data.dataset.LandslideDataset`:

``unchanged``
    a thriving-forest site that stood: its first frame and its frame number ``post_frame`` (seasons
    change, the land does not);
``mining``
    a mining site: its first frame and its frame number ``post_frame``, when no slide came before it
    (the pit and spoil grow). Unchanged and mining pairs span the same frames, so the time between
    them (and the season) cannot tell the two apart;
``reforestation``
    a deforestation site read backwards: its last frame before any slide (cleared) and its first frame
    (forest). The simulator has no regrowth scenario, so a restored canopy stands in for planted
    forest; young plantations would look sparser than this;
``landslide_damage``
    a site that slid: its last frame before the event and its first frame after it (the scar). Its
    ``trigger`` is the cause the simulator's physics attributes the slide to; every other pair has
    the stable class (:attr:`lslib.causes.Cause.THRIVING_FOREST`): no slide.

A site may give two pairs (a mine that later slid). Splits are by site (:func:`site_split`, the same
for every function here).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from lslib.causes import Cause
from lslib.data.schema import LANDSAT_BANDS
from lslib.data.splits import split_sites

__all__ = ["PAIR_SCENARIOS", "POST_FRAME", "site_split", "scenario_pairs", "detection_pairs", "denormalise"]

PAIR_SCENARIOS: tuple[str, ...] = ("unchanged", "mining", "reforestation", "landslide_damage")
POST_FRAME = 5  # frame number of the "after" image of unchanged, mining and detection pairs (about 80 days on)


#: Train, validation and test shares of the sites.
Shares = tuple[float, float, float]
#: The shares of chapter 5's pairs.
PAIR_FRACTIONS: Shares = (0.6, 0.1, 0.3)


def site_split(stack: xr.Dataset, seed: int = 0, fractions: Shares = PAIR_FRACTIONS) -> np.ndarray:
    """Train / val / test per site, stratified by outcome: the one split of chapter 5."""
    return split_sites(stack["landslide"].values.astype(int), fractions=fractions, seed=seed)


def _check_stack(stack: xr.Dataset, post_frame: int) -> None:
    if "scenario" not in stack:
        raise ValueError("pairs need a simulated stack (the variable 'scenario' names each site's history)")
    if float(stack["cloud_fraction"].max()) > 0.0:
        raise ValueError("pairs need a cloud-free stack: simulate(..., clouds=False)")
    if not 0 < post_frame < stack.sizes["time"]:
        raise ValueError(f"post_frame must lie in [1, {stack.sizes['time'] - 1}], got {post_frame}")


def _normalise(stack: xr.Dataset, reflectance: np.ndarray) -> np.ndarray:
    mean = np.asarray(stack.attrs["norm_reflectance_mean"], np.float32)[:, None, None]
    std = np.asarray(stack.attrs["norm_reflectance_std"], np.float32)[:, None, None]
    return ((reflectance - mean) / std).astype(np.float32)


def scenario_pairs(
    stack: xr.Dataset, seed: int = 0, fractions: Shares = PAIR_FRACTIONS, post_frame: int = POST_FRAME
) -> dict[str, np.ndarray]:
    """All before/after pairs of ``stack`` (see the module docstring).

    Returns
    -------
    dict of numpy.ndarray
        ``source`` and ``target`` (n, 6, H, W) normalised bands; ``scenario`` (n,) index into
        :data:`PAIR_SCENARIOS`; ``trigger`` (n,) the slide's :class:`~lslib.causes.Cause` value;
        ``site`` (n,); ``split`` (n,) train/val/test by site; ``scar`` (n, H, W) bool (the slide scar,
        for damage pairs); ``slope`` (n, H, W) degrees; ``dem`` (n, H, W) m; ``before`` and ``after``
        (n,) frame dates.

    Raises
    ------
    ValueError
        The stack is not simulated (it has no ``scenario``) or has clouds.
    """
    _check_stack(stack, post_frame)
    reflectance = stack["reflectance"].sel(band=list(LANDSAT_BANDS)).values.astype(np.float32)
    dates = stack["date"].values
    event = stack["event_time"].values
    slid = stack["landslide"].values.astype(bool)
    kinds = stack["scenario"].values.astype(str)
    split = site_split(stack, seed, fractions)
    rows: list[tuple[int, int, int, int]] = []  # (site, scenario, before frame, after frame)
    for site in range(stack.sizes["site"]):
        valid = np.nonzero(~np.isnat(dates[site]))[0]
        before_event = valid[dates[site, valid] < event[site]] if slid[site] else valid
        fixed = post_frame in before_event and 0 in before_event
        if kinds[site] == "thriving_forest" and not slid[site] and fixed:
            rows.append((site, 0, 0, post_frame))
        if kinds[site] == "mining" and fixed:
            rows.append((site, 1, 0, post_frame))
        if kinds[site] == "deforestation" and len(before_event) >= 2:
            rows.append((site, 2, before_event[-1], before_event[0]))
        if slid[site]:
            after = valid[dates[site, valid] >= event[site]]
            if len(before_event) and len(after):
                rows.append((site, 3, before_event[-1], after[0]))
    table = np.asarray(rows, dtype=np.int64).reshape(-1, 4)
    site, scenario, before, after = table.T
    damage = scenario == PAIR_SCENARIOS.index("landslide_damage")
    scar = stack["scar_mask"].values[site].astype(bool) & damage[:, None, None]
    trigger = np.where(damage, stack["cause"].values[site], int(Cause.THRIVING_FOREST)).astype(np.int64)
    return {
        "source": _normalise(stack, reflectance[site, before]),
        "target": _normalise(stack, reflectance[site, after]),
        "scenario": scenario,
        "trigger": trigger,
        "site": site,
        "split": split[site],
        "scar": scar,
        "slope": stack["slope"].values[site].astype(np.float32),
        "dem": stack["dem"].values[site].astype(np.float32),
        "before": dates[site, before],
        "after": dates[site, after],
    }


def detection_pairs(
    stack: xr.Dataset, seed: int = 0, fractions: Shares = PAIR_FRACTIONS, post_frame: int = POST_FRAME
) -> dict[str, np.ndarray]:
    """One pair per site for the mining detector: the first frame and frame number ``post_frame`` of
    every site where no slide came before it (the same frames for mines and for the rest, so neither the
    time between the images nor their season tells a mine), with ``mining`` True for the sites whose
    history is a mine (whatever else the others show: clearings, storms). Keys as in
    :func:`scenario_pairs` (without ``scenario``), plus ``mining`` and ``gap_days``."""
    _check_stack(stack, post_frame)
    reflectance = stack["reflectance"].sel(band=list(LANDSAT_BANDS)).values.astype(np.float32)
    dates, event = stack["date"].values, stack["event_time"].values
    slid = stack["landslide"].values.astype(bool)
    split = site_split(stack, seed, fractions)
    rows = []
    for site in range(stack.sizes["site"]):
        valid = np.nonzero(~np.isnat(dates[site]))[0]
        before = valid[dates[site, valid] < event[site]] if slid[site] else valid
        if post_frame in before and 0 in before:
            rows.append((site, 0, post_frame))
    site, first, last = np.asarray(rows, dtype=np.int64).reshape(-1, 3).T
    return {
        "source": _normalise(stack, reflectance[site, first]),
        "target": _normalise(stack, reflectance[site, last]),
        "mining": stack["scenario"].values.astype(str)[site] == "mining",
        "site": site,
        "split": split[site],
        "before": dates[site, first],
        "after": dates[site, last],
        "gap_days": (dates[site, last] - dates[site, first]) / np.timedelta64(1, "D"),
    }


def denormalise(images: np.ndarray, stack: xr.Dataset) -> np.ndarray:
    """Surface reflectance (unitless) of normalised ``(..., 6, H, W)`` images of ``stack``."""
    mean = np.asarray(stack.attrs["norm_reflectance_mean"], np.float32)[:, None, None]
    std = np.asarray(stack.attrs["norm_reflectance_std"], np.float32)[:, None, None]
    return images * std + mean
