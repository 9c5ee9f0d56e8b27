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

from dataclasses import dataclass, field

from lslib.causes import Cause

__all__ = ["Region", "REGIONS", "get_region"]


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


REGIONS: dict[str, Region] = {
    "india": Region(
        name="india",
        country="India",
        centres=(
            (19.162, 73.687, "Malin, Pune district"),
            (17.92, 73.66, "Mahabaleshwar, Satara"),
            (10.50, 76.90, "Kerala Western Ghats"),
            (12.42, 75.74, "Kodagu, Karnataka"),
        ),
        # IMD district normal, Pune (mm): JAN..DEC
        rain_mm=(0.6, 0.1, 1.6, 7.6, 27.4, 156.9, 312.9, 225.1, 166.1, 87.1, 24.3, 6.0),
        wet_day_prob=(0.02, 0.01, 0.04, 0.10, 0.20, 0.60, 0.85, 0.80, 0.60, 0.30, 0.10, 0.03),
        temperature_c=(24.5, 4.0, 130),
        overcast_prob=(0.03, 0.03, 0.05, 0.08, 0.15, 0.65, 0.85, 0.85, 0.60, 0.25, 0.08, 0.04),
        clear_prob=(0.75, 0.78, 0.70, 0.55, 0.40, 0.05, 0.02, 0.02, 0.08, 0.35, 0.60, 0.72),
        green_peak_doy=275,
        # semi-evergreen and moist deciduous forest of the Western Ghats: part of the canopy drops in the dry season
        forest_green=(0.7, 0.95),
        relief=(150.0, 380.0),
        landform="escarpment",
        friction_deg=(30.0, 36.0),
        soil_cohesion_kpa=(1.0, 4.0),
        forest_root_cohesion_kpa=(5.0, 12.0),
        scenario_weights={
            "heavy_rainfall": 0.14,
            "deforestation": 0.15,
            "mining": 0.14,
            "construction": 0.19,
            "earthquake": 0.20,
            "volcanic_eruption": 0.00,
            "thriving_forest": 0.18,
        },
        storm_mm=(80.0, 330.0),
        storm_rate_per_year=1.1,
    ),
    "america": Region(
        name="america",
        country="United States",
        centres=(
            (35.866, -121.432, "Mud Creek, Big Sur"),
            (48.282, -121.848, "Oso, Washington"),
            (46.20, -122.18, "Mount St. Helens, Washington"),
            (38.20, -122.90, "Marin County, California"),
        ),
        rain_mm=(150.0, 140.0, 110.0, 45.0, 15.0, 5.0, 1.0, 2.0, 8.0, 45.0, 95.0, 145.0),
        wet_day_prob=(0.45, 0.45, 0.40, 0.25, 0.12, 0.05, 0.02, 0.03, 0.08, 0.22, 0.38, 0.45),
        temperature_c=(13.0, 6.0, 215),
        overcast_prob=(0.45, 0.42, 0.38, 0.30, 0.22, 0.18, 0.15, 0.15, 0.18, 0.25, 0.38, 0.45),
        clear_prob=(0.35, 0.38, 0.42, 0.48, 0.55, 0.60, 0.65, 0.65, 0.60, 0.50, 0.40, 0.35),
        green_peak_doy=150,
        relief=(120.0, 320.0),
        landform="coastal_range",
        friction_deg=(28.0, 35.0),
        soil_cohesion_kpa=(1.0, 5.0),
        forest_root_cohesion_kpa=(6.0, 16.0),
        scenario_weights={
            "heavy_rainfall": 0.06,
            "deforestation": 0.11,
            "mining": 0.12,
            "construction": 0.16,
            "earthquake": 0.17,
            "volcanic_eruption": 0.30,
            "thriving_forest": 0.08,
        },
        storm_mm=(70.0, 280.0),
        storm_rate_per_year=1.0,
        forest_green=(0.55, 0.95),
    ),
    "china": Region(
        name="china",
        country="China",
        centres=(
            (31.03, 103.40, "Wenchuan, Sichuan"),
            (33.79, 104.37, "Zhouqu, Gansu"),
            (29.98, 102.99, "Ya'an, Sichuan"),
            (32.03, 104.68, "Beichuan, Sichuan"),
        ),
        rain_mm=(8.0, 14.0, 30.0, 60.0, 95.0, 135.0, 230.0, 200.0, 125.0, 50.0, 20.0, 7.0),
        wet_day_prob=(0.10, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.60, 0.55, 0.40, 0.20, 0.10),
        temperature_c=(16.0, 9.0, 200),
        overcast_prob=(0.45, 0.45, 0.45, 0.45, 0.45, 0.55, 0.60, 0.55, 0.60, 0.55, 0.45, 0.45),
        clear_prob=(0.25, 0.22, 0.20, 0.18, 0.15, 0.10, 0.08, 0.10, 0.10, 0.15, 0.22, 0.25),
        green_peak_doy=215,
        relief=(200.0, 420.0),
        landform="valley",
        friction_deg=(29.0, 36.0),
        soil_cohesion_kpa=(0.5, 3.5),
        forest_root_cohesion_kpa=(5.0, 14.0),
        scenario_weights={
            "heavy_rainfall": 0.10,
            "deforestation": 0.13,
            "mining": 0.12,
            "construction": 0.19,
            "earthquake": 0.32,
            "volcanic_eruption": 0.00,
            "thriving_forest": 0.14,
        },
        storm_mm=(75.0, 300.0),
        storm_rate_per_year=1.0,
        forest_green=(0.55, 0.95),  # mixed deciduous and evergreen forest, cold winters in the north (Gansu)
    ),
}

for _region in REGIONS.values():
    assert set(_region.scenario_weights) == {c.key for c in Cause}, _region.name
    assert len(_region.rain_mm) == len(_region.wet_day_prob) == len(_region.overcast_prob) == 12


def get_region(name: str) -> Region:
    """The region called ``name``; ``ValueError`` names the known regions otherwise."""
    if name not in REGIONS:
        raise ValueError(f"Unknown region {name!r}; known regions are {', '.join(REGIONS)}")
    return REGIONS[name]
