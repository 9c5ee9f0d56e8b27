"""Where slides start on the slope: the per-pixel frequency of slide initiation in slope bins.

Real shallow landslides start mostly on slopes of 25-45 degrees and rarely below about 15-20 degrees
(SIMULATOR.md, slope stability). :func:`slope_frequency` counts, over the land pixels of every site of a
stack, how many pixels fall into each slope bin and how many of them are slide-initiation cells
(``initiation_mask``), so a chapter can check that the simulator puts its slides where real ones start.
:func:`band_share` reads the share of initiation cells (and of all pixels) inside a band of slope from that
table.

Examples
--------
>>> import xarray as xr
>>> stack = xr.Dataset(
...     {
...         "slope": (("site", "y", "x"), np.array([[[10.0, 30.0], [30.0, 50.0]]])),
...         "initiation_mask": (("site", "y", "x"), np.array([[[False, True], [False, True]]])),
...     }
... )
>>> table = slope_frequency(stack, bin_edges=np.array([0.0, 25.0, 45.0, 60.0]))
>>> table[["slope_low_deg", "pixels", "initiation_pixels", "initiation_per_1000"]]
   slope_low_deg  pixels  initiation_pixels  initiation_per_1000
0            0.0       1                  0                  0.0
1           25.0       2                  1                500.0
2           45.0       1                  1               1000.0
>>> band_share(table, 25.0, 45.0)
{'initiation_share': 0.5, 'pixel_share': 0.5}
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["SLOPE_BIN_EDGES_DEG", "WATER_BIT", "land_mask", "slope_frequency", "band_share"]

#: Default slope bins (degrees): 0-60 in steps of 5.
SLOPE_BIN_EDGES_DEG = np.arange(0.0, 62.5, 5.0)
#: The QA_PIXEL bit that calls a pixel water (:mod:`lslib.data.qa`).
WATER_BIT = 7


def land_mask(stack: xr.Dataset) -> np.ndarray:
    """``(site, y, x)`` bool: pixels with a finite slope that the QA never calls water.

    A pixel whose ``qa_pixel`` water bit (:data:`WATER_BIT`) is set on any frame (a lake, a river, a
    reservoir that floods during the record) is not land. Without ``qa_pixel`` every pixel with a finite
    slope is land.

    Parameters
    ----------
    stack : xarray.Dataset
        Needs ``slope (site, y, x)``; ``qa_pixel (site, time, y, x)`` is used when present.

    Returns
    -------
    numpy.ndarray
        ``(site, y, x)`` bool.
    """
    slope = stack["slope"].transpose("site", "y", "x").values
    land = np.isfinite(slope)
    if "qa_pixel" in stack:
        qa = stack["qa_pixel"].transpose("site", "time", "y", "x").values.astype(np.uint32)
        land &= ~(((qa >> WATER_BIT) & 1) != 0).any(axis=1)
    return land


def slope_frequency(stack: xr.Dataset, bin_edges: np.ndarray = SLOPE_BIN_EDGES_DEG) -> pd.DataFrame:
    """Per slope bin, the land pixels of all sites and the share of them that are slide-initiation cells.

    Pixels of every site are pooled, those without a slide included, so ``initiation_per_1000`` is the
    chance that a land pixel of the stack on that slope started a slide. Bins are half-open,
    ``[low, high)``, except the last, which holds its upper edge (as :func:`numpy.histogram`). Pixels
    outside the edges are counted in no bin but in the totals of ``attrs``, which the share columns divide
    by.

    Parameters
    ----------
    stack : xarray.Dataset
        Needs ``slope (site, y, x)`` in degrees and ``initiation_mask (site, y, x)`` (bool); land is
        :func:`land_mask`.
    bin_edges : numpy.ndarray
        Increasing slope bin edges in degrees (default :data:`SLOPE_BIN_EDGES_DEG`, 0-60 by 5).

    Returns
    -------
    pandas.DataFrame
        One row per bin: ``slope_low_deg``, ``slope_high_deg``, ``pixels`` (land pixels),
        ``initiation_pixels``, ``initiation_per_1000`` (initiation cells per 1000 land pixels, NaN for an
        empty bin), ``pixel_share`` and ``initiation_share`` (of all land pixels and of all land initiation
        cells). ``attrs`` holds ``land_pixels``, ``initiation_total``, ``pixels_outside`` and
        ``initiation_outside`` (land pixels outside the edges) and the stack's ``source``.

    Raises
    ------
    KeyError
        If ``slope`` or ``initiation_mask`` is missing (the message lists what the stack has).
    ValueError
        If ``bin_edges`` is not a strictly increasing sequence of at least two finite edges.
    """
    missing = [name for name in ("slope", "initiation_mask") if name not in stack]
    if missing:
        raise KeyError(f"slope_frequency needs {missing}; the stack has {sorted(map(str, stack.data_vars))}")
    edges = np.asarray(bin_edges, dtype=float)
    if edges.ndim != 1 or len(edges) < 2 or not np.isfinite(edges).all() or (np.diff(edges) <= 0).any():
        raise ValueError(f"bin_edges must be at least two finite, strictly increasing edges, got {bin_edges!r}")
    slope = stack["slope"].transpose("site", "y", "x").values.astype(float)
    initiation = stack["initiation_mask"].transpose("site", "y", "x").values.astype(bool)
    land = land_mask(stack)
    pixels, _ = np.histogram(slope[land], bins=edges)
    started, _ = np.histogram(slope[land & initiation], bins=edges)
    n_land, n_started = int(land.sum()), int((land & initiation).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        per_1000 = np.where(pixels > 0, 1000.0 * started / pixels, np.nan)
    table = pd.DataFrame(
        {
            "slope_low_deg": edges[:-1],
            "slope_high_deg": edges[1:],
            "pixels": pixels.astype(np.int64),
            "initiation_pixels": started.astype(np.int64),
            "initiation_per_1000": per_1000,
            "pixel_share": pixels / n_land if n_land else np.full(len(pixels), np.nan),
            "initiation_share": started / n_started if n_started else np.full(len(started), np.nan),
        }
    )
    table.attrs.update(
        land_pixels=n_land,
        initiation_total=n_started,
        pixels_outside=n_land - int(pixels.sum()),
        initiation_outside=n_started - int(started.sum()),
        source=str(stack.attrs.get("source", "")),
    )
    return table


def band_share(table: pd.DataFrame, low_deg: float = 25.0, high_deg: float = 45.0) -> dict[str, float]:
    """Share of the initiation cells, and of all land pixels, on slopes from ``low_deg`` to ``high_deg``.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`slope_frequency`.
    low_deg, high_deg : float
        The band in degrees; both must be bin edges of ``table``.

    Returns
    -------
    dict
        ``{"initiation_share": float, "pixel_share": float}``, shares of all land initiation cells and of all
        land pixels (those outside the bins included).

    Raises
    ------
    ValueError
        If ``low_deg`` or ``high_deg`` is not an edge of the table's bins.
    """
    edges = np.append(table["slope_low_deg"].to_numpy(), table["slope_high_deg"].to_numpy()[-1])
    for edge in (low_deg, high_deg):
        if not np.isclose(edges, edge).any():
            raise ValueError(f"{edge} degrees is not a bin edge of the table; its edges are {edges.tolist()}")
    inside = (table["slope_low_deg"] >= low_deg - 1e-9) & (table["slope_high_deg"] <= high_deg + 1e-9)
    return {
        "initiation_share": float(table.loc[inside, "initiation_share"].sum()),
        "pixel_share": float(table.loc[inside, "pixel_share"].sum()),
    }
