"""LandslideSim: simulated Landsat 8 and Sentinel-1 time series of landslide sites, from physics.

Stands in for: a labelled archive of Landsat 8 Collection 2 Level-2 and Sentinel-1 time series
over hillslopes in America (US west coast ranges), China (Sichuan, Gansu) and India (Western Ghats),
some of which fail in shallow landslides caused by heavy rain, deforestation, mining, construction,
earthquakes or volcanic eruptions, with weather metadata and per-pixel scar masks.

Breaks down: each site is a 1 km infinite-slope world with one disturbance, a lumped wetness model,
compressed time (root decay in months, not years) and crisp land cover; the sensors have no BRDF,
no atmosphere but clouds, and no SAR geometry but a slope term. Chapter 1 compares its cloud,
NDVI and rain statistics with real data and reports the differences.

The label is never stamped independently of the imagery: a site slides when (and where) its factor
of safety falls below 1, and the cause is the factor whose removal would have kept it standing.
Sites can be disturbed and stay standing, so a visible disturbance is not the label.

All generators are deterministic given ``seed``: a site depends only on ``(seed, site index)``,
whatever the number of workers.

Modules: :mod:`~lslib.data.sim.regions`, :mod:`~lslib.data.sim.terrain`,
:mod:`~lslib.data.sim.landcover`, :mod:`~lslib.data.sim.weather`, :mod:`~lslib.data.sim.stability`,
:mod:`~lslib.data.sim.scenarios`, :mod:`~lslib.data.sim.sensors`, :mod:`~lslib.data.sim.site`.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from lslib.causes import CAUSE_KEYS
from lslib.data.layout import assemble, layout_attrs
from lslib.data.schema import LANDSAT_BANDS, SAR_POLS, site_grid
from lslib.data.sim.regions import REGIONS, get_region
from lslib.data.sim.site import calendar, simulate_site
from lslib.data.sim.terrain import MIN_SIZE

__all__ = [
    "simulate",
    "simulated_stack",
    "simulate_to_store",
    "NORMALISATION_KEYS",
    "normalised_like",
    "with_training_statistics",
    "simulate_site",
    "example_sites",
    "REGIONS",
    "SOURCE",
    "validate_parameters",
    "normalisation_statistics",
]

SOURCE = "simulated:lslib.data.sim"
_SITE_SCALARS = (
    "lat",
    "lon",
    "region",
    "country",
    "epsg",
    "easting",
    "northing",
    "landslide",
    "event_time",
    "reference_time",
    "cause",
    "scenario",
    "pga_g",
    "quake_time",
    "saturation_mm",
)


def validate_parameters(
    regions: Sequence[str], n_sites: int, n_times: int, size: int, causes: Sequence[str] | None, n_workers: int
) -> tuple[list[str], list[str]]:
    """Check :func:`simulate`'s parameters before any work; return (regions, scenario kinds).

    Raises
    ------
    ValueError
        Naming the bad parameter and the valid values.
    """
    regions = [regions] if isinstance(regions, str) else list(regions)
    if not regions:
        raise ValueError("regions is empty; choose from " + ", ".join(REGIONS))
    for name in regions:
        get_region(name)
    for name, value, minimum in (("n_sites", n_sites, 1), ("n_times", n_times, 2), ("n_workers", n_workers, 1)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if not isinstance(size, (int, np.integer)) or size < MIN_SIZE:
        raise ValueError(f"size={size!r} px is smaller than the terrain model needs ({MIN_SIZE} px per side)")
    kinds = list(CAUSE_KEYS) if causes is None else [causes] if isinstance(causes, str) else list(causes)
    unknown = [c for c in kinds if c not in CAUSE_KEYS]
    if unknown or not kinds:
        raise ValueError(f"Unknown causes {unknown or kinds}; valid causes are {', '.join(CAUSE_KEYS)}")
    for name in regions:
        if sum(get_region(name).scenario_weights[k] for k in kinds) <= 0:
            raise ValueError(f"Region {name!r} has none of the causes {kinds} (e.g. no volcanoes in {name})")
    return regions, kinds


#: Step of the Weyl sequence that spreads each region's sites over its scenario weights (the golden ratio's
#: fractional part: any run of consecutive sites covers the weights almost exactly).
_WEYL_STEP = 0.6180339887498949


def _draw_kind(index: int, region, kinds: list[str], seed: int, n_regions: int) -> str:
    """The scenario of site ``index``: stratified over its region's weights, so that every cause gets its share
    in a stack of any size (a rare cause is not left with a handful of sites by chance), while site ``index``
    keeps its scenario whatever ``n_sites`` is. The k-th site of a region takes the point
    ``(offset + k * golden ratio) mod 1`` of the region's cumulative weights, the offset drawn from the seed."""
    weights = np.array([region.scenario_weights[k] for k in kinds], dtype=float)
    offset = np.random.default_rng([seed, 7, sum(map(ord, region.name))]).random()
    point = (offset + (index // n_regions) * _WEYL_STEP) % 1.0
    position = int(np.searchsorted(np.cumsum(weights / weights.sum()), point, side="right"))
    return kinds[min(position, len(kinds) - 1)]


def _simulate_chunk(
    indices: list[int],
    regions: list[str],
    kinds: list[str],
    n_times: int,
    size: int,
    start: str,
    seed: int,
    clouds: bool,
    surface: bool = False,
) -> list[dict]:
    sites = []
    for index in indices:
        region = get_region(regions[index % len(regions)])
        arrays, _ = simulate_site(
            index,
            region,
            _draw_kind(index, region, kinds, seed, len(regions)),
            n_times,
            size,
            pd.Timestamp(start),
            seed,
            clouds=clouds,
            surface=surface,
        )
        sites.append(arrays)
    return sites


#: Attributes of the per-site variables of a simulated stack (units as :mod:`lslib.data.schema` requires).
_SITE_SCALAR_ATTRS: dict[str, dict[str, Any]] = {
    "lat": {"units": "degrees_north"},
    "lon": {"units": "degrees_east"},
    "easting": {"units": "m"},
    "northing": {"units": "m"},
    "scenario": {"long_name": "land-change scenario applied (not the label: see cause)"},
    "pga_g": {"units": "g", "long_name": "peak ground acceleration of the site's earthquake (0: none)"},
    "quake_time": {"long_name": "date of the site's earthquake (NaT: none)"},
    "saturation_mm": {
        "units": "mm",
        "role": "oracle",
        "long_name": "antecedent rain index that saturates the soil where the topographic wetness is 1",
    },
    "cause": {
        "long_name": "landslide cause (lslib.causes.Cause)",
        "flag_values": list(range(len(CAUSE_KEYS))),
        "flag_meanings": " ".join(CAUSE_KEYS),
    },
}
_TEXT_SCALARS = ("region", "country", "scenario")
#: The version of the stack's set of variables, part of :func:`simulated_stack`'s cache key: raise it when a
#: variable is added or removed, so a store written before the change is never reused (2: ``saturation_mm``).
STACK_VARIABLES_VERSION = 2


def _stack(sites: list[dict], n_times: int, size: int, start: str, attrs: dict[str, Any]) -> xr.Dataset:
    """Stack the per-site arrays of :func:`simulate_site` along ``site`` into a validated layout.

    Parameters
    ----------
    sites : list of dict
        The ``arrays`` of :func:`~lslib.data.sim.site.simulate_site`, all of the same ``n_times`` and ``size``.
    n_times : int
        Landsat frames per site (sets the day calendar when ``sites`` is empty).
    size : int
        Pixels per side.
    start : str
        First simulated day (ISO date), the first ``day`` coordinate.
    attrs : dict
        The stack's attributes (see :func:`lslib.data.layout.layout_attrs`).

    Returns
    -------
    xarray.Dataset
        Assembled and validated by :func:`lslib.data.layout.assemble`.
    """
    y, x = site_grid(size)
    n_days = len(sites[0]["rain_daily"]) if sites else calendar(n_times)
    variables = _site_variables(sites)
    coords = {
        "site": np.arange(len(sites)),
        "band": list(LANDSAT_BANDS),
        "pol": list(SAR_POLS),
        "y": ("y", y, {"units": "m", "long_name": "offset from the site centre, north positive"}),
        "x": ("x", x, {"units": "m", "long_name": "offset from the site centre, east positive"}),
        "day": pd.date_range(start, periods=n_days, freq="D"),
    }
    return assemble(variables, coords, attrs)


_FRAMES = ("site", "time", "y", "x")  # a map on every Landsat frame
_RADAR = ("site", "sar_time", "y", "x")  # a map on every Sentinel-1 frame
_MAP = ("site", "y", "x")  # a map fixed in time
_DAYS = ("site", "day")  # a daily series


def _oracle(long_name: str, units: str | None = None) -> dict[str, str]:
    """Attributes of an oracle variable: the simulator's hidden truth, never a model input."""
    return {**({"units": units} if units else {}), "role": "oracle", "long_name": long_name}


#: The per-site arrays of a simulated stack: ``name: (dims, attrs)``, in the stack's order (``role: oracle``
#: marks the simulator's hidden truth, never a model input).
_SITE_ARRAYS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "reflectance": (("site", "time", "band", "y", "x"), {"units": "1", "long_name": "surface reflectance"}),
    "qa_pixel": (_FRAMES, {"long_name": "Landsat C2 QA_PIXEL bits"}),
    "date": (("site", "time"), {"long_name": "Landsat 8 acquisition date"}),
    "cloud_fraction": (("site", "time"), {"units": "1"}),
    "rain_1d": (("site", "time"), {"units": "mm"}),
    "rain_7d": (("site", "time"), {"units": "mm"}),
    "rain_30d": (("site", "time"), {"units": "mm"}),
    "temperature": (("site", "time"), {"units": "degC"}),
    "sar": (
        ("site", "sar_time", "pol", "y", "x"),
        {"units": "dB", "long_name": "Sentinel-1 gamma0, terrain-flattened"},
    ),
    "sar_date": (("site", "sar_time"), {"long_name": "Sentinel-1 acquisition date"}),
    "rain_daily": (_DAYS, {"units": "mm/day"}),
    "dem": (_MAP, {"units": "m"}),
    "slope": (_MAP, {"units": "degrees"}),
    "scar_mask": (_MAP, {"long_name": "landslide scar and deposit"}),
    "fs_min": (_DAYS, _oracle("daily minimum factor of safety (never a model input)", "1")),
    "fs_unstable_px": (_DAYS, _oracle("pixels with factor of safety below 1 (never a model input)", "pixels")),
    "initiation_mask": (_MAP, _oracle("cells where the slide started (FS below 1 on the event day)")),
    "soil_depth": (_MAP, _oracle("soil depth", "m")),
    "soil_cohesion": (_MAP, _oracle("effective soil cohesion before any disturbance", "kPa")),
    "friction_angle": (_MAP, _oracle("effective friction angle before any disturbance", "degrees")),
    "forest_root_cohesion": (_MAP, _oracle("root cohesion of standing forest", "kPa")),
    "disturbed_mask": (_FRAMES, _oracle("pixels changed by the disturbance or the slide, on each Landsat frame")),
    "land_cover": (_FRAMES, _oracle("land cover on each Landsat frame (lslib.data.sim.landcover.Cover codes)")),
    "sar_clearcut": (
        _RADAR,
        _oracle("on each radar frame: 0 neither, 1 standing forest, 2 forest cleared within a year"),
    ),
    "cloud_truth": (_FRAMES, _oracle("where cloud (thick or thin) really was, flagged or not")),
    "shadow_truth": (_FRAMES, _oracle("where cloud shadow really was (outside cloud), flagged or not")),
    "storm_day": (_DAYS, _oracle("days of an extreme storm of the climate")),
}
#: Per-site arrays a stack holds only when asked for (``simulate(surface=True)``).
_OPTIONAL_ARRAYS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "surface_reflectance": (
        ("site", "time", "band", "y", "x"),
        _oracle("surface reflectance without clouds and cloud shadows (the same pass as reflectance)", "1"),
    ),
}


def _site_variables(sites: list[dict]) -> dict[str, tuple]:
    """``(dims, values, attrs)`` of every variable, the per-site arrays stacked along ``site``."""
    arrays = {**_SITE_ARRAYS, **{name: spec for name, spec in _OPTIONAL_ARRAYS.items() if sites and name in sites[0]}}
    variables = {
        name: (dims, np.stack([s[name] for s in sites]), dict(attrs)) for name, (dims, attrs) in arrays.items()
    }
    for key in _SITE_SCALARS:
        values = np.array([s[key] for s in sites])
        if key in _TEXT_SCALARS:
            values = values.astype(str)
        variables[key] = (("site",), values, dict(_SITE_SCALAR_ATTRS.get(key, {})))
    return variables


def simulate(
    regions: Sequence[str] = ("america", "china", "india"),
    n_sites: int = 60,
    n_times: int = 16,
    size: int = 32,
    causes: Sequence[str] | None = None,
    seed: int = 0,
    n_workers: int = 1,
    scheduler: str | None = None,
    start: str = "2016-01-01",
    clouds: bool = True,
    progress: bool = False,
    surface: bool = False,
) -> xr.Dataset:
    """Simulate a stack of sites in the layout of :mod:`lslib.data.schema`.

    Parameters
    ----------
    regions : sequence of str
        Regions to draw sites from, in turn (site i is in ``regions[i % len(regions)]``).
    n_sites : int
        Number of sites.
    n_times : int
        Landsat 8 frames per site (16-day revisit, some dates missing); Sentinel-1 gets
        ``round(n_times * 16 / 12)`` frames (12-day revisit) over the same period.
    size : int
        Pixels per side, 30 m each (at least 16).
    causes : sequence of str, optional
        Scenarios to draw from (cause keys), by each region's frequencies; default all.
    seed : int
        Seed; the same seed and parameters give identical arrays.
    n_workers : int
        Processes for the dask scheduler (1: run in this process).
    scheduler : str, optional
        A ``distributed`` scheduler address (``tcp://host:8786``, e.g. a ``LocalCluster``'s
        ``scheduler_address``): the sites run there as dask tasks, with identical arrays.
    start : str
        First simulated day (ISO date); frames start after a 120-day spin-up.
    clouds : bool
        Draw clouds (False gives cloud-free truth imagery).
    progress : bool
        Show a progress bar.
    surface : bool
        Also emit ``surface_reflectance`` (an oracle variable): the frames without their clouds and
        shadows, rendered in the same pass. It equals the ``reflectance`` of ``clouds=False`` with the
        same seed, so a study that needs both the observed and the cloud-free frames simulates once.

    Returns
    -------
    xarray.Dataset
        Validated by :func:`lslib.data.schema.validate`, with ``attrs["source"] == SOURCE``,
        ``attrs["provenance"]`` (the parameters, JSON) and normalisation statistics.

    Raises
    ------
    ValueError
        Before any work, for an unknown region or cause, ``n_sites <= 0`` or a patch too small.

    Examples
    --------
    >>> ds = simulate(regions=["india"], n_sites=2, n_times=4, size=16, seed=0)
    >>> ds.sizes["site"], ds.sizes["time"], ds.sizes["band"], ds.attrs["source"]
    (2, 4, 6, 'simulated:lslib.data.sim')
    """
    regions, kinds = validate_parameters(regions, n_sites, n_times, size, causes, n_workers)
    pd.Timestamp(start)  # fails early on a malformed date
    arguments = (regions, kinds, n_times, size, start, seed, clouds, surface)
    if n_workers == 1 and scheduler is None:
        sites = _simulate_here(n_sites, arguments, progress)
    else:
        sites = _simulate_in_parallel(n_sites, arguments, n_workers, scheduler)
    provenance = _provenance(regions, n_sites, n_times, size, kinds, seed, start, clouds, surface)
    ds = _stack(sites, n_times, size, start, layout_attrs(SOURCE, json.dumps(provenance), title=_TITLE))
    ds.attrs.update(normalisation_statistics(ds))
    return ds


_TITLE = "Simulated Landsat 8 and Sentinel-1 landslide sites (lslib)"


def _provenance(regions, n_sites, n_times, size, kinds, seed, start, clouds, surface=False) -> dict[str, Any]:
    """The parameters a simulated stack records in ``attrs["provenance"]`` (``surface`` only when set, so a
    stack without it keeps the provenance it always had)."""
    return {
        "generator": "lslib.data.sim.simulate",
        "regions": regions,
        "n_sites": n_sites,
        "n_times": n_times,
        "size": size,
        "causes": kinds,
        "seed": seed,
        "start": start,
        "clouds": clouds,
        **({"surface": True} if surface else {}),
    }


def _simulate_here(n_sites: int, arguments: tuple, progress: bool) -> list[dict]:
    """All sites in this process, 16 at a time (with a progress bar if asked)."""
    indices = list(range(n_sites))
    chunks = [indices[i : i + 16] for i in range(0, n_sites, 16)]
    if progress:
        from tqdm.auto import tqdm

        chunks = tqdm(chunks, desc="simulating sites", unit="chunk")
    sites = []
    for chunk in chunks:
        sites.extend(_simulate_chunk(chunk, *arguments))
    return sites


def _simulate_in_parallel(n_sites: int, arguments: tuple, n_workers: int, scheduler: str | None) -> list[dict]:
    """All sites as dask tasks (four chunks per worker) on a ``dask.distributed`` scheduler, or else on a
    process pool of ``n_workers``; sites come back in order, identical to a serial run."""
    import dask

    n_chunks = max(n_workers * 4, 1)
    chunks = [c for c in np.array_split(np.arange(n_sites), n_chunks) if len(c)]
    tasks = [dask.delayed(_simulate_chunk)(c.tolist(), *arguments) for c in chunks]
    return [site for chunk in _run_tasks(tasks, n_workers, scheduler) for site in chunk]


def _run_tasks(tasks: list, n_workers: int, scheduler: str | None) -> list:
    """Compute dask ``tasks`` on the ``distributed`` scheduler at ``scheduler``, or else on a fork
    process pool of ``n_workers``; results in the tasks' order."""
    import dask

    if scheduler is not None:
        from distributed import Client

        with Client(scheduler) as client:
            return client.gather(client.compute(tasks))
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork: workers inherit the imported modules instead of re-importing them (not on Windows)
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    with ProcessPoolExecutor(n_workers, mp_context=context) as pool:
        return list(dask.compute(*tasks, scheduler="processes", pool=pool, chunksize=1))


# --------------------------------------------------------------------------------------------
# Block by block: the workers write their sites into the store; the driver never holds the stack
# --------------------------------------------------------------------------------------------


def _text_widths(regions: list[str], kinds: list[str]) -> dict[str, str]:
    """Fixed-width string dtypes wide enough for every value a text variable can take (a store is laid out
    before its sites exist, so a block of short names must not fix the width)."""
    countries = [get_region(region).country for region in regions]
    return {
        "region": f"<U{max(map(len, regions))}",
        "country": f"<U{max(map(len, countries))}",
        "scenario": f"<U{max(map(len, kinds))}",
    }


def _block_moments(block: xr.Dataset) -> np.ndarray:
    """Float64 count, sum and sum of squares of a block's clear-pixel reflectance per band and of its SAR per
    polarisation: ``(3, band + pol)``, summed over blocks into :func:`normalisation_statistics`' numbers."""
    from lslib.data.qa import invalid_mask

    clear = ~invalid_mask(block["qa_pixel"].values)
    reflectance = np.moveaxis(block["reflectance"].values, 2, -1)[clear].astype(np.float64)
    sar = np.moveaxis(block["sar"].values, 2, -1).reshape(-1, block.sizes["pol"]).astype(np.float64)
    return np.stack(
        [
            np.concatenate([np.full(reflectance.shape[1], len(reflectance)), np.full(sar.shape[1], len(sar))]),
            np.concatenate([reflectance.sum(axis=0), sar.sum(axis=0)]),
            np.concatenate([(reflectance**2).sum(axis=0), (sar**2).sum(axis=0)]),
        ]
    )


def _write_block(indices: list[int], arguments: tuple, store: str, attrs: dict[str, Any]) -> np.ndarray:
    """Simulate the sites ``indices`` (consecutive), write them into their region of the laid-out ``store``
    and return their :func:`_block_moments` (runs on a worker)."""
    regions, kinds, n_times, size, start = arguments[:5]
    block = _stack(_simulate_chunk(indices, *arguments), n_times, size, start, attrs)
    block = block.assign_coords(site=np.asarray(indices))
    for name, dtype in _text_widths(regions, kinds).items():
        block[name] = block[name].astype(dtype)
    moments = _block_moments(block)
    on_site = block.drop_vars([name for name, v in block.variables.items() if "site" not in v.dims])
    # a region write takes the encoding (reflectance as uint16 DN, dates' units) the store was laid out with
    on_site.to_zarr(store, region={"site": slice(indices[0], indices[-1] + 1)}, zarr_format=2, consolidated=False)
    return moments


def _statistics_from_moments(moments: np.ndarray, n_bands: int) -> dict[str, list[float]]:
    """:func:`normalisation_statistics`' numbers from summed :func:`_block_moments`."""
    count, total, squares = moments
    mean64 = total / count
    # float32 like the arrays, so the rounded numbers are written as simulate() writes them
    mean, std = mean64.astype(np.float32), np.sqrt(np.maximum(squares / count - mean64**2, 0.0)).astype(np.float32)
    return {
        "norm_reflectance_mean": mean[:n_bands].round(6).tolist(),
        "norm_reflectance_std": std[:n_bands].round(6).tolist(),
        "norm_sar_mean": mean[n_bands:].round(4).tolist(),
        "norm_sar_std": std[n_bands:].round(4).tolist(),
    }


def simulate_to_store(
    store: str | Path,
    block_sites: int = 32,
    extra_attrs: dict[str, Any] | None = None,
    started: float | None = None,
    **parameters: Any,
) -> dict[str, Any]:
    """Simulate a stack straight into the Zarr store ``store``, ``block_sites`` sites at a time, each block
    written by the process that simulated it: the driver never holds more than one block.

    The arrays are those of :func:`simulate` with the same parameters. The normalisation statistics come
    from float64 sums over the blocks (:func:`normalisation_statistics` sums float32 in memory), so they
    may differ from :func:`simulate`'s in their last rounded digit.

    Parameters
    ----------
    store : str or Path
        A new Zarr (v2) store; its folder must be reachable by every worker (a shared filesystem on a
        cluster).
    block_sites : int, default 32
        Sites per block: the peak memory of a worker (about 4 MB per site at 24 frames of 32 px).
    extra_attrs : dict, optional
        More attributes to write into the store.
    started : float, optional
        A ``time.perf_counter()`` reading: the seconds since are written as ``attrs["sim_seconds"]``.
    **parameters
        Those of :func:`simulate` (``regions``, ``n_sites``, ..., ``scheduler``), with its defaults;
        ``progress`` counts the blocks done here (one worker).

    Returns
    -------
    dict
        The store's attributes: provenance and normalisation statistics (also written into the store).
    """
    import inspect

    import dask
    import zarr

    bound = inspect.signature(simulate).bind(**parameters)
    bound.apply_defaults()
    given = bound.arguments  # by name: a new parameter of simulate() cannot shift them
    regions, n_sites, n_times, size, causes = (given[k] for k in ("regions", "n_sites", "n_times", "size", "causes"))
    seed, n_workers, scheduler, start = (given[k] for k in ("seed", "n_workers", "scheduler", "start"))
    clouds, progress, surface = given["clouds"], given["progress"], given["surface"]
    regions, kinds = validate_parameters(regions, n_sites, n_times, size, causes, n_workers)
    if not isinstance(block_sites, int) or block_sites < 1:
        raise ValueError(f"block_sites must be an integer >= 1, got {block_sites!r}")
    pd.Timestamp(start)
    arguments = (regions, kinds, n_times, size, start, seed, clouds, surface)
    provenance = _provenance(regions, n_sites, n_times, size, kinds, seed, start, clouds, surface)
    attrs = layout_attrs(SOURCE, json.dumps(provenance), title=_TITLE)
    blocks = [list(range(first, min(first + block_sites, n_sites))) for first in range(0, n_sites, block_sites)]
    first = _stack(_simulate_chunk(blocks[0][:1], *arguments), n_times, size, start, attrs)
    _lay_out(first, n_sites, block_sites, _text_widths(regions, kinds), store)
    if n_workers == 1 and scheduler is None:
        iterator = blocks
        if progress:
            from tqdm.auto import tqdm

            iterator = tqdm(blocks, desc="simulating blocks", unit="block")
        moments = [_write_block(block, arguments, str(store), attrs) for block in iterator]
    else:
        tasks = [dask.delayed(_write_block)(block, arguments, str(store), attrs) for block in blocks]
        moments = _run_tasks(tasks, n_workers, scheduler)
    attrs.update(_statistics_from_moments(np.sum(moments, axis=0), len(LANDSAT_BANDS)), **(extra_attrs or {}))
    if started is not None:
        attrs["sim_seconds"] = round(time.perf_counter() - started, 3)
    group = zarr.open_group(str(store), mode="r+", zarr_format=2)
    group.attrs.update(attrs)
    zarr.consolidate_metadata(str(store))
    return attrs


def _lay_out(first: xr.Dataset, n_sites: int, block_sites: int, widths: dict[str, str], store: str | Path) -> None:
    """Write the metadata and coordinates of an ``n_sites`` stack shaped like the one-site stack ``first``,
    chunked by ``block_sites`` along ``site``; no data array is written."""
    import dask.array

    from lslib.data.store import store_encoding

    variables = {}
    for name, variable in first.data_vars.items():  # lazy zeros: nothing of the full size is ever allocated
        dtype = widths.get(name, variable.dtype)
        shape, chunks = (n_sites, *variable.shape[1:]), (block_sites, *variable.shape[1:])
        variables[name] = (variable.dims, dask.array.zeros(shape, dtype=dtype, chunks=chunks), variable.attrs)
    coords = {name: coord.variable for name, coord in first.coords.items() if name != "site"}
    template = xr.Dataset(variables, coords={**coords, "site": np.arange(n_sites)}, attrs=first.attrs)
    encoding = store_encoding(template)
    for name, variable in template.data_vars.items():
        encoding.setdefault(name, {})["chunks"] = variable.data.chunksize
    template.to_zarr(store, mode="w", compute=False, zarr_format=2, consolidated=True, encoding=encoding)


def normalisation_statistics(ds: xr.Dataset) -> dict[str, list[float]]:
    """Per-band mean and standard deviation of clear-pixel reflectance and of SAR, for model inputs."""
    from lslib.data.qa import invalid_mask

    clear = ~invalid_mask(ds["qa_pixel"].values)  # (site, time, y, x)
    reflectance = np.moveaxis(ds["reflectance"].values, 2, -1)[clear]  # (pixels, band)
    sar = np.moveaxis(ds["sar"].values, 2, -1).reshape(-1, ds.sizes["pol"])
    return {
        "norm_reflectance_mean": reflectance.mean(axis=0).round(6).tolist(),
        "norm_reflectance_std": reflectance.std(axis=0).round(6).tolist(),
        "norm_sar_mean": sar.mean(axis=0).round(4).tolist(),
        "norm_sar_std": sar.std(axis=0).round(4).tolist(),
    }


#: The attributes of a stack that hold its input normalisation (:func:`normalisation_statistics`).
NORMALISATION_KEYS = ("norm_reflectance_mean", "norm_reflectance_std", "norm_sar_mean", "norm_sar_std")


def normalised_like(stack: xr.Dataset, reference: xr.Dataset) -> xr.Dataset:
    """``stack`` carrying the normalisation statistics of ``reference`` (the training stack), so test-only sites
    are standardised exactly as the sites the models were trained on."""
    missing = [key for key in NORMALISATION_KEYS if key not in reference.attrs]
    if missing:
        raise ValueError(f"the reference stack has no {missing} attributes")
    return stack.assign_attrs({key: reference.attrs[key] for key in NORMALISATION_KEYS})


def with_training_statistics(stack: xr.Dataset, sites: np.ndarray) -> xr.Dataset:
    """A shallow copy of ``stack`` whose normalisation statistics come from ``sites`` only (the training
    sites), so no statistic of a test region leaks into its inputs."""
    out = stack.copy()
    out.attrs = dict(stack.attrs)
    out.attrs.update(normalisation_statistics(stack.isel(site=np.sort(np.asarray(sites)))))
    return out


def simulated_stack(
    directory: str | Path = "data", block_sites: int | None = None, **parameters: Any
) -> tuple[xr.Dataset, Path, bool, float]:
    """The stack :func:`simulate` makes with ``parameters``, cached as Zarr in ``directory``.

    The store is named by a hash of the parameters and written atomically, so chapters that need
    the same data share it, and a killed run never leaves a store that looks complete. With
    ``block_sites`` the workers write it ``block_sites`` sites at a time (:func:`simulate_to_store`), so
    the memory of this process does not grow with the sites; its normalisation statistics are then
    float64 sums and differ from the in-memory path's float32 ones (by up to 0.05 dB in the SAR mean at
    150 sites), so ``block_sites`` is part of the store's key, as is :data:`STACK_VARIABLES_VERSION`.

    Returns
    -------
    (stack, path, hit, seconds)
        ``hit`` is True when the store existed; ``seconds`` is the time :func:`simulate` took
        when the store was made (kept in its attributes, so a cache hit still reports it).
    """
    from lslib.data.store import cached

    arguments = {key: value for key, value in parameters.items() if key not in ("n_workers", "scheduler", "progress")}
    arguments["variables"] = STACK_VARIABLES_VERSION
    if block_sites is not None:
        arguments["block_sites"] = block_sites

    def build() -> xr.Dataset | Callable[[Path], None]:
        if block_sites is not None:
            return write_in_blocks
        started = time.perf_counter()
        stack = simulate(**parameters)
        stack.attrs["sim_seconds"] = round(time.perf_counter() - started, 3)
        stack.attrs["sim_n_workers"] = int(parameters.get("n_workers", 1))
        return stack

    def write_in_blocks(folder: Path) -> None:
        started = time.perf_counter()
        timing = {"sim_n_workers": int(parameters.get("n_workers", 1))}
        simulate_to_store(folder, **parameters, block_sites=block_sites, extra_attrs=timing, started=started)

    stack, path, hit = cached("sim", arguments, build, directory, rebuild_corrupt=True)
    return stack, path, hit, float(stack.attrs.get("sim_seconds", float("nan")))


def example_sites(stack: xr.Dataset) -> dict[str, int]:
    """One site per cause for figures: a slide attributed to each cause, and an undisturbed forest
    that stood (the negative class). Causes with no example in the stack are left out."""
    examples: dict[str, int] = {}
    cause = stack["cause"].values
    slid = stack["landslide"].values.astype(bool)
    scenario = stack["scenario"].values
    for index, key in enumerate(CAUSE_KEYS):
        if key == "thriving_forest":
            candidates = np.nonzero(~slid & (scenario == key))[0]
        else:
            candidates = np.nonzero(slid & (cause == index) & (scenario == key))[0]
            if not len(candidates):
                candidates = np.nonzero(slid & (cause == index))[0]
        if len(candidates):
            scar = stack["scar_mask"].isel(site=candidates).values.reshape(len(candidates), -1).sum(axis=1)
            examples[key] = int(candidates[int(np.argmax(scar))] if key != "thriving_forest" else candidates[0])
    return examples
