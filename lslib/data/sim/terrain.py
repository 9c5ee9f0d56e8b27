"""Terrain: fractal DEMs with regional landforms, slope, aspect, wetness and steepest-descent paths.

Stands in for: a 30 m DEM (SRTM or Copernicus GLO-30) of a ~1 km hillslope. The DEM is a
fractional Brownian surface (power spectrum ~ 1/f^beta) added to a regional landform: an escarpment
(Western Ghats), a V-shaped valley (Sichuan) or a coastal ridge and swale (US west).

Breaks down: no drainage network is carved, so valleys are not hydrologically connected beyond the
site; soil depth follows slope only.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from lslib.data.schema import PIXEL_SIZE_M

__all__ = ["fractal_noise", "make_dem", "slope_aspect", "topographic_wetness", "steepest_descent_path", "MIN_SIZE"]

#: The smallest patch (pixels per side) the terrain model supports: landforms need room to show.
MIN_SIZE = 16


def fractal_noise(shape: tuple[int, int], beta: float, rng: np.random.Generator) -> np.ndarray:
    """Zero-mean, unit-variance fractal noise with power spectrum proportional to 1/f^beta.

    Examples
    --------
    >>> field = fractal_noise((32, 32), 3.0, np.random.default_rng(0))
    >>> round(float(field.std()), 6), field.shape
    (1.0, (32, 32))
    """
    rows, cols = shape
    fy = np.fft.fftfreq(rows)[:, None]
    fx = np.fft.rfftfreq(cols)[None, :]
    frequency = np.sqrt(fx**2 + fy**2)
    frequency[0, 0] = 1.0
    amplitude = frequency ** (-beta / 2.0)
    amplitude[0, 0] = 0.0
    phase = rng.uniform(0, 2 * np.pi, size=amplitude.shape)
    spectrum = amplitude * np.exp(1j * phase)
    field = np.fft.irfft2(spectrum, s=shape)
    field -= field.mean()
    return field / (field.std() + 1e-12)


def make_dem(
    size: int, landform: str, relief_m: float, base_elevation_m: float, rng: np.random.Generator
) -> np.ndarray:
    """A DEM (metres) of ``size x size`` pixels at 30 m with the region's landform.

    The landform sets the mean slope (tens of degrees); fractal noise adds hollows and spurs.
    """
    if size < MIN_SIZE:
        raise ValueError(f"size={size} px is smaller than the terrain model needs ({MIN_SIZE} px)")
    coords = (np.arange(size) - (size - 1) / 2.0) / size  # -0.5 .. 0.5 across the site
    yy, xx = np.meshgrid(coords, coords, indexing="ij")
    angle = rng.uniform(0, 2 * np.pi)
    along = np.cos(angle) * xx + np.sin(angle) * yy  # the downslope direction of the hillslope
    across = -np.sin(angle) * xx + np.cos(angle) * yy
    if landform == "escarpment":  # plateau edge: a steep scarp between a high and a low bench
        width = rng.uniform(0.25, 0.45)
        form = -np.tanh(along / width) * 0.5 - 0.35 * along
    elif landform == "valley":  # V-shaped valley with a longitudinal gradient
        form = np.abs(across + 0.1 * np.sin(4 * along)) * 1.2 - 0.25 * along
    elif landform == "coastal_range":  # a ridge falling to the coast with swales
        form = -along * 0.8 + 0.08 * np.cos(6 * np.pi * across)
    else:
        raise ValueError(f"Unknown landform {landform!r}")
    form = (form - form.min()) / (np.ptp(form) + 1e-12)
    noise = fractal_noise((size, size), beta=3.2, rng=rng)
    extent_m = size * PIXEL_SIZE_M
    dem = base_elevation_m + relief_m * (extent_m / 960.0) * (form + 0.12 * noise)
    return dem.astype(np.float64)


def slope_aspect(dem: np.ndarray, pixel_m: float = PIXEL_SIZE_M) -> tuple[np.ndarray, np.ndarray]:
    """Slope (degrees) and aspect (degrees clockwise from north, the downslope direction).

    Rows run from north to south, columns from west to east.

    Examples
    --------
    >>> ramp = np.tile(np.arange(5.0) * 30.0, (5, 1))  # rises 30 m per 30 m pixel eastwards
    >>> slope, aspect = slope_aspect(ramp)
    >>> round(float(slope[2, 2]), 3), round(float(aspect[2, 2]), 1)
    (45.0, 270.0)
    """
    d_row, d_col = np.gradient(dem, pixel_m)
    d_north = -d_row  # elevation gain per metre northwards
    d_east = d_col
    slope = np.degrees(np.arctan(np.hypot(d_north, d_east)))
    aspect = (np.degrees(np.arctan2(-d_east, -d_north)) + 360.0) % 360.0  # direction of steepest descent
    return slope, aspect


def topographic_wetness(dem: np.ndarray) -> np.ndarray:
    """A 0.3-1 wetness factor: higher in hollows and low positions where water converges.

    A cheap stand-in for the topographic wetness index: local concavity (smoothed minus actual
    elevation) plus relative height in the site.
    """
    smooth = ndimage.gaussian_filter(dem, sigma=2.0, mode="nearest")
    concavity = smooth - dem
    concavity = (concavity - concavity.mean()) / (concavity.std() + 1e-9)
    relative_height = (dem - dem.min()) / (np.ptp(dem) + 1e-9)
    score = 0.5 * np.tanh(concavity) + (0.5 - relative_height)
    return np.clip(0.65 + 0.35 * score, 0.3, 1.0)


_STEPS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def steepest_descent_path(
    dem: np.ndarray, start: tuple[int, int], stop_slope_deg: float, max_steps: int = 200
) -> list[tuple[int, int]]:
    """Cells visited from ``start`` following the steepest downhill neighbour (D8).

    The path stops at a pit, at the edge of the patch, or once the slope to the next cell falls
    below ``stop_slope_deg`` (the runout has reached gentle ground).

    Examples
    --------
    >>> ramp = np.tile(np.arange(6.0)[::-1] * 30.0, (3, 1))  # falls eastwards at 45 degrees
    >>> steepest_descent_path(ramp, (1, 0), stop_slope_deg=10)
    [(1, 0), (1, 1), (1, 2), (1, 3), (1, 4), (1, 5)]
    """
    rows, cols = dem.shape
    path = [start]
    r, c = start
    for _ in range(max_steps):
        best, best_drop = None, 0.0
        for dr, dc in _STEPS:
            nr, nc = r + dr, c + dc
            if 0 <= nr < rows and 0 <= nc < cols:
                distance = PIXEL_SIZE_M * (1.4142 if dr and dc else 1.0)
                gradient = (dem[r, c] - dem[nr, nc]) / distance
                if gradient > best_drop:
                    best, best_drop = (nr, nc), gradient
        if best is None or np.degrees(np.arctan(best_drop)) < stop_slope_deg:
            break
        r, c = best
        path.append(best)
    return path
