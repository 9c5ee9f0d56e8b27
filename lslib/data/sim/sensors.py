"""Sensors: Landsat 8 OLI surface reflectance with clouds and CFMask-like QA bits, and Sentinel-1 C-band backscatter.

Stands in for: Landsat 8 Collection 2 Level-2 surface reflectance (bands blue..swir22, QA_PIXEL)
and Sentinel-1 IW radiometrically terrain-corrected gamma0 (VV, VH) of a ~1 km site.

Breaks down: no BRDF or view-angle effects; the atmospheric-correction residual is one gain and offset
per band and date (aerosols are smooth over 1 km); clouds are one layer with one height; the QA is a
statistical emulation of CFMask's errors, not CFMask (no thermal band, no snow); SAR has no layover,
radar shadow or spatially correlated speckle.

Texture: real 30 m scenes are smooth at the pixel scale (neighbouring pixels share canopy density,
soil moisture and brightness, and the sensor's point-spread function mixes pixels at cover edges).
:func:`surface_texture` draws, once per site, two Gaussian random fields with correlation length
:data:`TEXTURE_LENGTH_PX`: the rank of the spectrum each pixel takes from its cover's samples (ordered
by brightness, so neighbours take alike spectra while every sample keeps its share and the band means
stay those of the samples) and a canopy-density anomaly; :func:`surface_series` then blurs the
scene with a Gaussian point-spread function of :data:`PSF_SIGMA_PX`. Chapter 1 compares the result with
real Landsat 8 patches (:mod:`lslib.data.texture`).

Spectra: green vegetation, urban and water are real Landsat 8 surface-reflectance samples shipped
by the ``spyndex`` package (``spyndex/data/spectral.json``); bare soil, fresh scar, mine spoil and
volcanic ash use the ranges of the Landsat table in the book's chapter 1 (SIMULATOR.md). Each
pixel takes one real sample, so spectra vary as much as the samples do.

Radiometry, per acquisition: the sun of the date lights the terrain
(:func:`lslib.data.sim.illumination.illumination_factor`); the scene is sampled by the point-spread
function at a misregistered position (:func:`draw_misregistration`); Level-2 atmospheric correction
leaves a residual (:func:`draw_atmosphere`: additive path reflectance strongest in blue, with a small
gain); the sensor adds noise and the product is quantised.

Clouds, as Landsat sees them (:func:`draw_sky`, :func:`observe`, :func:`cfmask_qa`): opaque cumulus with
thin edges, sometimes a thin veil (cirrus or stratus), shadows cast away from the sun by the cloud height,
and a QA that misses thin cloud, sometimes flags bright soil and buildings, and places shadows from its
own cloud mask with an error in the cloud height, so shadows are sometimes missed. The true cloud and
shadow maps are kept (:func:`cloud_truth`, :func:`shadow_truth`) so that omission and commission can be
measured (:func:`lslib.data.qa.qa_error_rates`) against :data:`lslib.data.qa.CFMASK_OMISSION_RANGE` and
:data:`lslib.data.qa.CFMASK_COMMISSION_RANGE`.

Radar (:func:`sentinel1`): per-cover backscatter, soil-moisture brightening, what terrain flattening leaves
of the local incidence, a static texture and Gamma speckle; former forest cleared within a year keeps most of its VV
backscatter (debris and stumps) and loses more in VH (:func:`draw_clearcut`).

The functions work on a series of frames at once (first axis: frame): numpy's cost per call, not per pixel,
dominates 32 x 32 px frames, and a site renders in about a millisecond per frame.

References: Foga et al. (2017), Cloud detection algorithm comparison and validation for operational Landsat
data products, Remote Sensing of Environment 194, 379-390, doi:10.1016/j.rse.2017.03.026; Hughes and Kennedy
(2019), High-quality cloud masking of Landsat 8 imagery using convolutional neural networks, Remote Sensing
11(21), 2591, doi:10.3390/rs11212591; Storey, Choate and Lee (2014), Landsat 8 Operational Land Imager on-orbit
geometric calibration and performance, Remote Sensing 6(11), 11127-11152, doi:10.3390/rs61111127; Vermote et al.,
MODIS Land Surface Reflectance accuracy and uncertainty, http://modis-sr.ltdri.org/validation/accuracy_uncertainty.html;
Bouvet et al. (2018), Use of the SAR shadowing effect for deforestation detection with Sentinel-1 time series,
Remote Sensing 10(8), 1250, doi:10.3390/rs10081250; Small (2011), Flattening gamma: radiometric terrain
correction for SAR imagery, IEEE Transactions on Geoscience and Remote Sensing 49(8), 3081-3093,
doi:10.1109/TGRS.2011.2120616; Ulaby, Moore and Fung (1986), Microwave Remote Sensing: Active and Passive,
vol. III, Artech House; Bourbigot, Johnsen and Piantanida (2016), Sentinel-1 Product Definition,
S1-RS-MDA-52-7440, ESA.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

import numpy as np
from scipy import fft as sp_fft
from scipy import ndimage

from lslib.data.qa import encode_qa
from lslib.data.sim.landcover import Cover

__all__ = [
    "spectral_library",
    "surface_reflectance",
    "surface_series",
    "surface_texture",
    "SurfaceTexture",
    "Atmosphere",
    "draw_atmosphere",
    "draw_misregistration",
    "Sky",
    "draw_sky",
    "observe",
    "cloud_truth",
    "shadow_truth",
    "cfmask_qa",
    "cloud_fraction_draw",
    "ClearCut",
    "draw_clearcut",
    "sentinel1",
    "sar_terrain_db",
    "rtc_terrain_db",
    "RTC_RESIDUAL_SHARE",
    "sar_texture",
    "SAR_DB",
    "ENL",
    "CLEARCUT_VV_CONTRAST_DB_RANGE",
    "TEXTURE_LENGTH_PX",
    "PSF_SIGMA_PX",
    "DENSITY_SD",
    "NOISE_SD",
    "PATH_RESIDUAL",
    "TRANSMITTANCE_RESIDUAL",
    "AEROSOL_LOAD_SIGMA",
    "CALIBRATION_SD",
    "MISREGISTRATION_SD_PX",
    "THIN_CLOUD_MIN_ALPHA",
    "SHADOW_MIN_OPACITY",
    "SHADOW_LIGHT",
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
# The endmembers a pixel mixes, and the background each cover puts under its green fraction.
_ENDMEMBERS = ("vegetation", "soil", "scar", "spoil", "ash", "urban", "water")
_BACKGROUND = {
    Cover.FOREST: "soil",
    Cover.CROPLAND: "soil",
    Cover.BARE: "soil",
    Cover.WATER: "water",
    Cover.URBAN: "urban",
    Cover.ASH: "ash",
    Cover.SCAR: "scar",
    Cover.SPOIL: "spoil",
}
_BACKGROUND_INDEX = np.array([_ENDMEMBERS.index(_BACKGROUND[Cover(code)]) for code in range(len(Cover))])
_FOREST, _WATER = int(Cover.FOREST), int(Cover.WATER)  # plain ints: comparing arrays with an enum is slow

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
#: Sensor noise of each pixel, band and date, reflectance (drawn anew for every acquisition).
NOISE_SD = 0.003
_DN_SCALE, _DN_OFFSET = 2.75e-5, -0.2  # Collection 2 Level-2 reflectance = DN * scale + offset

# ---- radiometry: atmosphere and geometry ------------------------------------------------------------------
#: Residual path reflectance (blue..swir22) that an aerosol-retrieval error of typical size leaves in Level-2
#: surface reflectance: the MODIS surface-reflectance uncertainty for an aerosol optical depth of 0.1 (blue 0.006,
#: green and red 0.003, SWIR 0.003-0.002; Vermote's MODIS SR accuracy table, modis-sr.ltdri.org), with the NIR
#: error of vegetated pixels carried by :data:`TRANSMITTANCE_RESIDUAL` instead. Strongest in blue (haze).
PATH_RESIDUAL = np.array([0.006, 0.003, 0.003, 0.0015, 0.001, 0.0005])
#: Relative gain error of the same aerosol error (transmittance), so that the NIR of a forest (0.35) errs by
#: about 0.005-0.008 as in the same table.
TRANSMITTANCE_RESIDUAL = np.array([0.02, 0.018, 0.016, 0.015, 0.01, 0.008])
#: Spread of the date's aerosol load (lognormal sigma): hazy dates err more than clear ones.
AEROSOL_LOAD_SIGMA = 0.5
#: Date-to-date radiometric calibration noise of each band (relative gain), OLI is stable to well under 1 %.
CALIBRATION_SD = 0.004
#: Per-axis sd (30 m pixels) of the misregistration between dates: Landsat 8 OLI's multi-temporal
#: image-to-image registration requirement of 12 m at 90 % (LE90), which on-orbit tests met or bettered
#: (Storey, Choate and Lee 2014): 12 m / 1.645 / 30 m.
MISREGISTRATION_SD_PX = 12.0 / 1.645 / 30.0

# ---- clouds ------------------------------------------------------------------------------------------------
#: Opacity from which a layer is cloud in the truth: a layer adding about 0.04 or more to the visible reflectance
#: of dark land, visible to an analyst drawing the manual masks that CFMask was validated against (thick and thin
#: cloud of the L8 Biome masks, Foga et al. 2017). Thinner veils are haze: they brighten the visible bands and
#: neither the truth nor the QA calls them cloud.
THIN_CLOUD_MIN_ALPHA = 0.1
#: Opacity of the casting cloud from which a shadow is shadow in the truth (it darkens the NIR by a third).
SHADOW_MIN_OPACITY = 0.5
#: Share of the light a pixel keeps under the shadow of an opaque cloud, per band: the diffuse sky and light
#: scattered from the cloud sides, bluer than the direct beam.
SHADOW_LIGHT = np.array([0.45, 0.40, 0.36, 0.32, 0.30, 0.30])
_SHADOW_LOSS = (1.0 - SHADOW_LIGHT[:, None, None]).astype(np.float32)
_CLOUD_SPECTRUM = np.array([1.0, 1.0, 0.98, 0.97, 0.86, 0.72], np.float32)[:, None, None]  # flat, SWIR a little lower
_CLOUD_EDGE = 2.0  # width of the thin cloud edge, in sd of the cloud field
_CLOUD_HEIGHT_KM = (0.6, 3.0)  # base of the cloud layer (cumulus and stratocumulus)
_VEIL_PROB = 0.6  # frames with clouds that also carry a thin veil
_VEIL_OPACITY = (0.05, 0.5)  # peak opacity of the veil
_CIRRUS_PROB = 0.3  # share of veils that are high cirrus, seen by OLI's cirrus band
# CFMask emulation. The cloud test flags pixels whose visible reflectance exceeds a scene threshold (CFMask's
# dynamic threshold, drawn per frame) after a smooth detector error that stands for everything this simulator
# does not model (thermal test, cloud probability, scene statistics); it is felt only on bright pixels. The
# constants were set on mixed synthetic sites like those of tests/data/test_sensors.py so that omission (about 0.10),
# commission (about 0.03) and shadow omission (about 0.37) fall inside the cited ranges of lslib.data.qa.
_CLOUD_TEST = (0.16, 0.30)  # range of the per-frame threshold on mean visible reflectance
_DETECTOR_SD = 0.15  # sd of the smooth detector error on bright pixels, reflectance
_DOUBT_FROM, _DOUBT_RAMP = 0.07, 0.1  # the error grows from none at this visible reflectance to full over the ramp
_DILATION_PX = 1  # pixels by which CFMask grows the flagged cloud (the dilated-cloud bit)
_CIRRUS_TEST = 0.2  # veil opacity the cirrus band flags (high cirrus only)
_SHADOW_MATCH_PX = 1.0  # sd (pixels, per axis) of CFMask's shadow placement when its height match succeeds
_SHADOW_MATCH_FAIL = 0.15  # share of frames whose height match fails
_SHADOW_MISMATCH = (0.4, 1.6)  # range of the relative cloud height of a failed match
_SHADOW_DARKNESS = 0.8  # NIR below this share of the clear pixels' upper quartile passes the shadow test


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


@functools.lru_cache(maxsize=1)
def _brightness_order() -> dict[str, np.ndarray]:
    """Each endmember's samples ordered from dark to bright (sum of the six bands)."""
    return {
        name: samples[np.argsort(samples.sum(axis=1), kind="stable")] for name, samples in spectral_library().items()
    }


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

    @functools.cached_property
    def spectra(self) -> np.ndarray:
        """``(endmember * H * W, band)``: the sample of each endmember (those of ``_ENDMEMBERS``, then the forest
        canopy) every pixel takes at its rank, flattened so that one row index picks a pixel's endmember."""
        ordered = _brightness_order()
        picks = [ordered[name][(self.rank * len(ordered[name])).astype(int)] for name in _ENDMEMBERS]
        picks.append(picks[0] * _FOREST_SCALE)
        return np.stack(picks).reshape(-1, len(_BANDS)).astype(np.float32)


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


@functools.lru_cache(maxsize=16)
def _band_index(size: int, pad: int) -> np.ndarray:
    """Flat indices of the band ``[i, i : i + 2 pad + 1]`` of a ``(size, size + 2 pad)`` array."""
    rows = np.arange(size)[:, None]
    return (rows * (size + 2 * pad) + rows + np.arange(2 * pad + 1)[None, :]).ravel()


@functools.lru_cache(maxsize=256)
def _psf_matrix(size: int, sigma_px: float, shift_px: float) -> np.ndarray:
    """``(size, size)`` operator sampling a row of the scene through a Gaussian point-spread function of
    ``sigma_px`` centred ``shift_px`` pixels off each output pixel (edges repeat, as scipy's ``nearest``);
    with ``sigma_px`` 0 it interpolates linearly. With no shift it equals ``ndimage.gaussian_filter1d``."""
    radius = int(4.0 * sigma_px + 0.5)
    pad = radius + int(np.ceil(abs(shift_px))) + 1
    offsets = np.arange(-pad, pad + 1) - shift_px  # source pixel minus centre
    if sigma_px > 0:
        kernel = np.exp(-0.5 * (offsets / sigma_px) ** 2) * (np.abs(offsets) <= radius)
    else:
        kernel = np.maximum(1.0 - np.abs(offsets), 0.0)
    wide = np.zeros(size * (size + 2 * pad))
    wide[_band_index(size, pad)] = np.tile(kernel / kernel.sum(), size)
    wide = wide.reshape(size, size + 2 * pad)
    matrix = wide[:, pad : pad + size].copy()
    matrix[:, 0] += wide[:, :pad].sum(axis=1)
    matrix[:, -1] += wide[:, pad + size :].sum(axis=1)
    return matrix


def _mix(covers: np.ndarray, greens: np.ndarray, texture: SurfaceTexture) -> np.ndarray:
    """``(frame, band, H, W)``: each frame's green fraction (times the canopy density) of vegetation over each
    cover's background."""
    n_frames, n_pixels = len(covers), covers[0].size
    flat = covers.reshape(n_frames, n_pixels)
    pixels = np.arange(n_pixels)
    vegetation = np.take(texture.spectra, (flat == _FOREST) * (len(_ENDMEMBERS) * n_pixels) + pixels, axis=0)
    background = np.take(texture.spectra, _BACKGROUND_INDEX[flat] * n_pixels + pixels, axis=0)
    fraction = np.clip(greens * (1.0 + texture.density), 0.0, 1.0).astype(np.float32).reshape(n_frames, n_pixels, 1)
    mixed = background + fraction * (vegetation - background)  # (frame, pixel, band)
    return mixed.transpose(0, 2, 1).reshape(n_frames, len(_BANDS), *covers.shape[1:])


def surface_series(
    covers: np.ndarray,
    greens: np.ndarray,
    texture: SurfaceTexture,
    illumination: np.ndarray,
    rng: np.random.Generator,
    *,
    shifts_px: np.ndarray | None = None,
    atmosphere: Atmosphere | None = None,
) -> np.ndarray:
    """Cloud-free Level-2 surface reflectance of a series of acquisitions, ``(frame, 6, H, W)`` (unitless).

    A pixel mixes a green-vegetation spectrum (its fraction ``green``, modulated by the texture's
    canopy density) with its cover's background (soil under crops and forest, scar, spoil, ash, urban
    or water), each taken from the cover's samples at the texture's rank; the land (not water) is scaled
    by the illumination; the sensor samples it through its point-spread function at a position
    misregistered by ``shifts_px``; the atmospheric correction leaves each date's residual; the sensor adds
    noise (sd :data:`NOISE_SD`) and the product is quantised (2.75e-5 per DN).

    Parameters
    ----------
    covers, greens : numpy.ndarray
        ``(frame, H, W)`` :class:`~lslib.data.sim.landcover.Cover` codes and green-vegetation fractions.
    texture : SurfaceTexture
        The site's texture.
    illumination : numpy.ndarray
        ``(frame, H, W)`` or ``(frame, 6, H, W)`` irradiance relative to flat ground
        (:func:`lslib.data.sim.illumination.illumination_factor`).
    rng : numpy.random.Generator
        Stream of the sensor noise.
    shifts_px : numpy.ndarray or None
        ``(frame, 2)`` misregistration (rows, columns), pixels (:func:`draw_misregistration`); None for none.
    atmosphere : Atmosphere or None
        Residuals of each date's atmospheric correction, fields ``(frame, 6)`` (:func:`draw_atmosphere`).
    """
    lit = _mix(covers, greens, texture)
    light = np.asarray(illumination, dtype=np.float32)
    light = light if light.ndim == 4 else light[:, None]
    lit = np.where(covers[:, None] == _WATER, lit, lit * light)
    n_frames, _, rows, columns = lit.shape
    sigma = float(texture.psf_sigma_px)
    shifts = np.zeros((n_frames, 2)) if shifts_px is None else np.asarray(shifts_px, dtype=float)
    if sigma > 0 or shifts.any():
        along = np.stack([_psf_matrix(rows, sigma, float(shift)) for shift in shifts[:, 0]]).astype(np.float32)
        across = np.stack([_psf_matrix(columns, sigma, float(shift)) for shift in shifts[:, 1]]).astype(np.float32)
        lit = along[:, None] @ lit @ across.transpose(0, 2, 1)[:, None]
    if atmosphere is not None:
        gain, offset = (np.asarray(a, dtype=np.float32)[:, :, None, None] for a in (atmosphere.gain, atmosphere.offset))
        lit = lit * gain + offset
    noisy = lit + np.float32(NOISE_SD) * rng.standard_normal(size=lit.shape, dtype=np.float32)
    digital = np.rint(noisy * np.float32(1.0 / _DN_SCALE) - np.float32(_DN_OFFSET / _DN_SCALE))
    return digital * np.float32(_DN_SCALE) + np.float32(_DN_OFFSET)


def surface_reflectance(
    cover: np.ndarray,
    green: np.ndarray,
    texture: SurfaceTexture,
    illumination: np.ndarray,
    rng: np.random.Generator,
    *,
    shift_px: tuple[float, float] = (0.0, 0.0),
    atmosphere: Atmosphere | None = None,
) -> np.ndarray:
    """Cloud-free surface reflectance of one acquisition, ``(6, H, W)``: :func:`surface_series` of one frame.

    ``cover``, ``green`` are ``(H, W)``, ``illumination`` ``(H, W)`` or ``(6, H, W)``, ``shift_px`` a pair and
    ``atmosphere`` one date's (fields ``(6,)``); by default no misregistration and no atmospheric residual.
    """
    one = None if atmosphere is None else Atmosphere(offset=atmosphere.offset[None], gain=atmosphere.gain[None])
    return surface_series(
        cover[None], green[None], texture, illumination[None], rng, shifts_px=np.array([shift_px]), atmosphere=one
    )[0]


@dataclass(frozen=True)
class Atmosphere:
    """What Level-2 atmospheric correction leaves on each date: seen = ``gain`` * surface + ``offset``.

    Attributes
    ----------
    offset : numpy.ndarray
        ``(..., 6)`` residual path reflectance, blue..swir22 (positive on a hazy date: haze brightens blue most).
    gain : numpy.ndarray
        ``(..., 6)`` residual relative gain (transmittance and calibration), about 1.
    """

    offset: np.ndarray
    gain: np.ndarray


def draw_atmosphere(rng: np.random.Generator, n_frames: int | None = None) -> Atmosphere:
    """The atmospheric-correction residual of one date (fields ``(6,)``) or of ``n_frames`` dates (``(n, 6)``).

    An aerosol-retrieval error of typical size times the date's aerosol load (lognormal, sigma
    :data:`AEROSOL_LOAD_SIGMA`) leaves path reflectance :data:`PATH_RESIDUAL` (an underestimated aerosol load
    leaves haze: brighter blue) and an opposite gain error :data:`TRANSMITTANCE_RESIDUAL`; each band's gain
    also carries calibration noise (:data:`CALIBRATION_SD`).

    Examples
    --------
    >>> atmosphere = draw_atmosphere(np.random.default_rng(0), 3)
    >>> atmosphere.offset.shape, bool((np.abs(atmosphere.offset[:, 0]) >= np.abs(atmosphere.offset[:, -1])).all())
    ((3, 6), True)
    """
    shape = () if n_frames is None else (n_frames,)
    error = rng.normal(size=shape) * rng.lognormal(0.0, AEROSOL_LOAD_SIGMA, size=shape)
    error = np.asarray(error)[..., None]
    gain = 1.0 - error * TRANSMITTANCE_RESIDUAL + rng.normal(0.0, CALIBRATION_SD, size=(*shape, len(_BANDS)))
    return Atmosphere(offset=error * PATH_RESIDUAL, gain=gain)


def draw_misregistration(rng: np.random.Generator, n_frames: int) -> np.ndarray:
    """``(n_frames, 2)`` misregistration of each date (rows, columns), pixels: sd :data:`MISREGISTRATION_SD_PX`
    per axis, rounded to 1/20 pixel (1.5 m)."""
    return np.round(rng.normal(0.0, MISREGISTRATION_SD_PX, size=(n_frames, 2)) * 20.0) / 20.0


# ---- clouds --------------------------------------------------------------------------------------------------


def cloud_fraction_draw(month: int, region, rng: np.random.Generator) -> float:
    """Cloud fraction of one frame: clear, overcast or partly cloudy with the month's odds."""
    overcast, clear = region.overcast_prob[month - 1], region.clear_prob[month - 1]
    draw = rng.random()
    if draw < clear:
        return 0.0 if rng.random() < 0.6 else float(rng.uniform(0.0, 0.02))
    if draw < clear + overcast:
        return float(rng.uniform(0.85, 1.0))
    return float(rng.uniform(0.05, 0.85))


@functools.lru_cache(maxsize=8)
def _spectrum_amplitude(shape: tuple[int, int], beta: float) -> np.ndarray:
    """Amplitude spectrum proportional to 1/f^(beta/2), zero at f = 0, for a complex ``(H, W)`` FFT."""
    frequency = np.hypot(np.fft.fftfreq(shape[0])[:, None], np.fft.fftfreq(shape[1])[None, :])
    frequency[0, 0] = 1.0
    amplitude = frequency ** (-beta / 2.0)
    amplitude[0, 0] = 0.0
    return amplitude.astype(np.float32)


def _fractal_pairs(
    n_frames: int, shape: tuple[int, int], beta: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Two independent stacks ``(frame, H, W)`` of zero-mean, unit-variance periodic Gaussian fields with power
    spectrum 1/f^beta: the real and imaginary parts of the inverse FFT of filtered complex white noise."""
    noise = rng.standard_normal(size=(2, n_frames, *shape), dtype=np.float32)
    field = sp_fft.ifft2(_spectrum_amplitude(shape, beta) * (noise[0] + 1j * noise[1]), axes=(-2, -1))
    pair = []
    for part in (field.real, field.imag):  # zero mean by construction (no power at f = 0)
        pair.append(part / (np.sqrt((part**2).mean(axis=(-2, -1), keepdims=True)) + 1e-12))
    return pair[0], pair[1]


def _roll(fields: np.ndarray, shifts_px: np.ndarray) -> np.ndarray:
    """``(frame, H, W)`` fields, each moved by its whole-pixel shift ``(frame, 2)`` (periodic, as ``np.roll``:
    the cloud field tiles the sky)."""
    n_frames, rows, columns = fields.shape
    shifts = np.round(shifts_px).astype(int)
    along = (np.arange(rows)[None, :] - shifts[:, :1]) % rows
    across = (np.arange(columns)[None, :] - shifts[:, 1:]) % columns
    return fields[np.arange(n_frames)[:, None, None], along[:, :, None], across[:, None, :]]


@dataclass(frozen=True)
class Sky:
    """The clouds over a series of frames (maps ``(frame, H, W)``, scalars ``(frame,)``).

    Attributes
    ----------
    alpha : numpy.ndarray
        Opacity of the cloud layer in [0, 1]: opaque cumulus cores, their thin edges and any veil.
    veil : numpy.ndarray
        Opacity of the thin veil alone (0 where there is none).
    cast : numpy.ndarray
        Opacity of the cloud between each pixel and the sun: the strength of its shadow.
    brightness : numpy.ndarray
        Reflectance of the opaque cloud in blue.
    cirrus : numpy.ndarray
        Bool, whether the veil is high cirrus (seen by OLI's cirrus band).
    shadow_shift_px : numpy.ndarray
        ``(frame, 2)`` displacement of the shadows from their clouds (rows southward, columns eastward), pixels:
        away from the sun by the cloud height over the tangent of the sun elevation.
    """

    alpha: np.ndarray
    veil: np.ndarray
    cast: np.ndarray
    brightness: np.ndarray
    cirrus: np.ndarray
    shadow_shift_px: np.ndarray


def _shadow_shifts(height_km: np.ndarray, sun_elevation_deg: np.ndarray, sun_azimuth_deg: np.ndarray) -> np.ndarray:
    """``(frame, 2)`` rows and columns (30 m pixels, rows southward) from a cloud to its shadow."""
    distance = height_km * 1000.0 / np.tan(np.radians(np.maximum(sun_elevation_deg, 5.0))) / 30.0
    azimuth = np.radians(sun_azimuth_deg)
    return np.stack([distance * np.cos(azimuth), -distance * np.sin(azimuth)], axis=-1)


def draw_sky(
    fractions: np.ndarray,
    shape: tuple[int, int],
    sun_elevation_deg: np.ndarray,
    sun_azimuth_deg: np.ndarray,
    rng: np.random.Generator,
) -> Sky:
    """Clouds of a series of frames, one cloud fraction each (a frame with at most 0.001 has a clear sky).

    Cumulus is thresholded fractal noise (spectral exponent 4, close to the lag-1 spatial
    autocorrelation of real cloud masks at 30 m): exactly ``fraction`` of a frame is at least half
    opaque, with wide thin edges around. With probability 0.6 a thin veil (opacity up to 0.5; cirrus in
    three cases of ten, otherwise stratus) covers part of a cloudy frame. Shadows fall away from the sun,
    displaced by the cloud base height (0.6-3 km) over the tangent of the sun elevation.
    """
    fractions = np.asarray(fractions, dtype=float)
    n_frames, n_pixels = len(fractions), shape[0] * shape[1]
    cumulus, veil_field = _fractal_pairs(n_frames, shape, 4.0, rng)
    ordered = np.sort(cumulus.reshape(n_frames, n_pixels), axis=1)
    rank = np.clip(((1.0 - fractions) * n_pixels).astype(int), 0, n_pixels - 1)
    threshold = np.where(fractions < 1.0, ordered[np.arange(n_frames), rank], ordered[:, 0] - 1.0)
    cloudy = (fractions > 0.001)[:, None, None]
    alpha = cloudy * np.clip(0.5 + (cumulus - threshold[:, None, None]) / _CLOUD_EDGE, 0.0, 1.0)
    veiled = cloudy[:, 0, 0] & (rng.random(n_frames) < _VEIL_PROB)
    opacity = veiled * rng.uniform(*_VEIL_OPACITY, size=n_frames)
    veil = opacity[:, None, None] * np.clip(veil_field - rng.uniform(-1.0, 1.0, size=(n_frames, 1, 1)), 0.0, 1.0)
    alpha = (1.0 - (1.0 - alpha) * (1.0 - veil)).astype(np.float32)
    brightness = rng.uniform(0.35, 0.75, size=n_frames).astype(np.float32)
    cirrus = rng.random(n_frames) < _CIRRUS_PROB
    shifts = _shadow_shifts(rng.uniform(*_CLOUD_HEIGHT_KM, size=n_frames), sun_elevation_deg, sun_azimuth_deg)
    return Sky(alpha, veil.astype(np.float32), _roll(alpha, shifts), brightness, cirrus, shifts)


def observe(surface: np.ndarray, sky: Sky) -> np.ndarray:
    """Top-of-canopy reflectance ``(frame, 6, H, W)`` under ``sky``: shadows darken the surface (keeping
    :data:`SHADOW_LIGHT` under an opaque cloud), and the cloud layer mixes in its own reflectance."""
    shade = 1.0 - sky.cast[:, None] * _SHADOW_LOSS
    alpha = sky.alpha[:, None]
    cloud = (sky.brightness[:, None, None, None] * _CLOUD_SPECTRUM) * (0.85 + 0.15 * alpha)
    return (1.0 - alpha) * (surface * shade) + alpha * cloud


def cloud_truth(sky: Sky) -> np.ndarray:
    """``(frame, H, W)`` bool: cloud, thick or thin (opacity at least :data:`THIN_CLOUD_MIN_ALPHA`)."""
    return sky.alpha >= THIN_CLOUD_MIN_ALPHA


def shadow_truth(sky: Sky) -> np.ndarray:
    """``(frame, H, W)`` bool: cloud shadow (casting opacity at least :data:`SHADOW_MIN_OPACITY`) not under cloud."""
    return (sky.cast >= SHADOW_MIN_OPACITY) & ~cloud_truth(sky)


def _dilate(mask: np.ndarray) -> np.ndarray:
    """``(frame, H, W)`` masks grown by one pixel in the eight directions (a 3 x 3 square, by rows then columns)."""
    grown = mask.copy()
    grown[..., 1:] |= mask[..., :-1]
    grown[..., :-1] |= mask[..., 1:]
    wide = grown.copy()
    wide[..., 1:, :] |= grown[..., :-1, :]
    wide[..., :-1, :] |= grown[..., 1:, :]
    return wide


def _upper_quartile(values: np.ndarray, where: np.ndarray) -> np.ndarray:
    """``(frame,)`` upper quartile of each frame's ``values`` ``(frame, H, W)`` over ``where`` (all pixels of a
    frame where it has none)."""
    where = where | ~where.any(axis=(-2, -1), keepdims=True)
    flat = np.where(where, values, -np.inf).reshape(len(values), -1)
    count = where.reshape(len(values), -1).sum(axis=1)
    flat.sort(axis=1)
    return flat[np.arange(len(values)), flat.shape[1] - count + (3 * (count - 1)) // 4]


def cfmask_qa(top: np.ndarray, water: np.ndarray, sky: Sky, rng: np.random.Generator) -> np.ndarray:
    """QA_PIXEL ``(frame, H, W)`` (uint16) of observed frames ``(frame, 6, H, W)``, with CFMask's kinds of error.

    * Cloud: mean visible reflectance plus a smooth detector error above a per-frame threshold (CFMask's
      scene-dependent threshold). Opaque cloud passes; thin cloud over dark land often does not (omission);
      bright soil, spoil, scars and buildings sometimes do (commission), clouds or not. Flagged cloud is
      dilated by one pixel (the dilated-cloud bit).
    * Cirrus: a high cirrus veil of opacity at least 0.2 (OLI's cirrus band sees it over any ground).
    * Shadow: the flagged cloud projected along the sun azimuth to the cloud height that best matches dark
      pixels, as CFMask does; the match errs by about a pixel and fails on 15 % of frames (a wrong height), and
      only pixels whose NIR is dark are kept. Shadows of missed clouds and of mismatched heights are missed.
    """
    n_frames, shape = len(top), top.shape[2:]
    detector, _ = _fractal_pairs(n_frames, shape, 3.0, rng)
    threshold = rng.uniform(*_CLOUD_TEST, size=(n_frames, 1, 1))
    visible = top[:, :3].mean(axis=1)
    doubt = np.clip((visible - _DOUBT_FROM) / _DOUBT_RAMP, 0.0, 1.0)  # dark ground is never taken for cloud
    cloud = visible + _DETECTOR_SD * doubt * detector >= threshold
    grown = cloud
    for _ in range(_DILATION_PX):
        grown = _dilate(grown)
    dilated = grown & ~cloud
    cirrus = sky.cirrus[:, None, None] & (sky.veil >= _CIRRUS_TEST) & ~cloud
    height = np.where(rng.random(n_frames) < _SHADOW_MATCH_FAIL, rng.uniform(*_SHADOW_MISMATCH, n_frames), 1.0)
    shifts = height[:, None] * sky.shadow_shift_px + rng.normal(0.0, _SHADOW_MATCH_PX, size=(n_frames, 2))
    flagged = cloud | dilated | cirrus
    reference = _upper_quartile(top[:, 3], ~(flagged | water))
    shadow = _roll(cloud, shifts) & ~flagged & (top[:, 3] < _SHADOW_DARKNESS * reference[:, None, None])
    return encode_qa(cloud, dilated & ~cirrus, cirrus, shadow, water & ~cloud)


# ---- Sentinel-1 --------------------------------------------------------------------------------------------

#: Sentinel-1 sigma0 (dB) per cover: (VV, VH) for dry conditions (SIMULATOR.md table mid-points).
SAR_DB = {
    Cover.FOREST: (-7.5, -13.5),
    Cover.CROPLAND: (-11.5, -18.5),
    Cover.BARE: (-16.0, -23.5),
    Cover.WATER: (-23.0, -28.5),
    Cover.URBAN: (-4.5, -10.0),
    Cover.ASH: (-17.0, -24.5),
    Cover.SCAR: (-12.5, -20.5),  # fresh scar: rough soil and rock, brighter than smooth bare soil
    Cover.SPOIL: (-13.5, -21.0),
}
# dB per volumetric percent of soil moisture above 20 %: bare soil 0.1-0.3 (SIMULATOR.md; Ulaby, Moore and Fung
# 1986), damped under canopy and debris.
_MOISTURE_DB = {
    Cover.FOREST: 0.04,
    Cover.CROPLAND: 0.12,
    Cover.BARE: 0.25,
    Cover.SCAR: 0.22,
    Cover.SPOIL: 0.2,
    Cover.ASH: 0.15,
    Cover.URBAN: 0.02,
    Cover.WATER: 0.0,
}
_SAR_TABLE = np.array([SAR_DB[Cover(code)] for code in range(len(Cover))], np.float32)  # (cover, pol)
_MOISTURE_TABLE = np.array([_MOISTURE_DB[Cover(code)] for code in range(len(Cover))], np.float32)
_CLEARCUT_MOISTURE_DB = 0.12  # cleared ground under debris: between canopy and bare soil
#: Range of the VV contrast, clear-cut minus forest (dB), of C-band clear-cuts within a year of the cut: small and
#: of either sign (debris, stumps and wet soil keep the backscatter up), so that C-band deforestation detection
#: needs other cues (SIMULATOR.md; Bouvet et al. 2018). The simulator draws each site's offset inside it.
CLEARCUT_VV_CONTRAST_DB_RANGE = (-3.0, 3.0)
_CLEARCUT_VV_DB = (-1.0, 1.5)  # mean and sd of a site's VV offset from forest, clipped to the range above
_CLEARCUT_VH_DB = (-3.5, 1.0)  # mean and sd of its VH offset: cross-polarised volume scattering is lost
_CLEARCUT_VH_LIMITS_DB = (-6.0, -1.0)
#: Equivalent number of looks of IW GRD high-resolution products (Sentinel-1 Product Definition).
ENL = 4.4
_INCIDENCE_DEG = 39.0  # mid-swath incidence of IW (29-46 degrees)
_LOOK_AZIMUTH_DEG = 78.0  # right-looking ascending pass (heading about 348 degrees)
_TEXTURE_DB = 0.8  # sd of the static per-pixel texture


@dataclass(frozen=True)
class ClearCut:
    """Backscatter of one site's clearings relative to its forest (debris, stumps, exposed soil), dB.

    Attributes
    ----------
    vv_db, vh_db : float
        Offset of VV and of VH from the forest's sigma0.
    """

    vv_db: float
    vh_db: float


def draw_clearcut(rng: np.random.Generator) -> ClearCut:
    """A site's clear-cut offsets: VV about -1 dB (sd 1.5, kept in :data:`CLEARCUT_VV_CONTRAST_DB_RANGE`), VH
    about -3.5 dB (sd 1, kept in -6 to -1 dB)."""
    vv = np.clip(rng.normal(*_CLEARCUT_VV_DB), *CLEARCUT_VV_CONTRAST_DB_RANGE)
    vh = np.clip(rng.normal(*_CLEARCUT_VH_DB), *_CLEARCUT_VH_LIMITS_DB)
    return ClearCut(vv_db=float(vv), vh_db=float(vh))


def sar_terrain_db(slope_deg: np.ndarray, aspect_deg: np.ndarray) -> np.ndarray:
    """Brightening (dB) of sloped ground in Sentinel-1 sigma0, same shape as the maps.

    The area a range cell sees, sin(theta) / sin(theta_local) (the normalisation radiometric terrain
    correction undoes; Small 2011), times a cosine law of the local incidence angle theta_local, for a
    right-looking ascending pass at 39 degrees incidence: slopes facing the sensor are brighter, slopes
    facing away darker (a few dB on 20-degree slopes); no layover or radar shadow.

    Examples
    --------
    >>> towards, away = sar_terrain_db(np.array([20.0, 20.0]), np.array([258.0, 78.0]))
    >>> bool(towards > 2 > 0 > -2 > away), float(sar_terrain_db(np.array(0.0), np.array(0.0)))
    (True, 0.0)
    """
    theta = np.radians(_INCIDENCE_DEG)
    slope = np.radians(slope_deg)
    facing = np.cos(np.radians(aspect_deg - _LOOK_AZIMUTH_DEG))
    local = np.arccos(np.clip(np.cos(theta) * np.cos(slope) - np.sin(theta) * np.sin(slope) * facing, -1.0, 1.0))
    local = np.clip(local, np.radians(8.0), np.radians(85.0))
    return 10.0 * np.log10(np.sin(theta) * np.cos(local) / (np.sin(local) * np.cos(theta)))


#: Share of the sloped-ground modulation (:func:`sar_terrain_db`) left in radiometrically terrain-flattened
#: gamma0, the product the study reads for real sites (Planetary Computer's ``sentinel-1-rtc``). Flattening with a
#: 30 m DEM removes most of it (Small 2011); what stays (about +-0.6 dB on 20-degree slopes here) stands for the
#: DEM's errors and the scattering's own dependence on the local incidence angle.
RTC_RESIDUAL_SHARE = 0.2


def rtc_terrain_db(slope_deg: np.ndarray, aspect_deg: np.ndarray) -> np.ndarray:
    """Terrain modulation (dB) left in terrain-flattened gamma0: :data:`RTC_RESIDUAL_SHARE` of
    :func:`sar_terrain_db`.

    Examples
    --------
    >>> towards, away = rtc_terrain_db(np.array([20.0, 20.0]), np.array([258.0, 78.0]))
    >>> bool(1 > towards > 0 > away > -1)
    True
    """
    return RTC_RESIDUAL_SHARE * sar_terrain_db(slope_deg, aspect_deg)


def sentinel1(
    covers: np.ndarray,
    terrain_db: np.ndarray,
    soil_moisture_pct: np.ndarray,
    cleared: np.ndarray,
    clearcut: ClearCut,
    texture_db: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Backscatter (dB) of a series of frames, ``(frame, 2, H, W)`` for (VV, VH), blind to clouds.

    Per-cover backscatter (:data:`SAR_DB`; clearings take the forest's plus the site's :class:`ClearCut`),
    soil moisture (dB per volumetric percent above 20 %), the terrain's brightening (not on water), a static
    texture, and multiplicative Gamma speckle with :data:`ENL` looks.

    Parameters
    ----------
    covers, cleared : numpy.ndarray
        ``(frame, H, W)`` cover codes, and former forest cleared within about a year.
    terrain_db : numpy.ndarray
        ``(frame, H, W)`` terrain brightening, dB (:func:`rtc_terrain_db` for the terrain-flattened gamma0 the
        simulator renders, :func:`sar_terrain_db` for sigma0).
    soil_moisture_pct : numpy.ndarray
        ``(frame,)`` volumetric soil moisture, percent.
    clearcut : ClearCut
        The site's clear-cut offsets.
    texture_db : numpy.ndarray
        ``(H, W)`` static texture, dB (:func:`sar_texture`).
    rng : numpy.random.Generator
        Stream of the speckle.
    """
    wetness = np.asarray(soil_moisture_pct, dtype=np.float32)[:, None, None] - np.float32(20.0)
    moisture = np.where(cleared, np.float32(_CLEARCUT_MOISTURE_DB), _MOISTURE_TABLE[covers])
    common = moisture * wetness + np.where(covers == _WATER, np.float32(0.0), terrain_db.astype(np.float32))
    common += texture_db.astype(np.float32)
    speckle = rng.standard_gamma(ENL, size=(len(covers), 2, *covers.shape[1:]), dtype=np.float32)
    db = np.float32(10.0) * np.log10(speckle / np.float32(ENL))  # multiplicative speckle, mean 1, shape ENL
    for pol, offset in enumerate((clearcut.vv_db, clearcut.vh_db)):
        db[:, pol] += np.where(cleared, np.float32(_SAR_TABLE[_FOREST, pol] + offset), _SAR_TABLE[covers, pol])
        db[:, pol] += common
    return np.clip(db, -35.0, 5.0, out=db)


def sar_texture(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Static per-pixel texture of the backscatter, dB (sd 0.8)."""
    return rng.normal(0.0, _TEXTURE_DB, size=shape)
