"""The one xarray layout every data source of the study produces (simulator, STAC, mirror files).

A *stack* is an :class:`xarray.Dataset` over sites. Each site is a small square of ``size x size``
pixels on a 30 m grid in its own UTM zone; Landsat 8 and Sentinel-1 acquisitions are irregular in
time and differ between sites, so frames are indexed (``time``, ``sar_time``) and their dates are
per-site variables.

Dimensions
    ``site``, ``time`` (Landsat frames), ``band`` (``blue, green, red, nir08, swir16, swir22``,
    the Collection 2 Level-2 asset keys), ``y``, ``x`` (pixel centres, metres from the site centre,
    30 m apart, ``y`` decreasing northwards-first like a raster), ``sar_time`` (Sentinel-1 frames),
    ``pol`` (``vv, vh``) and ``day`` (the daily weather calendar).

Variables (units in ``attrs["units"]``)
    ``reflectance (site, time, band, y, x)``
        Surface reflectance, unitless, as Landsat C2 L2 after scale and offset.
    ``qa_pixel (site, time, y, x)``, uint16
        Landsat C2 QA bits: 0 fill, 1 dilated cloud, 2 cirrus, 3 cloud, 4 cloud shadow, 5 snow,
        6 clear, 7 water; 8-15 two-bit confidences.
    ``date (site, time)``, ``sar_date (site, sar_time)``
        Acquisition dates (datetime64).
    ``cloud_fraction (site, time)``
        Fraction of the frame flagged cloud or cloud shadow in ``qa_pixel``.
    ``rain_1d, rain_7d, rain_30d (site, time)``, mm
        Rain in the 1, 7 and 30 days up to and including the acquisition day.
    ``temperature (site, time)``, degrees C
        Daily mean air temperature on the acquisition day.
    ``sar (site, sar_time, pol, y, x)``, dB
        Sentinel-1 backscatter sigma0 (or gamma0 for RTC products).
    ``rain_daily (site, day)``, mm/day
        The daily rain series the antecedent totals come from (``day`` holds the dates).
    ``dem (site, y, x)``, m and ``slope (site, y, x)``, degrees
        Static terrain.
    ``lat, lon (site)``, degrees; ``region, country (site)``; ``epsg (site)``;
    ``easting, northing (site)``, m
        Where each site is: its UTM zone (EPSG code) and centre in that zone.
    ``landslide (site)``, bool; ``event_time (site)``; ``reference_time (site)``;
    ``cause (site)``, int; ``scar_mask (site, y, x)``, bool
        Labels. ``cause`` indexes :class:`lslib.causes.Cause` (``thriving_forest`` for sites
        without a slide, -1 for a real event whose catalogued trigger maps to no cause).
        ``reference_time`` is the event time of a slide and a matched date for sites without one,
        so forecasting windows can end before it for both.

Oracle variables (``attrs["role"] == "oracle"``, e.g. ``fs_min``) are kept for analysis and are
never model inputs; :func:`model_inputs` lists what a model may read.

Sources write their stacks through :func:`lslib.data.layout.assemble`, which checks them with
:func:`validate` before handing them on.

Examples
--------
>>> utm_epsg(19.162, 73.6873)  # Malin, India: UTM zone 43 north
32643
>>> utm_epsg(-33.9, 18.4)
32734
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import xarray as xr

from lslib.causes import N_CAUSES
from lslib.errors import LslibError

__all__ = [
    "SchemaError",
    "LANDSAT_BANDS",
    "SAR_POLS",
    "PIXEL_SIZE_M",
    "SCHEMA_VERSION",
    "QA_BITS",
    "validate",
    "utm_epsg",
    "site_grid",
    "georeference",
    "model_inputs",
]

SCHEMA_VERSION = "1"
LANDSAT_BANDS: tuple[str, ...] = ("blue", "green", "red", "nir08", "swir16", "swir22")
SAR_POLS: tuple[str, ...] = ("vv", "vh")
PIXEL_SIZE_M = 30.0
#: Landsat Collection 2 QA_PIXEL single-bit flags.
QA_BITS = {"fill": 0, "dilated_cloud": 1, "cirrus": 2, "cloud": 3, "cloud_shadow": 4, "snow": 5, "clear": 6, "water": 7}


class SchemaError(LslibError, ValueError):
    """A dataset does not follow the study's layout; the message names what is wrong."""


# name -> (dims, dtype kind(s), units or None)
_VARIABLES: dict[str, tuple[tuple[str, ...], str, str | None]] = {
    "reflectance": (("site", "time", "band", "y", "x"), "f", "1"),
    "qa_pixel": (("site", "time", "y", "x"), "u", None),
    "date": (("site", "time"), "M", None),
    "cloud_fraction": (("site", "time"), "f", "1"),
    "rain_1d": (("site", "time"), "f", "mm"),
    "rain_7d": (("site", "time"), "f", "mm"),
    "rain_30d": (("site", "time"), "f", "mm"),
    "temperature": (("site", "time"), "f", "degC"),
    "sar": (("site", "sar_time", "pol", "y", "x"), "f", "dB"),
    "sar_date": (("site", "sar_time"), "M", None),
    "rain_daily": (("site", "day"), "f", "mm/day"),
    "dem": (("site", "y", "x"), "f", "m"),
    "slope": (("site", "y", "x"), "f", "degrees"),
    "lat": (("site",), "f", "degrees_north"),
    "lon": (("site",), "f", "degrees_east"),
    "region": (("site",), "UO", None),
    "country": (("site",), "UO", None),
    "epsg": (("site",), "iu", None),
    "easting": (("site",), "f", "m"),
    "northing": (("site",), "f", "m"),
    "landslide": (("site",), "b", None),
    "event_time": (("site",), "M", None),
    "reference_time": (("site",), "M", None),
    "cause": (("site",), "iu", None),
    "scar_mask": (("site", "y", "x"), "b", None),
}
_REQUIRED_ATTRS = ("source", "provenance", "schema_version")


def _problem(problems: list[str], text: str) -> None:
    problems.append(text)


def validate(ds: xr.Dataset) -> xr.Dataset:
    """Check that ``ds`` follows the study's layout; return it unchanged.

    Raises
    ------
    SchemaError
        Listing every problem found: missing or misshapen variables, wrong dtypes or units,
        unknown bands, QA values that are not uint16, labels out of range, missing attributes.

    Examples
    --------
    >>> validate(xr.Dataset())
    Traceback (most recent call last):
    ...
    lslib.data.schema.SchemaError: Dataset does not follow the lslib layout: missing variables ...
    """
    problems: list[str] = []
    missing = [name for name in _VARIABLES if name not in ds.variables]
    if missing:
        present = sorted(str(v) for v in ds.data_vars)
        _problem(problems, f"missing variables {missing} (present: {present})")
    for name, (dims, kinds, units) in _VARIABLES.items():
        if name not in ds.variables:
            continue
        variable = ds[name]
        if tuple(variable.dims) != dims:
            _problem(problems, f"{name!r} has dims {tuple(variable.dims)}, expected {dims}")
        if variable.dtype.kind not in kinds:
            _problem(problems, f"{name!r} has dtype {variable.dtype}, expected kind {kinds!r}")
        if units is not None and variable.attrs.get("units") != units:
            _problem(problems, f"{name!r} has units {variable.attrs.get('units')!r}, expected {units!r}")
    if "band" in ds.coords and tuple(ds["band"].values.tolist()) != LANDSAT_BANDS:
        _problem(problems, f"band coordinate is {tuple(ds['band'].values.tolist())}, expected {LANDSAT_BANDS}")
    if "pol" in ds.coords and tuple(ds["pol"].values.tolist()) != SAR_POLS:
        _problem(problems, f"pol coordinate is {tuple(ds['pol'].values.tolist())}, expected {SAR_POLS}")
    if "qa_pixel" in ds.variables and ds["qa_pixel"].dtype != np.uint16:
        _problem(problems, f"'qa_pixel' must be uint16, got {ds['qa_pixel'].dtype}")
    for axis in ("x", "y"):
        if axis in ds.coords and ds.sizes.get(axis, 0) > 1:
            steps = np.unique(np.round(np.abs(np.diff(ds[axis].values)), 6))
            if steps.tolist() != [PIXEL_SIZE_M]:
                _problem(problems, f"{axis} spacing is {steps.tolist()} m, expected {PIXEL_SIZE_M} m")
    if "cause" in ds.variables and ds["cause"].size:
        values = np.asarray(ds["cause"].values)
        if values.min() < -1 or values.max() >= N_CAUSES:
            _problem(problems, f"'cause' holds values outside -1..{N_CAUSES - 1} (-1: unknown)")
    if "epsg" in ds.variables and ds["epsg"].size:
        epsg = np.asarray(ds["epsg"].values)
        if not np.all(((epsg > 32600) & (epsg <= 32660)) | ((epsg > 32700) & (epsg <= 32760))):
            _problem(problems, "'epsg' must hold WGS 84 / UTM codes (326zz or 327zz)")
    for attr in _REQUIRED_ATTRS:
        if attr not in ds.attrs:
            _problem(problems, f"attribute {attr!r} is missing")
    if problems:
        raise SchemaError("Dataset does not follow the lslib layout: " + "; ".join(problems))
    return ds


def utm_epsg(lat: float, lon: float) -> int:
    """EPSG code of the WGS 84 / UTM zone holding (lat, lon), in degrees.

    Raises
    ------
    ValueError
        When the coordinates are not degrees (e.g. metres passed by mistake).
    """
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError(f"lat={lat}, lon={lon} are not degrees (latitude in [-90, 90], longitude in [-180, 180])")
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


def site_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre offsets (y, x) in metres from the site centre, 30 m apart, y decreasing.

    Examples
    --------
    >>> y, x = site_grid(4)
    >>> x.tolist(), y.tolist()
    ([-45.0, -15.0, 15.0, 45.0], [45.0, 15.0, -15.0, -45.0])
    """
    offsets = (np.arange(size) - (size - 1) / 2.0) * PIXEL_SIZE_M
    return offsets[::-1].copy(), offsets


def georeference(site: xr.Dataset) -> xr.Dataset:
    """One site (``stack.isel(site=i)``) on absolute UTM coordinates with a CRS rioxarray reads.

    Examples
    --------
    >>> import rioxarray  # noqa: F401
    >>> y, x = site_grid(2)
    >>> one = xr.Dataset({"dem": (("y", "x"), np.zeros((2, 2)))}, coords={"y": y, "x": x})
    >>> one = one.assign(epsg=32643, easting=300000.0, northing=2120000.0)
    >>> georeference(one).rio.crs.to_epsg(), float(georeference(one).x[0])
    (32643, 299985.0)
    """
    import rioxarray  # noqa: F401  (registers the .rio accessor)

    if "site" in site.dims:
        raise ValueError("georeference() takes one site: use stack.isel(site=i)")
    epsg = int(site["epsg"])
    placed = site.assign_coords(
        x=site["x"].values + float(site["easting"]), y=site["y"].values + float(site["northing"])
    )
    placed["x"].attrs.update(units="m", standard_name="projection_x_coordinate")
    placed["y"].attrs.update(units="m", standard_name="projection_y_coordinate")
    return placed.rio.write_crs(f"EPSG:{epsg}")


def model_inputs(ds: xr.Dataset) -> list[str]:
    """Variables a model may read: everything but labels and oracle variables."""
    labels = {"landslide", "event_time", "reference_time", "cause", "scar_mask"}
    return [
        str(name)
        for name, variable in ds.data_vars.items()
        if name not in labels and variable.attrs.get("role") != "oracle"
    ]


def require(ds: xr.Dataset, names: Iterable[str]) -> None:
    """Raise :class:`SchemaError` naming any of ``names`` that ``ds`` lacks."""
    missing = [n for n in names if n not in ds.variables]
    if missing:
        raise SchemaError(f"Dataset lacks {missing}; it has {sorted(str(v) for v in ds.variables)}")
