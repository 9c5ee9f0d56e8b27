"""The region table is data (``regions.toml``); its loader keeps the types and refuses unknown fields."""

import pytest

from lslib.causes import Cause
from lslib.data.sim.regions import REGIONS, Region, get_region, load_regions


def test_book_regions_have_twelve_months_and_every_cause():
    assert list(REGIONS) == ["india", "america", "china"]
    for region in REGIONS.values():
        assert len(region.rain_mm) == len(region.clear_prob) == 12
        assert set(region.scenario_weights) == {cause.key for cause in Cause}
        assert isinstance(region.centres[0], tuple) and isinstance(region.relief, tuple)
    assert get_region("india").rain_mm[6] == pytest.approx(312.9)  # IMD normal, Pune, July


def test_loader_fills_defaults_and_names_unknown_fields(tmp_path):
    base = REGIONS["india"]
    path = tmp_path / "regions.toml"
    path.write_text(
        '[alps]\ncountry = "Switzerland"\ncentres = [[46.5, 8.0, "Bernese Oberland"]]\n'
        + "".join(f"{name} = {list(getattr(base, name))}\n" for name in ("rain_mm", "wet_day_prob", "overcast_prob"))
        + f"clear_prob = {list(base.clear_prob)}\ntemperature_c = [5.0, 9.0, 200]\ngreen_peak_doy = 190\n"
        'relief = [300.0, 900.0]\nlandform = "valley"\nfriction_deg = [30.0, 38.0]\n'
        "soil_cohesion_kpa = [1.0, 3.0]\nforest_root_cohesion_kpa = [4.0, 10.0]\n"
    )
    alps = load_regions(path)["alps"]
    assert alps.name == "alps" and alps.centres == ((46.5, 8.0, "Bernese Oberland"),)
    assert alps.spread_deg == Region.__dataclass_fields__["spread_deg"].default
    path.write_text(path.read_text() + "snow_depth_m = 2.0\n")
    with pytest.raises(ValueError, match="'alps'.*snow_depth_m"):
        load_regions(path)
