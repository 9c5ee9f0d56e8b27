"""Before/after pairs of a simulated stack, labelled with the scenario that links them, for the
generators of chapter 5.

Each pair is the site's frame before a change and its frame after, both cloud-free: from a stack simulated
without clouds (``simulate(clouds=False)``) or from the cloud-free surface a cloudy stack keeps beside its
observed frames (``simulate(surface=True)``), normalised with the stack's statistics like
:class:`lslib.data.dataset.LandslideDataset`:

``unchanged``
    a thriving-forest site that stood: its first frame and its frame number ``post_frame`` (seasons
    change, the land does not);
``mining``
    a mining site: its first frame and its frame number ``post_frame``, when no slide came before it
    (the pit and spoil grow). Unchanged and mining pairs span the same frames, so the time between
    them (and the season) cannot tell the two apart. A later post frame does not show more mines
    growing: the simulator's growing pits are the ones that slide, so later frames lose more mines to
    slides than they gain in growth (measured once on 200 simulated mines of 16 frames, seed 0: 39 %
    of the usable mines show new change at frame 5 and 32 % at frame 15, while the usable share falls
    from 86 % to 43 %);
``reforestation``
    a deforestation site read backwards: its last frame before any slide (cleared) and its first frame
    (forest). The simulator has no regrowth scenario, so a restored canopy stands in for planted
    forest; young plantations would look sparser than this;
``landslide_damage``
    a site that slid: its last frame before the event and its first frame after it (the scar). Its
    ``trigger`` is the cause the simulator's physics attributes the slide to; every other pair has
    the stable class (:attr:`lslib.causes.Cause.THRIVING_FOREST`): no slide.

Each pair carries its **layout**, the pixels whose disturbance state differs between the two frames
(the simulator's ``disturbed_mask``, an oracle variable: the target of the layout model, never one of
its inputs). For a damage pair it is the slide's scar and deposit; for a mine that grew, its whole
footprint at the later frame (pit and spoil: a mine grows from what the earlier image shows, and the
growth alone is a thin ring no disc describes). The pair also carries the **terrain** an agency can
observe (:func:`terrain_channels`).

A site may give two pairs (a mine that later slid). Splits are by site (:func:`site_split`, the same
for every function here).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from lslib.causes import Cause
from lslib.data.schema import LANDSAT_BANDS
from lslib.data.sim.terrain import topographic_wetness
from lslib.data.splits import split_sites

__all__ = [
    "PAIR_SCENARIOS",
    "TERRAIN_CHANNELS",
    "POST_FRAME",
    "site_split",
    "terrain_channels",
    "scenario_pairs",
    "detection_pairs",
    "merge_pairs",
    "denormalise",
]

PAIR_SCENARIOS: tuple[str, ...] = ("unchanged", "mining", "reforestation", "landslide_damage")
#: The terrain channels of every pair, in order, with their scaling.
TERRAIN_CHANNELS: tuple[str, ...] = (
    "elevation above the site mean / 50 m",
    "slope / 30 degrees",
    "topographic wetness, (w - 0.65) / 0.35",
)
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
    if "surface_reflectance" not in stack and float(stack["cloud_fraction"].max()) > 0.0:
        raise ValueError(
            "pairs need cloud-free frames: simulate(..., clouds=False), or simulate(..., surface=True) to keep "
            "the clouds and the cloud-free surface of the same pass"
        )
    if not 0 < post_frame < stack.sizes["time"]:
        raise ValueError(f"post_frame must lie in [1, {stack.sizes['time'] - 1}], got {post_frame}")


def _cloud_free(stack: xr.Dataset) -> np.ndarray:
    """``(site, time, band, y, x)`` float32 cloud-free reflectance: the stack's ``surface_reflectance`` when it
    has one (``simulate(surface=True)``), else its ``reflectance`` (a ``clouds=False`` stack)."""
    name = "surface_reflectance" if "surface_reflectance" in stack else "reflectance"
    return stack[name].sel(band=list(LANDSAT_BANDS)).values.astype(np.float32)


def _normalise(stack: xr.Dataset, reflectance: np.ndarray) -> np.ndarray:
    mean = np.asarray(stack.attrs["norm_reflectance_mean"], np.float32)[:, None, None]
    std = np.asarray(stack.attrs["norm_reflectance_std"], np.float32)[:, None, None]
    return ((reflectance - mean) / std).astype(np.float32)


def _frames_before_event(stack: xr.Dataset) -> list[np.ndarray]:
    """Per site, the indices of its dated frames before its slide (all of them when it stood)."""
    dates, event = stack["date"].values, stack["event_time"].values
    slid = stack["landslide"].values.astype(bool)
    frames = []
    for site in range(stack.sizes["site"]):
        valid = np.nonzero(~np.isnat(dates[site]))[0]
        frames.append(valid[dates[site, valid] < event[site]] if slid[site] else valid)
    return frames


def terrain_channels(dem: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """The observable terrain of ``(n, H, W)`` sites as ``(n, 3, H, W)`` float32 channels, in the order
    and scaling of :data:`TERRAIN_CHANNELS`: elevation above the site's mean (m / 50), slope
    (degrees / 30) and the simulator's topographic wetness factor (from the DEM alone, as any agency
    could compute it from a public DEM)."""
    dem, slope = np.asarray(dem, np.float32), np.asarray(slope, np.float32)
    wetness = np.stack([topographic_wetness(one) for one in dem])
    anomaly = (dem - dem.mean(axis=(1, 2), keepdims=True)) / 50.0
    return np.stack([anomaly, slope / 30.0, (wetness - 0.65) / 0.35], axis=1).astype(np.float32)


def _layouts(
    stack: xr.Dataset, site: np.ndarray, before: np.ndarray, after: np.ndarray, footprint: np.ndarray
) -> np.ndarray:
    """(n, H, W) bool: the pixels whose disturbance state differs between the two frames of each pair;
    where ``footprint`` (n,) is True and something changed, the whole disturbed area at the later frame
    (a mine grows from the pit the earlier image already shows: its layout is the mine, not the ring)."""
    disturbed = stack["disturbed_mask"].values
    later = disturbed[site, after].astype(bool)
    changed = disturbed[site, before].astype(bool) != later
    grew = footprint & changed.reshape(len(changed), -1).any(axis=1)
    return np.where(grew[:, None, None], later, changed)


def scenario_pairs(
    stack: xr.Dataset, seed: int = 0, fractions: Shares = PAIR_FRACTIONS, post_frame: int = POST_FRAME
) -> dict[str, np.ndarray]:
    """All before/after pairs of ``stack`` (see the module docstring).

    Returns
    -------
    dict of numpy.ndarray
        ``source`` and ``target`` (n, 6, H, W) normalised bands; ``scenario`` (n,) index into
        :data:`PAIR_SCENARIOS`; ``trigger`` (n,) the slide's :class:`~lslib.causes.Cause` value;
        ``site`` (n,); ``split`` (n,) train/val/test by site; ``layout`` (n, H, W) bool, the change
        between the frames (the scar, for damage pairs); ``scar`` (n, H, W) bool (the slide scar,
        for damage pairs); ``terrain`` (n, 3, H, W) (:func:`terrain_channels`); ``slope`` (n, H, W)
        degrees; ``dem`` (n, H, W) m; ``before`` and ``after`` (n,) frame dates.

    Raises
    ------
    ValueError
        The stack is not simulated (it has no ``scenario``), or has clouds and no ``surface_reflectance``.
    """
    _check_stack(stack, post_frame)
    reflectance = _cloud_free(stack)
    dates = stack["date"].values
    event = stack["event_time"].values
    slid = stack["landslide"].values.astype(bool)
    kinds = stack["scenario"].values.astype(str)
    split = site_split(stack, seed, fractions)
    rows: list[tuple[int, int, int, int]] = []  # (site, scenario, before frame, after frame)
    for site, before_event in enumerate(_frames_before_event(stack)):
        fixed = post_frame in before_event and 0 in before_event
        if kinds[site] == "thriving_forest" and not slid[site] and fixed:
            rows.append((site, 0, 0, post_frame))
        if kinds[site] == "mining" and fixed:
            rows.append((site, 1, 0, post_frame))
        if kinds[site] == "deforestation" and len(before_event) >= 2:
            rows.append((site, 2, before_event[-1], before_event[0]))
        if slid[site]:
            valid = np.nonzero(~np.isnat(dates[site]))[0]
            after = valid[dates[site, valid] >= event[site]]
            if len(before_event) and len(after):
                rows.append((site, 3, before_event[-1], after[0]))
    table = np.asarray(rows, dtype=np.int64).reshape(-1, 4)
    site, scenario, before, after = table.T
    damage = scenario == PAIR_SCENARIOS.index("landslide_damage")
    scar = stack["scar_mask"].values[site].astype(bool) & damage[:, None, None]
    trigger = np.where(damage, stack["cause"].values[site], int(Cause.THRIVING_FOREST)).astype(np.int64)
    dem, slope = stack["dem"].values[site].astype(np.float32), stack["slope"].values[site].astype(np.float32)
    return {
        "source": _normalise(stack, reflectance[site, before]),
        "target": _normalise(stack, reflectance[site, after]),
        "scenario": scenario,
        "trigger": trigger,
        "site": site,
        "split": split[site],
        "layout": np.where(damage[:, None, None], scar, _layouts(stack, site, before, after, scenario == 1)),
        "scar": scar,
        "terrain": terrain_channels(dem, slope),
        "slope": slope,
        "dem": dem,
        "before": dates[site, before],
        "after": dates[site, after],
    }


def detection_pairs(
    stack: xr.Dataset, seed: int = 0, fractions: Shares = PAIR_FRACTIONS, post_frame: int = POST_FRAME
) -> dict[str, np.ndarray]:
    """One pair per site for the mining detectors: the first frame and frame number ``post_frame`` of
    every site where no slide came before it (the same frames for mines and for the rest, so neither the
    time between the images nor their season tells a mine), with ``mining`` True for the sites whose
    history is a mine (whatever else the others show: clearings, storms). Keys as in
    :func:`scenario_pairs` (without ``scenario``, ``trigger`` and ``scar``), plus ``mining`` and ``gap_days``."""
    _check_stack(stack, post_frame)
    reflectance = _cloud_free(stack)
    dates = stack["date"].values
    split = site_split(stack, seed, fractions)
    fixed = [post_frame in before and 0 in before for before in _frames_before_event(stack)]
    site = np.nonzero(fixed)[0]
    first, last = np.zeros_like(site), np.full_like(site, post_frame)
    dem, slope = stack["dem"].values[site].astype(np.float32), stack["slope"].values[site].astype(np.float32)
    return {
        "source": _normalise(stack, reflectance[site, first]),
        "target": _normalise(stack, reflectance[site, last]),
        "mining": stack["scenario"].values.astype(str)[site] == "mining",
        "site": site,
        "split": split[site],
        "layout": _layouts(stack, site, first, last, stack["scenario"].values.astype(str)[site] == "mining"),
        "terrain": terrain_channels(dem, slope),
        "slope": slope,
        "dem": dem,
        "before": dates[site, first],
        "after": dates[site, last],
        "gap_days": (dates[site, last] - dates[site, first]) / np.timedelta64(1, "D"),
    }


def merge_pairs(*pair_sets: dict[str, np.ndarray], n_sites: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Pairs of several stacks as one set: the arrays concatenated, the site numbers of the k-th stack
    shifted by the sites of the stacks before it (``n_sites``, one count per stack), so a site number
    still names one site. The stacks must share their normalisation (:func:`lslib.data.sim.normalised_like`).

    Raises
    ------
    ValueError
        The sets have different keys, or ``n_sites`` does not give one count per set.
    """
    if len(n_sites) != len(pair_sets):
        raise ValueError(f"n_sites must give one count per pair set ({len(pair_sets)}), got {len(n_sites)}")
    keys = set(pair_sets[0])
    if any(set(other) != keys for other in pair_sets[1:]):
        raise ValueError("the pair sets have different keys: build them with the same function")
    offsets = np.concatenate([[0], np.cumsum(n_sites)[:-1]])
    merged = {key: np.concatenate([pairs[key] for pairs in pair_sets]) for key in pair_sets[0]}
    merged["site"] = np.concatenate([pairs["site"] + offset for pairs, offset in zip(pair_sets, offsets)])
    return merged


def denormalise(images: np.ndarray, stack: xr.Dataset) -> np.ndarray:
    """Surface reflectance (unitless) of normalised ``(..., 6, H, W)`` images of ``stack``."""
    mean = np.asarray(stack.attrs["norm_reflectance_mean"], np.float32)[:, None, None]
    std = np.asarray(stack.attrs["norm_reflectance_std"], np.float32)[:, None, None]
    return images * std + mean
