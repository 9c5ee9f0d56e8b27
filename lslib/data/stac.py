"""Real Landsat 8 and Sentinel-1 time series from STAC APIs, in the study's one layout.

:func:`search` finds items over a :class:`Site` with pystac-client (Microsoft Planetary Computer by
default, Earth Search as an alternative), filters cloud cover on the server when the API supports
the ``query`` extension and on the client otherwise, and keeps one item per acquisition day.
:func:`load` reads them with odc-stac onto the site's 30 m UTM grid as dask arrays, applies each
asset's ``raster:bands`` scale and offset (odc-stac does not), masks pixels with the Collection 2
QA_PIXEL bits, converts Sentinel-1 RTC from linear gamma0 to dB, and returns a stack that
:func:`lslib.data.schema.validate` accepts, with its provenance (API, collections, item ids, query)
in the attributes. :func:`acquire` does both and caches the result as Zarr, keyed by the query.

Signing of Planetary Computer asset URLs goes through the ``planetary-computer`` package when it is
installed. Only chapter 1 calls this module; later chapters read the stored stack.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from lslib.data.layout import assemble, layout_attrs
from lslib.data.qa import cloud_fraction, invalid_mask
from lslib.data.schema import LANDSAT_BANDS, PIXEL_SIZE_M, SAR_POLS, site_grid, validate
from lslib.data.sites import Site
from lslib.errors import DataUnavailable

__all__ = [
    "PLANETARY_COMPUTER",
    "EARTH_SEARCH",
    "ENDPOINTS",
    "LANDSAT",
    "SENTINEL1",
    "EmptySearch",
    "search",
    "load",
    "Request",
    "acquire",
    "acquire_many",
    "stack_sites",
    "showcase_events",
    "acquire_events",
]

PLANETARY_COMPUTER = "https://planetarycomputer.microsoft.com/api/stac/v1"
EARTH_SEARCH = "https://earth-search.aws.element84.com/v1"
ENDPOINTS = {"planetary-computer": PLANETARY_COMPUTER, "earth-search": EARTH_SEARCH}
LANDSAT = "landsat-c2-l2"
SENTINEL1 = "sentinel-1-rtc"
#: Earth Search names the same products differently.
_EARTH_SEARCH_COLLECTIONS = {LANDSAT: "landsat-c2-l2"}


class EmptySearch(DataUnavailable):
    """A STAC search returned no item; the message names the query."""


def _client(api_url: str, retries: int, timeout: float):
    import pystac_client
    from pystac_client.stac_api_io import StacApiIO
    from urllib3 import Retry

    modifier = None
    if api_url.rstrip("/") == PLANETARY_COMPUTER:
        try:
            import planetary_computer

            modifier = planetary_computer.sign_inplace
        except ImportError:
            modifier = None
    retry = Retry(total=retries, backoff_factor=0.2, status_forcelist=[429, 500, 502, 503, 504], allowed_methods=None)
    io = StacApiIO(max_retries=retry, timeout=timeout)
    return pystac_client.Client.open(api_url, modifier=modifier, stac_io=io)


def _acquisition_day(item) -> str:
    when = item.datetime or pd.Timestamp(item.properties.get("start_datetime")).to_pydatetime()
    return pd.Timestamp(when).strftime("%Y-%m-%d")


def search(
    site: Site,
    start: str,
    end: str,
    collections: Sequence[str] = (LANDSAT,),
    api_url: str = PLANETARY_COMPUTER,
    max_cloud: float | None = None,
    platform: str | None = None,
    retries: int = 3,
    timeout: float = 30.0,
) -> list:
    """Items of ``collections`` over ``site`` between ``start`` and ``end`` (ISO dates), one per day.

    Parameters
    ----------
    site : Site
        The area of interest.
    start, end : str
        Inclusive date range.
    collections : sequence of str
        STAC collections, e.g. ``("landsat-c2-l2",)`` or ``("sentinel-1-rtc",)``.
    api_url : str
        A STAC API root (:data:`PLANETARY_COMPUTER`, :data:`EARTH_SEARCH`, or a local one).
    max_cloud : float, optional
        Largest ``eo:cloud_cover`` (percent) to keep.
    platform : str, optional
        Keep only this platform (e.g. ``landsat-8``).
    retries, timeout : int, float
        HTTP retries and timeout (seconds) of each request.

    Returns
    -------
    list of pystac.Item
        Sorted by acquisition time; of several items on the same day (overlapping paths), the least
        cloudy is kept.

    Raises
    ------
    EmptySearch
        Nothing matched; the message names the query.
    DataUnavailable
        The API could not be reached after the retries.
    """
    collections = list(collections)
    if api_url.rstrip("/") == EARTH_SEARCH:
        if SENTINEL1 in collections:
            raise ValueError(
                "Earth Search serves Sentinel-1 only as GRD (uncalibrated), not RTC gamma0: "
                "use the Planetary Computer for Sentinel-1"
            )
        collections = [_EARTH_SEARCH_COLLECTIONS.get(c, c) for c in collections]
    query_text = (
        f"api={api_url} collections={collections} bbox={tuple(round(v, 5) for v in site.bbox())} "
        f"datetime={start}/{end} max_cloud={max_cloud} platform={platform}"
    )
    try:
        client = _client(api_url, retries, timeout)
        server_filters = client.conforms_to("QUERY") if hasattr(client, "conforms_to") else False
    except Exception as error:  # connection refused, DNS, timeouts, bad JSON ...
        raise DataUnavailable(f"STAC API unreachable ({type(error).__name__}: {error}) for {query_text}") from error
    query: dict[str, Any] = {}
    if max_cloud is not None and server_filters:
        query["eo:cloud_cover"] = {"lt": max_cloud}
    try:
        found = list(
            client.search(
                collections=collections,
                bbox=site.bbox(),
                datetime=f"{start}/{end}",
                query=query or None,
                max_items=None,
            ).items()
        )
    except Exception as error:
        raise DataUnavailable(f"STAC search failed ({type(error).__name__}: {error}) for {query_text}") from error
    if max_cloud is not None:  # always also on the client: servers without the query extension ignore it
        found = [
            i for i in found if i.properties.get("eo:cloud_cover") is None or i.properties["eo:cloud_cover"] < max_cloud
        ]
    cloud_of = lambda item: (
        item.properties.get("eo:cloud_cover") if item.properties.get("eo:cloud_cover") is not None else 100.0
    )
    if platform is not None:
        found = [i for i in found if i.properties.get("platform") == platform]
    best: dict[tuple[str, str], Any] = {}
    for item in found:
        key = (item.collection_id or "", _acquisition_day(item))
        if key not in best or cloud_of(item) < cloud_of(best[key]):
            best[key] = item
    items = sorted(best.values(), key=lambda i: (_acquisition_day(i), i.id))
    if not items:
        raise EmptySearch(f"STAC search found no item: {query_text}")
    return items


def _scaled(data: xr.DataArray, item_assets: list[dict]) -> xr.DataArray:
    """Apply ``raster:bands`` scale, offset and nodata of the asset (odc-stac leaves DN as they are)."""
    raster = (item_assets[0].get("raster:bands") or [{}])[0] if item_assets else {}
    scale, offset = float(raster.get("scale", 1.0)), float(raster.get("offset", 0.0))
    nodata = raster.get("nodata", data.attrs.get("nodata"))
    values = data.astype("float32")
    if nodata is not None:
        values = values.where(data != nodata)
    return values * scale + offset


def _asset_meta(items: list, key: str) -> list[dict]:
    return [item.assets[key].extra_fields for item in items if key in item.assets]


#: Asset headers opened at once by :func:`_check_assets` (each open is a few HTTP range requests, mostly waiting).
HEADER_THREADS = 16


def _open_header(href: str) -> Exception | None:
    """Open one asset's header with rasterio; the error, or None when it opens."""
    import rasterio

    try:
        with rasterio.open(href):
            return None
    except Exception as error:  # every failure is reported, with the asset that caused it
        return error


def _check_assets(items: list, keys: list[str]) -> None:
    """Open the header of every asset, so that a corrupt or missing file is named before any pixel is read.

    The headers open concurrently (:data:`HEADER_THREADS` at once: GDAL releases the GIL while it waits on
    the network); when several fail, the first in item and band order is the one reported.
    """
    for item in items:
        for key in keys:
            if key not in item.assets:
                raise DataUnavailable(f"Item {item.id!r} has no asset {key!r} (it has {sorted(item.assets)})")
    assets = [(item.id, key, item.assets[key].href) for item in items for key in keys]
    with ThreadPoolExecutor(max(1, min(HEADER_THREADS, len(assets)))) as pool:
        errors = list(pool.map(_open_header, [href for _, _, href in assets]))
    for (item_id, key, href), error in zip(assets, errors):
        if error is not None:
            raise DataUnavailable(
                f"Asset {key!r} of item {item_id!r} cannot be read from {href}: {type(error).__name__}: {error}"
            ) from error


def _load_collection(items: list, bands: list[str], site: Site, chunks: dict[str, int]) -> xr.Dataset:
    import odc.stac
    from odc.geo.geobox import GeoBox

    _check_assets(items, bands)

    # tight: keep the site's own edges (on Landsat's 30 k + 15 m grid) instead of snapping them to 30 k
    geobox = GeoBox.from_bbox(site.bounds_utm(), crs=f"EPSG:{site.epsg}", resolution=PIXEL_SIZE_M, tight=True)
    try:
        return odc.stac.load(items, bands=bands, geobox=geobox, chunks=chunks, groupby="solar_day", fail_on_error=True)
    except Exception as error:
        raise DataUnavailable(
            f"Reading the assets {bands} of {len(items)} items over {site.name!r} failed "
            f"({type(error).__name__}: {error})"
        ) from error


def load(
    items: Sequence,
    site: Site,
    resolution: float = 30.0,
    *,
    mask_clouds: bool = True,
    chunks: dict[str, int] | None = None,
    rain: pd.DataFrame | None = None,
    provenance: dict[str, Any] | None = None,
) -> xr.Dataset:
    """Load Landsat C2 L2 and Sentinel-1 RTC items over ``site`` into the study's layout (one site).

    Parameters
    ----------
    items : sequence of pystac.Item
        Landsat (``landsat-c2-l2``) and/or Sentinel-1 (``sentinel-1-rtc``) items, e.g. from :func:`search`.
    site : Site
        Where to load; its UTM zone and 30 m grid define the output grid.
    resolution : float
        Metres per pixel; the study's layout is 30 m.
    mask_clouds : bool
        Set reflectance to NaN where QA_PIXEL flags fill, dilated cloud, cirrus, cloud, shadow or snow.
    chunks : dict, optional
        Dask chunks (default one chunk per acquisition).
    rain : pandas.DataFrame, optional
        Daily ``precipitation_mm`` and ``temperature_c`` indexed by date (see :mod:`lslib.data.weather`);
        without it, weather variables are NaN.
    provenance : dict, optional
        Extra provenance (the API and the query) stored in ``attrs["provenance"]``.

    Returns
    -------
    xarray.Dataset
        Validated stack with one site (assembled by :func:`lslib.data.layout.assemble`); reflectance,
        QA, cloud fraction and SAR are dask-backed until computed.
    """
    if resolution != PIXEL_SIZE_M:
        raise ValueError(
            f"The study's layout is on a {PIXEL_SIZE_M:.0f} m grid; resolution={resolution} is not supported"
        )
    chunks = chunks or {"time": 1, "x": site.size, "y": site.size}
    landsat = [i for i in items if (i.collection_id or "").startswith("landsat")]
    sentinel = [i for i in items if (i.collection_id or "").startswith("sentinel-1")]
    if not landsat:
        raise DataUnavailable(f"No Landsat item to load over {site.name!r}")
    reflectance, qa, dates = _optical(landsat, site, chunks, mask_clouds)
    sar, sar_dates = _radar(sentinel, site, chunks)
    fraction = xr.apply_ufunc(
        cloud_fraction, qa, input_core_dims=[["y", "x"]], dask="parallelized", output_dtypes=[float]
    ).astype("float32")
    y_offsets, x_offsets = site_grid(site.size)
    on_grid = lambda a: _one_site(a.assign_coords(y=y_offsets, x=x_offsets))
    variables = {
        "reflectance": on_grid(reflectance).assign_attrs(units="1"),
        "qa_pixel": on_grid(qa),
        "cloud_fraction": _one_site(fraction).assign_attrs(units="1"),
        "sar": on_grid(sar).astype("float32").assign_attrs(units="dB"),
        "date": (("site", "time"), dates[None].astype("datetime64[ns]")),
        "sar_date": (("site", "sar_time"), sar_dates[None].astype("datetime64[ns]")),
    }
    weather = _weather(rain, dates)
    for name, units in (("rain_1d", "mm"), ("rain_7d", "mm"), ("rain_30d", "mm"), ("temperature", "degC")):
        variables[name] = (("site", "time"), weather[name][None].astype("float32"), {"units": units})
    variables["rain_daily"] = xr.DataArray(
        weather["daily"][None].astype("float32"),
        dims=("site", "day"),
        coords={"day": weather["days"]},
        attrs={"units": "mm/day"},
    )
    variables.update(_unacquired_maps(site.size))
    variables.update(_site_scalars(site, dates))
    coords = {"y": ("y", y_offsets, {"units": "m"}), "x": ("x", x_offsets, {"units": "m"})}
    collections = sorted({i.collection_id for i in items})
    record = {"collections": collections, "items": [i.id for i in items], **(provenance or {})}
    attrs = layout_attrs(
        "stac:" + ",".join(collections),
        json.dumps(record, default=str),
        title=f"Landsat 8 and Sentinel-1 over {site.name} (real, STAC)",
    )
    return assemble(variables, coords, attrs)


def _one_site(array: xr.DataArray) -> xr.DataArray:
    """``array`` on a new leading ``site`` dimension (coordinate ``[0]``), without the reader's coordinates
    (frame times, UTM x/y, ``spatial_ref``): the layout keeps dates as variables and offsets as x/y."""
    dropped = [c for c in array.coords if c not in array.dims or c in ("x", "y", "time", "sar_time")]
    return array.drop_vars(dropped, errors="ignore").expand_dims(site=[0])


def _optical(
    items: list, site: Site, chunks: dict[str, int], mask_clouds: bool
) -> tuple[xr.DataArray, xr.DataArray, np.ndarray]:
    """Landsat reflectance ``(time, band, y, x)`` (scaled, unitless; NaN where masked), QA_PIXEL
    ``(time, y, x)`` (uint16, fill = 1) and the acquisition dates (datetime64)."""
    optical = _load_collection(items, list(LANDSAT_BANDS) + ["qa_pixel"], site, chunks)
    bands = [_scaled(optical[b], _asset_meta(items, b)) for b in LANDSAT_BANDS]
    reflectance = xr.concat(bands, dim="band").assign_coords(band=list(LANDSAT_BANDS))
    reflectance = reflectance.transpose("time", "band", "y", "x")
    qa = optical["qa_pixel"]
    qa = qa.fillna(1).astype("uint16") if qa.dtype.kind == "f" else qa.astype("uint16")
    qa = qa.where(qa != 0, 1)  # nodata written as 0 by the reader means fill
    if mask_clouds:
        reflectance = reflectance.where(~xr.apply_ufunc(invalid_mask, qa, dask="allowed"))
    return reflectance, qa, optical["time"].values


def _radar(items: list, site: Site, chunks: dict[str, int]) -> tuple[xr.DataArray, np.ndarray]:
    """Sentinel-1 RTC backscatter ``(sar_time, pol, y, x)`` in dB (NaN where nodata or not positive) and
    its dates; without items, an empty ``sar_time`` dimension."""
    if not items:
        sar = xr.DataArray(
            np.full((0, 2, site.size, site.size), np.nan, np.float32),
            dims=("sar_time", "pol", "y", "x"),
            coords={"pol": list(SAR_POLS)},
        )
        return sar, np.array([], dtype="datetime64[ns]")
    radar = _load_collection(items, list(SAR_POLS), site, chunks)
    linear = xr.concat([_scaled(radar[p], _asset_meta(items, p)) for p in SAR_POLS], dim="pol")
    sar = 10.0 * np.log10(linear.where(linear > 0))
    sar = sar.assign_coords(pol=list(SAR_POLS)).transpose("time", "pol", "y", "x").rename(time="sar_time")
    return sar, sar["sar_time"].values


def _unacquired_maps(size: int) -> dict[str, tuple]:
    """DEM and slope (NaN: no DEM collection is loaded) and the scar mask (unknown: all False)."""
    nan_map = np.full((1, size, size), np.nan, np.float32)
    return {
        "dem": (("site", "y", "x"), nan_map, {"units": "m", "comment": "not acquired (no DEM collection loaded)"}),
        "slope": (("site", "y", "x"), nan_map.copy(), {"units": "degrees", "comment": "not acquired"}),
        "scar_mask": (
            ("site", "y", "x"),
            np.zeros((1, size, size), bool),
            {"comment": "unknown for catalogued events: all False"},
        ),
    }


def _site_scalars(site: Site, dates: np.ndarray) -> dict[str, tuple]:
    """The per-site variables: place, UTM zone and centre (m), and the labels (the reference time is the
    site's, else its event's, else the last frame's date)."""
    east, north = site.centre_utm
    event = np.datetime64(site.event_time, "ns") if site.event_time is not None else np.datetime64("NaT", "ns")
    reference = np.datetime64(site.reference_time or site.event_time or dates[-1], "ns")
    scalars = {
        "lat": (site.lat, "degrees_north"),
        "lon": (site.lon, "degrees_east"),
        "region": (site.region, None),
        "country": (site.country, None),
        "epsg": (site.epsg, None),
        "easting": (east, "m"),
        "northing": (north, "m"),
        "landslide": (site.event_time is not None, None),
        "event_time": (event, None),
        "reference_time": (reference, None),
        "cause": (int(site.cause), None),
    }
    return {
        name: (("site",), np.array([value]), {"units": units} if units else {})
        for name, (value, units) in scalars.items()
    }


def _weather(rain: pd.DataFrame | None, dates: np.ndarray) -> dict[str, np.ndarray]:
    if rain is None or rain.empty:
        days = pd.date_range(
            pd.Timestamp(dates[0]).normalize() - pd.Timedelta(days=30), pd.Timestamp(dates[-1]).normalize()
        )
        nan = np.full(len(dates), np.nan)
        return {
            "days": days.values,
            "daily": np.full(len(days), np.nan),
            "rain_1d": nan,
            "rain_7d": nan,
            "rain_30d": nan,
            "temperature": nan,
        }
    daily = rain["precipitation_mm"].astype(float)
    index = pd.DatetimeIndex(daily.index)
    on = pd.DatetimeIndex(pd.to_datetime(dates)).normalize()
    totals = {w: daily.rolling(w, min_periods=w).sum() for w in (1, 7, 30)}  # NaN until w days are known
    pick = lambda series: series.reindex(on).to_numpy(dtype=float)
    temperature = rain["temperature_c"].astype(float) if "temperature_c" in rain else pd.Series(np.nan, index=index)
    return {
        "days": index.values,
        "daily": daily.to_numpy(),
        "rain_1d": pick(totals[1]),
        "rain_7d": pick(totals[7]),
        "rain_30d": pick(totals[30]),
        "temperature": pick(temperature),
    }


@dataclass(frozen=True)
class Request:
    """One site and time window to acquire (:func:`acquire_many`), with its optional daily weather.

    Attributes
    ----------
    site : Site
        Where.
    start, end : str
        The window, ``YYYY-MM-DD``, both ends included.
    rain : pandas.DataFrame, optional
        Daily ``precipitation_mm`` and ``temperature_c`` (see :func:`load`).
    """

    site: Site
    start: str
    end: str
    rain: pd.DataFrame | None = None


def acquire(
    site: Site,
    start: str,
    end: str,
    *,
    api_url: str = PLANETARY_COMPUTER,
    max_cloud: float | None = None,
    platform: str | None = "landsat-8",
    sentinel1: bool = True,
    rain: pd.DataFrame | None = None,
    cache_dir: str = "data",
    scheduler: str | None = None,
) -> tuple[xr.Dataset, bool]:
    """Search, load and cache one site; the store is keyed by the query, so a second call makes no request.

    The one-request case of :func:`acquire_many`, whose parameters it takes (``scheduler`` included).

    Returns
    -------
    (stack, hit)
        The stored stack (lazily opened) and whether it came from the cache.
    """
    options = {"api_url": api_url, "max_cloud": max_cloud, "platform": platform, "sentinel1": sentinel1}
    return acquire_many([Request(site, start, end, rain)], **options, cache_dir=cache_dir, scheduler=scheduler)[0]


def _query(request: Request, api_url: str, max_cloud: float | None, platform: str | None, sentinel1: bool) -> dict:
    """What keys a request's store: the site, the window and the search (not the weather)."""
    site = request.site
    return {
        "site": site.name,
        "lat": site.lat,
        "lon": site.lon,
        "size": site.size,
        "start": request.start,
        "end": request.end,
        "api": api_url,
        "max_cloud": max_cloud,
        "platform": platform,
        "sentinel1": sentinel1,
    }


def _lazy_stack(request: Request, query: dict, api_url: str, max_cloud, platform, sentinel1: bool) -> xr.Dataset:
    """Search the items of one request and return its stack, dask-backed (nothing read yet)."""
    site, start, end = request.site, request.start, request.end
    items = search(site, start, end, [LANDSAT], api_url=api_url, max_cloud=max_cloud, platform=platform)
    if sentinel1 and api_url.rstrip("/") != EARTH_SEARCH:
        with contextlib.suppress(EmptySearch):  # Landsat alone still makes a stack; the SAR dimension is then empty
            items += search(site, start, end, [SENTINEL1], api_url=api_url)
    return load(items, site, rain=request.rain, provenance={"api": api_url, "query": query})


@contextlib.contextmanager
def _compute_on(scheduler: str | None):
    """A function that computes several lazy stacks at once: in one graph on the ``dask.distributed``
    cluster at ``scheduler`` (with GDAL configured on its workers by ``odc.stac.configure_rio``), or with
    this process's threads when ``scheduler`` is None."""
    import dask

    if scheduler is None:
        yield lambda lazies: list(dask.compute(*lazies))
        return
    import odc.stac
    from dask.distributed import Client  # optional dependency, needed only for a cluster

    with Client(scheduler) as client:
        odc.stac.configure_rio(cloud_defaults=True, client=client)
        yield lambda lazies: client.gather(client.compute(list(lazies)))


def acquire_many(
    requests: Sequence[Request],
    *,
    api_url: str = PLANETARY_COMPUTER,
    max_cloud: float | None = None,
    platform: str | None = "landsat-8",
    sentinel1: bool = True,
    cache_dir: str = "data",
    scheduler: str | None = None,
    skip_empty: bool = False,
) -> list[tuple[xr.Dataset, bool] | EmptySearch]:
    """Search, load and cache several sites, their pixels read concurrently.

    Each request's store is keyed by its query, so a request made before makes no request again. The
    searches run one after another (small JSON requests); then the pixels of every request not in the
    cache are read in one dask graph, so the reads of different events overlap.

    Parameters
    ----------
    requests : sequence of Request
        The sites and windows.
    api_url : str
        The STAC API.
    max_cloud : float, optional
        Largest scene cloud cover kept, in percent.
    platform : str, optional
        Landsat platform kept (``landsat-8``); None keeps every platform.
    sentinel1 : bool
        Also search Sentinel-1 RTC (not on Earth Search).
    cache_dir : str
        Folder of the Zarr stores.
    scheduler : str, optional
        A ``dask.distributed`` scheduler address (``tcp://host:8786``, a ``LocalCluster``'s
        ``scheduler_address``, a dask-jobqueue or Kubernetes cluster's): the pixels are then read by that
        cluster's workers, GDAL configured there by ``odc.stac.configure_rio(client=...)``. None reads them
        with this process's threads. The arrays are the same either way.
    skip_empty : bool
        A request whose search finds nothing gets its :class:`EmptySearch` in its place in the result,
        instead of raising it.

    Returns
    -------
    list of (stack, hit)
        Per request, in order: the stored stack (lazily opened) and whether it came from the cache. A
        stack's ``attrs["load_seconds"]`` is the time of the read it was part of (shared by the requests
        read together; ``attrs["loaded_together"]`` says how many).

    Raises
    ------
    EmptySearch
        A search found nothing (unless ``skip_empty``).
    """
    from lslib.data.store import cache_key, cached

    options = {"api_url": api_url, "max_cloud": max_cloud, "platform": platform, "sentinel1": sentinel1}
    queries = [_query(request, **options) for request in requests]
    names = [f"stac-{request.site.name}" for request in requests]
    missing = [
        i
        for i, (name, query) in enumerate(zip(names, queries))
        if not (Path(cache_dir) / f"{name}-{cache_key(query)}.zarr").is_dir()
    ]
    built: dict[int, xr.Dataset] = {}
    empty: dict[int, EmptySearch] = {}
    lazies = {}
    for i in missing:
        try:
            lazies[i] = _lazy_stack(requests[i], queries[i], **options)
        except EmptySearch as error:
            if not skip_empty:
                raise
            empty[i] = error
    missing = list(lazies)
    if missing:
        lazies = list(lazies.values())
        started = time.perf_counter()
        with _compute_on(scheduler) as compute:
            stacks = compute(lazies)
        seconds = round(time.perf_counter() - started, 3)
        for i, stack in zip(missing, stacks):
            stack.attrs.update(load_seconds=seconds, loaded_together=len(missing))
            built[i] = stack
    out = []
    for i, (name, query) in enumerate(zip(names, queries)):
        if i in empty:
            out.append(empty[i])
            continue
        stack, _, hit = cached(name, query, lambda i=i: built[i], cache_dir)
        out.append((stack, hit))
    return out


def stack_sites(stacks: Sequence[xr.Dataset]) -> xr.Dataset:
    """Join single-site stacks (each on its own dates and UTM zone) along ``site``.

    Sites with fewer frames are padded at the end: date NaT, QA fill (1), reflectance and SAR NaN.
    """
    if not stacks:
        raise ValueError("No stack to join")
    n_time = max(s.sizes["time"] for s in stacks)
    n_sar = max(s.sizes["sar_time"] for s in stacks)
    days = np.unique(np.concatenate([s["day"].values for s in stacks]))
    padded = []
    for stack in stacks:
        stack = stack.drop_vars(["time", "sar_time"], errors="ignore")
        stack = stack.pad(time=(0, n_time - stack.sizes["time"]), sar_time=(0, n_sar - stack.sizes["sar_time"]))
        stack["qa_pixel"] = stack["qa_pixel"].fillna(1).astype("uint16")
        stack = stack.reindex(day=days)
        padded.append(stack)
    joined = xr.concat(
        padded,
        dim="site",
        combine_attrs="drop_conflicts",
        data_vars="all",
        coords="minimal",
        compat="override",
        join="override",
    )
    joined = joined.assign_coords(site=np.arange(len(stacks)))
    joined["landslide"] = joined["landslide"].astype(bool)
    joined["scar_mask"] = joined["scar_mask"].astype(bool)
    joined["epsg"] = joined["epsg"].astype(int)
    joined["cause"] = joined["cause"].astype(int)
    joined.attrs.update(
        layout_attrs(stacks[0].attrs["source"], json.dumps([json.loads(s.attrs["provenance"]) for s in stacks]))
    )
    return validate(joined)


def showcase_events(glc, per_region: int = 1, since: str = "2014-01-01") -> list[int]:
    """Malin (event 6186) plus, per study region, the deadliest events located to 1 km since ``since``
    (Landsat 8 era), for chapter 1's real-imagery section."""
    chosen = [6186]
    recent = glc[(glc["date"] >= since) & (glc["location_accuracy_km"] <= 1.0)]
    for region in ("america", "china", "india"):
        candidates = recent[recent["region"] == region].sort_values(["fatalities", "date"], ascending=[False, True])
        chosen += [int(e) for e in candidates.index if int(e) not in chosen][:per_region]
    return chosen


def acquire_events(
    glc,
    event_ids: Sequence[int],
    *,
    api_url: str = PLANETARY_COMPUTER,
    weather_url: str | None = None,
    days_before: int = 365,
    days_after: int = 60,
    size: int = 32,
    cache_dir: str = "data",
    echo=print,
    progress: bool = True,
    scheduler: str | None = None,
) -> tuple[xr.Dataset, list[str]]:
    """Acquire Landsat 8 + Sentinel-1 (+ daily weather) around catalogued events and join them.

    Sites whose search finds nothing are skipped and reported; weather that cannot be had leaves
    the weather variables NaN. The events' pixels are read together (:func:`acquire_many`), on the
    ``dask.distributed`` cluster at ``scheduler`` when one is given. Returns the joined stack and the
    notes on what was skipped. A progress bar counts the events' weather and searches when ``progress``.
    """
    from lslib.data.rainfall import OPEN_METEO_ARCHIVE, daily_weather
    from lslib.data.sites import sites_from_events, time_window

    api_url = ENDPOINTS.get(api_url, api_url)
    stacks, notes = [], []
    sites = sites_from_events(glc, list(event_ids), size=size)
    if progress:
        from tqdm.auto import tqdm

        sites = tqdm(sites, desc="acquiring events", unit="event")
    requests = []
    for site in sites:
        start, end = time_window(site.event_time, days_before, days_after)
        rain = None
        try:  # 30 days more than the imagery, so the first frames have their antecedent totals
            weather_start = (pd.Timestamp(start) - pd.Timedelta(days=30)).strftime("%Y-%m-%d")
            rain = daily_weather(
                site.lat,
                site.lon,
                weather_start,
                end,
                url=weather_url or OPEN_METEO_ARCHIVE,
                cache_dir=f"{cache_dir}/weather",
            )
        except DataUnavailable as error:
            notes.append(f"{site.name}: no daily weather ({error})")
        requests.append(Request(site, start, end, rain))
    stacks = []
    acquired = acquire_many(requests, api_url=api_url, cache_dir=cache_dir, scheduler=scheduler, skip_empty=True)
    for request, result in zip(requests, acquired):
        if isinstance(result, EmptySearch):
            notes.append(f"{request.site.name}: skipped, {result}")
            continue
        stack, hit = result
        echo(
            f"{request.site.name} ({request.site.region}, {request.start} to {request.end}): {stack.sizes['time']} "
            f"Landsat and {stack.sizes['sar_time']} Sentinel-1 frames{' (cache)' if hit else ''}"
        )
        stacks.append(stack.load())
    if not stacks:
        raise DataUnavailable("No catalogued event could be acquired: " + "; ".join(notes))
    return stack_sites(stacks), notes
