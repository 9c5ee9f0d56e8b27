"""The simulated regions: where sites lie, and the climate, terrain and land use that make them differ.

Each region is a set of real landslide-prone areas (site centres are drawn around them) with its own
rain and temperature climatology, cloudiness by month, vegetation calendar, terrain style, soil and
the frequency of each land-change scenario. The differences are the domain shift chapter 6 measures.

Sources of the numbers (see also the book's chapter 1 and ``shared/design/SIMULATOR.md``):

* India: monthly rain is the IMD normal of Pune district (Jan..Dec, mm); the Western Ghats monsoon
  runs June-September; NDVI is lowest in April-May and peaks after the monsoon.
* America: Big Sur / Pacific coast ranges, a Mediterranean climate (wet winters, dry summers).
* China: Sichuan and Gansu, a summer monsoon with steep, deeply incised valleys.
* Scenario frequencies: about half the sites of a region are undisturbed (forest, or forest and
  farmland), and the rest carry one disturbance history each. The disturbances are oversampled on
  purpose: the real NASA GLC is about 97 % rain-triggered, which would leave too few examples of the
  other causes to learn from. Their order follows the GLC per region where it has signal (earthquakes
  matter in China, volcanoes exist only in the American Cascades, so America carries all volcanic
  sites); chapter 1 reports simulated and catalogued cause shares side by side.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lslib.causes import Cause

__all__ = ["Region", "REGIONS", "REGIONS_FILE", "get_region", "load_regions"]


@dataclass(frozen=True)
class Region:
    """Parameters of one simulated region.

    Attributes
    ----------
    name, country : str
        Region key (``america``, ``china``, ``india``) and the country its sites are in.
    centres : tuple of (lat, lon, place)
        Real landslide-prone areas; sites are drawn within ``spread_deg`` of them.
    rain_mm : tuple of 12 floats
        Monthly rain climatology, mm per month.
    wet_day_prob : tuple of 12 floats
        Probability that a day of that month has rain.
    temperature_c : (mean, amplitude, peak day of year)
        Seasonal cycle of daily mean temperature, degrees C.
    overcast_prob, clear_prob : tuple of 12 floats
        Per-month probability that a Landsat frame is overcast (cloud fraction > 0.85) or clear
        (< 0.03); other frames are partly cloudy.
    green_peak_doy : int
        Day of year of peak vegetation vigour.
    relief : (low, high)
        Range of the terrain relief scale, metres over the site, before the regional landform.
    landform : str
        ``escarpment`` (Western Ghats), ``valley`` (Sichuan), ``coastal_range`` (US west).
    friction_deg, soil_cohesion_kpa : (low, high)
        Ranges of the residual soil friction angle and soil cohesion.
    forest_root_cohesion_kpa : (low, high)
        Root cohesion of forest, kPa.
    scenario_weights : dict
        Relative frequency of each scenario (cause key -> weight).
    storm_mm : (low, high)
        Total rain of an extreme multi-day storm, mm (drawn log-uniformly).
    storm_rate_per_year : float
        Extreme storms per year, falling in the wet months (:func:`lslib.data.sim.weather.climate_storms`).
    forest_green : (low, high)
        Green-vegetation fraction of forest at the lowest and highest vigour of the year.
    """

    name: str
    country: str
    centres: tuple[tuple[float, float, str], ...]
    rain_mm: tuple[float, ...]
    wet_day_prob: tuple[float, ...]
    temperature_c: tuple[float, float, int]
    overcast_prob: tuple[float, ...]
    clear_prob: tuple[float, ...]
    green_peak_doy: int
    relief: tuple[float, float]
    landform: str
    friction_deg: tuple[float, float]
    soil_cohesion_kpa: tuple[float, float]
    forest_root_cohesion_kpa: tuple[float, float]
    scenario_weights: dict[str, float] = field(default_factory=dict)
    storm_mm: tuple[float, float] = (150.0, 400.0)
    storm_rate_per_year: float = 1.2
    forest_green: tuple[float, float] = (0.8, 0.95)
    spread_deg: float = 0.4


REGIONS_FILE = Path(__file__).with_name("regions.toml")


def _as_tuples(value: Any) -> Any:
    """TOML arrays as the tuples :class:`Region` declares (nested arrays too)."""
    if isinstance(value, list):
        return tuple(_as_tuples(item) for item in value)
    return value


def load_regions(path: Path = REGIONS_FILE) -> dict[str, Region]:
    """The regions of a TOML file, one table per region (the book's are in ``regions.toml``).

    Parameters
    ----------
    path : pathlib.Path
        A TOML file whose tables are regions; a table's keys are :class:`Region` fields (``name`` is the
        table's name) and a field left out takes its default.

    Returns
    -------
    dict of str to Region
        In the file's order.

    Examples
    --------
    >>> sorted(load_regions())
    ['america', 'china', 'india']
    """
    with open(path, "rb") as file:
        tables = tomllib.load(file)
    fields = {f.name for f in dataclasses.fields(Region)} - {"name"}
    regions = {}
    for name, table in tables.items():
        unknown = set(table) - fields
        if unknown:
            raise ValueError(f"Region {name!r} in {path} has unknown fields {sorted(unknown)}; known: {sorted(fields)}")
        regions[name] = Region(name=name, **{key: _as_tuples(value) for key, value in table.items()})
    return regions


REGIONS: dict[str, Region] = load_regions()

for _region in REGIONS.values():
    assert set(_region.scenario_weights) == {c.key for c in Cause}, _region.name
    assert len(_region.rain_mm) == len(_region.wet_day_prob) == len(_region.overcast_prob) == 12


def get_region(name: str) -> Region:
    """The region called ``name``; ``ValueError`` names the known regions otherwise."""
    if name not in REGIONS:
        raise ValueError(f"Unknown region {name!r}; known regions are {', '.join(REGIONS)}")
    return REGIONS[name]
