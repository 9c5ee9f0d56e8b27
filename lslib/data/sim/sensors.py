"""Sensors: Landsat 8 OLI surface reflectance with clouds and QA bits, and Sentinel-1 C-band backscatter.

Stands in for: Landsat 8 Collection 2 Level-2 surface reflectance (bands blue..swir22, QA_PIXEL)
and Sentinel-1 IW GRD / RTC sigma0 (VV, VH) of a ~1 km site.

Breaks down: no atmospheric path radiance beyond clouds and shadows, no BRDF or view-angle
effects, a simple cosine hillshade, and speckle without spatial correlation; SAR has no layover or
radar shadow.

Texture: real 30 m scenes are smooth at the pixel scale (neighbouring pixels share canopy density,
soil moisture and brightness, and the sensor's point-spread function mixes pixels at cover edges).
:func:`surface_texture` draws, once per site, two Gaussian random fields with correlation length
:data:`TEXTURE_LENGTH_PX`: the rank of the spectrum each pixel takes from its cover's samples (ordered
by brightness, so neighbours take alike spectra while every sample keeps its share and the band means
stay those of the samples) and a canopy-density anomaly; :func:`surface_reflectance` then blurs the
scene with a Gaussian point-spread function of :data:`PSF_SIGMA_PX`. Chapter 1 compares the result with
real Landsat 8 patches (:mod:`lslib.data.texture`).

Spectra: green vegetation, urban and water are real Landsat 8 surface-reflectance samples shipped
by the ``spyndex`` package (``spyndex/data/spectral.json``); bare soil, fresh scar, mine spoil and
volcanic ash use the ranges of the Landsat table in the book's chapter 1 (SIMULATOR.md). Each
pixel takes one real sample, so spectra vary as much as the samples do.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

import numpy as np
from scipy import ndimage

from lslib.data.qa import encode_qa
from lslib.data.sim.landcover import Cover
from lslib.data.sim.terrain import fractal_noise

__all__ = [
    "spectral_library",
    "surface_reflectance",
    "surface_texture",
    "SurfaceTexture",
    "add_clouds",
    "sentinel1",
    "hillshade",
    "cloud_fraction_draw",
    "SAR_DB",
    "TEXTURE_LENGTH_PX",
    "PSF_SIGMA_PX",
    "DENSITY_SD",
]

_BANDS = ("SR_B2", "SR_B3", "SR_B4", "SR_B5", "SR_B6", "SR_B7")  # blue, green, red, nir08, swir16, swir22
# Means of the SIMULATOR.md Landsat table (blue, green, red, nir08, swir16, swir22)
_TABLE = {
    "soil": (0.085, 0.115, 0.150, 0.250, 0.320, 0.260),  # bare soil, duller than a fresh scar
    "scar": (0.100, 0.135, 0.200, 0.280, 0.350, 0.290),  # fresh scar and deposit
    "spoil": (0.110, 0.140, 0.190, 0.260, 0.360, 0.310),  # mine pit and spoil
    "ash": (0.060, 0.060, 0.060, 0.075, 0.090, 0.075),  # fresh volcanic ash (dark)
}
# Forest canopies are darker in the visible and brighter in the NIR than the average green sample.
_FOREST_SCALE = np.array([0.75, 0.80, 0.62, 1.22, 0.98, 0.80])
#: Sentinel-1 sigma0 (dB) per cover: (VV, VH) for dry conditions (SIMULATOR.md table mid-points).
SAR_DB = {
    Cover.FOREST: (-7.5, -13.5),
    Cover.CROPLAND: (-11.5, -18.5),
    Cover.BARE: (-16.0, -23.5),
    Cover.WATER: (-23.0, -28.5),
    Cover.URBAN: (-4.5, -10.0),
    Cover.ASH: (-17.0, -24.5),
    Cover.SCAR: (-14.5, -22.0),
    Cover.SPOIL: (-13.5, -21.0),
}
# dB per volumetric percent of soil moisture (bare soil 0.1-0.3; damped under canopy)
_MOISTURE_DB = {
    Cover.FOREST: 0.04,
    Cover.CROPLAND: 0.12,
    Cover.BARE: 0.2,
    Cover.SCAR: 0.2,
    Cover.SPOIL: 0.18,
    Cover.ASH: 0.15,
    Cover.URBAN: 0.02,
    Cover.WATER: 0.0,
}
ENL = 4.4  # equivalent number of looks of IW GRD
# The three texture constants were chosen on a development stack (seed 1, 90 sites) so that the median
# autocorrelation of simulated 32 x 32 px patches at lags 1, 2, 4 and 8 (0.86, 0.67, 0.41, 0.14) matches that of
# the real Landsat 8 Level-1 crops (0.85, 0.65, 0.41, 0.15); the book's numbers come from its own seed.
#: Correlation length (pixels of 30 m) of the within-cover fields (spectrum rank and canopy density).
TEXTURE_LENGTH_PX = 6.0
#: Standard deviation (pixels) of the Gaussian point-spread function applied to the surface: the effective
#: blur of Level-2 products, the optics and detector of OLI with the resampling onto the 30 m grid.
PSF_SIGMA_PX = 0.7
#: Standard deviation of the relative canopy-density anomaly (a fraction of the green cover).
DENSITY_SD = 0.12


@functools.lru_cache(maxsize=1)
def spectral_library() -> dict[str, np.ndarray]:
    """Samples of each endmember, shape ``(n_samples, 6)``, bands blue..swir22 (unitless reflectance)."""
    try:
        text = resources.files("spyndex").joinpath("data/spectral.json").read_text(encoding="utf-8")
    except ModuleNotFoundError as error:  # pragma: no cover - spyndex is a pinned dependency
        raise ImportError("lslib's simulator needs the spyndex package for real Landsat 8 spectra") from error
    data = json.loads(text)
    keys = sorted(data["class"], key=int)
    classes = np.array([data["class"][k] for k in keys])
    samples = np.array([[data[b][k] for b in _BANDS] for k in keys], dtype=float)
    library = {name.lower(): samples[classes == name] for name in ("Vegetation", "Urban", "Water")}
    rng = np.random.default_rng(20140730)
    for name, mean in _TABLE.items():
        mean = np.asarray(mean)
        library[name] = np.clip(
            mean * rng.normal(1.0, 0.08, size=(40, 1)) * rng.normal(1.0, 0.03, size=(40, 6)), 0.005, None
        )
    return library


def hillshade(
    slope_deg: np.ndarray, aspect_deg: np.ndarray, sun_elevation_deg: float = 55.0, sun_azimuth_deg: float = 135.0
) -> np.ndarray:
    """Illumination factor cos(incidence)/cos(sun zenith), clipped to [0.55, 1.35]."""
    zenith = np.radians(90.0 - sun_elevation_deg)
    slope = np.radians(slope_deg)
    incidence = np.cos(zenith) * np.cos(slope) + np.sin(zenith) * np.sin(slope) * np.cos(
        np.radians(sun_azimuth_deg - aspect_deg)
    )
    return np.clip(incidence / np.cos(zenith), 0.55, 1.35)


@dataclass(frozen=True)
class SurfaceTexture:
    """The within-cover structure of one site, fixed over its series.

    Attributes
    ----------
    rank : numpy.ndarray
        ``(H, W)`` in [0, 1): which of its cover's samples (ordered by brightness) a pixel takes.
    density : numpy.ndarray
        ``(H, W)``, relative canopy-density anomaly (mean 0, sd :data:`DENSITY_SD`).
    psf_sigma_px : float
        Point-spread function of the sensor, pixels.
    """

    rank: np.ndarray
    density: np.ndarray
    psf_sigma_px: float = PSF_SIGMA_PX


def _gaussian_field(shape: tuple[int, int], length_px: float, rng: np.random.Generator) -> np.ndarray:
    """A zero-mean, unit-variance Gaussian random field with correlation length ``length_px`` (periodic)."""
    field = rng.normal(size=shape)
    if length_px > 0:
        field = ndimage.gaussian_filter(field, length_px, mode="wrap")
    field -= field.mean()
    return field / (field.std() + 1e-12)


def surface_texture(
    shape: tuple[int, int],
    rng: np.random.Generator,
    length_px: float = TEXTURE_LENGTH_PX,
    density_sd: float = DENSITY_SD,
    psf_sigma_px: float = PSF_SIGMA_PX,
) -> SurfaceTexture:
    """Draw a site's :class:`SurfaceTexture`: two fields of correlation length ``length_px`` pixels
    (0 gives the salt-and-pepper of independent pixels)."""
    spectrum = _gaussian_field(shape, length_px, rng)
    rank = (spectrum.ravel().argsort().argsort() + 0.5) / spectrum.size
    density = density_sd * _gaussian_field(shape, length_px, rng)
    return SurfaceTexture(rank=rank.reshape(shape), density=density, psf_sigma_px=psf_sigma_px)


@functools.lru_cache(maxsize=1)
def _brightness_order() -> dict[str, np.ndarray]:
    """Each endmember's samples ordered from dark to bright (sum of the six bands)."""
    return {
        name: samples[np.argsort(samples.sum(axis=1), kind="stable")] for name, samples in spectral_library().items()
    }


def surface_reflectance(
    cover: np.ndarray, green: np.ndarray, texture: SurfaceTexture, illumination: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Cloud-free surface reflectance, shape ``(6, H, W)``.

    A pixel mixes a green-vegetation spectrum (its fraction ``green``, modulated by the texture's
    canopy density) with its cover's background (soil under crops and forest, scar, spoil, ash, urban
    or water), each taken from the cover's samples at the texture's rank; the scene is scaled by the
    illumination, blurred by the sensor's point-spread function, and gets sensor noise (sd 0.003) and
    Collection 2 quantisation (2.75e-5 per DN).
    """
    ordered = _brightness_order()
    pick = lambda name: ordered[name][(texture.rank * len(ordered[name])).astype(int)]  # (H, W, 6)
    vegetation = pick("vegetation")
    vegetation = np.where((cover == Cover.FOREST)[..., None], vegetation * _FOREST_SCALE, vegetation)
    background = pick("soil")
    for kind, name in (
        (Cover.SCAR, "scar"),
        (Cover.SPOIL, "spoil"),
        (Cover.ASH, "ash"),
        (Cover.URBAN, "urban"),
        (Cover.WATER, "water"),
    ):
        background = np.where((cover == kind)[..., None], pick(name), background)
    fraction = np.clip(green * (1.0 + texture.density), 0.0, 1.0)[..., None]
    mixed = fraction * vegetation + (1.0 - fraction) * background
    lit = np.where((cover == Cover.WATER)[..., None], mixed, mixed * illumination[..., None])
    if texture.psf_sigma_px > 0:
        lit = ndimage.gaussian_filter(lit, sigma=(texture.psf_sigma_px, texture.psf_sigma_px, 0), mode="nearest")
    noisy = lit + rng.normal(0.0, 0.003, size=lit.shape)
    quantised = np.round((noisy + 0.2) / 2.75e-5) * 2.75e-5 - 0.2
    return np.moveaxis(quantised, -1, 0)


def cloud_fraction_draw(month: int, region, rng: np.random.Generator) -> float:
    """Cloud fraction of one frame: clear, overcast or partly cloudy with the month's odds."""
    overcast, clear = region.overcast_prob[month - 1], region.clear_prob[month - 1]
    draw = rng.random()
    if draw < clear:
        return 0.0 if rng.random() < 0.6 else float(rng.uniform(0.0, 0.02))
    if draw < clear + overcast:
        return float(rng.uniform(0.85, 1.0))
    return float(rng.uniform(0.05, 0.85))


def add_clouds(
    surface: np.ndarray,
    fraction: float,
    water: np.ndarray,
    rng: np.random.Generator,
    shadow_shift: tuple[int, int] = (3, -3),
) -> tuple[np.ndarray, np.ndarray]:
    """Clouds and their shadows over a surface; returns (top-of-canopy reflectance, QA_PIXEL).

    Clouds are thresholded fractal noise (spectral exponent 4, close to the lag-1 spatial
    autocorrelation of real cloud masks at 30 m) with soft, thin edges flagged as cirrus; the
    pixels at or above the threshold, exactly ``fraction`` of the frame, are thick cloud. Shadows
    are the cloud mask shifted away from the sun and darkened. QA bits are set from the same masks.
    """
    shape = surface.shape[1:]
    if fraction <= 0.001:
        nothing = np.zeros(shape, bool)
        return surface, encode_qa(nothing, nothing, nothing, nothing, water)
    noise = fractal_noise(shape, 4.0, rng)
    threshold = np.quantile(noise, 1.0 - fraction) if fraction < 1.0 else noise.min() - 1.0
    alpha = np.clip(0.5 + (noise - threshold) / 0.5, 0.0, 1.0)
    cloud = noise >= threshold
    thin = (alpha > 0.08) & ~cloud
    brightness = rng.uniform(0.35, 0.75)
    spectrum = brightness * np.array([1.0, 1.0, 0.98, 0.97, 0.86, 0.72])[:, None, None]
    shadow = np.roll(cloud, shadow_shift, axis=(0, 1))
    shadow[: max(shadow_shift[0], 0), :] = False
    shadow &= ~cloud
    shaded = np.where(shadow[None], surface * 0.35, surface)
    top = (1.0 - alpha[None]) * shaded + alpha[None] * spectrum * (0.85 + 0.15 * alpha[None])
    dilated = ndimage.binary_dilation(cloud, iterations=1) & ~cloud
    qa = encode_qa(cloud, dilated & ~thin, thin, shadow & ~dilated & ~thin, water & ~cloud)
    return top, qa


def sentinel1(
    cover: np.ndarray,
    slope_deg: np.ndarray,
    aspect_deg: np.ndarray,
    soil_moisture_pct: float,
    texture_db: np.ndarray,
    rng: np.random.Generator,
    look_azimuth_deg: float = 80.0,
) -> np.ndarray:
    """Sigma0 (dB), shape ``(2, H, W)`` for (VV, VH), blind to clouds.

    Per-cover backscatter plus soil moisture (dB per volumetric percent above 20 %), a terrain term
    (slopes facing the sensor brighter by up to 4 dB), a static texture, and multiplicative
    Gamma speckle with ENL 4.4.
    """
    base = np.zeros((2, *cover.shape))
    moisture = np.zeros(cover.shape)
    for kind, (vv, vh) in SAR_DB.items():
        where = cover == kind
        base[0][where], base[1][where] = vv, vh
        moisture[where] = _MOISTURE_DB[kind]
    terrain = -4.0 * np.sin(np.radians(slope_deg)) * np.cos(np.radians(aspect_deg - look_azimuth_deg))
    terrain = np.where(cover == Cover.WATER, 0.0, terrain)
    db = base + (moisture * (soil_moisture_pct - 20.0) + terrain + texture_db)[None]
    linear = 10 ** (db / 10.0) * rng.gamma(ENL, 1.0 / ENL, size=db.shape)
    return np.clip(10.0 * np.log10(linear), -35.0, 5.0)
