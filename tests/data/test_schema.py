"""The one layout: validation names what is wrong; sites georeference to a CRS rioxarray reads."""

import pytest
import rioxarray  # noqa: F401

from lslib.data.schema import SchemaError, georeference, model_inputs, utm_epsg, validate
from lslib.data.sim import simulate


@pytest.fixture(scope="module")
def stack():
    return simulate(n_sites=3, n_times=4, size=16, seed=0)


def test_a_valid_stack_passes(stack):
    assert validate(stack) is stack


@pytest.mark.parametrize(
    ("breaking", "message"),
    [
        (lambda ds: ds.drop_vars("qa_pixel"), r"missing variables \['qa_pixel'\]"),
        (lambda ds: ds.assign(qa_pixel=ds["qa_pixel"].astype("int32")), "'qa_pixel' must be uint16"),
        (lambda ds: ds.assign_coords(band=["b1", "b2", "b3", "b4", "b5", "b6"]), "band coordinate is"),
        (lambda ds: ds.assign(dem=ds["dem"].transpose("site", "x", "y")), r"'dem' has dims \('site', 'x', 'y'\)"),
        (lambda ds: ds.assign(cause=ds["cause"] + 7), "'cause' holds values outside -1..6"),
        (lambda ds: ds.assign_coords(x=ds["x"] * 2), r"x spacing is \[60.0\] m, expected 30.0 m"),
        (lambda ds: ds.drop_attrs(), "attribute 'source' is missing"),
    ],
)
def test_broken_layouts_are_rejected_with_a_message_naming_the_problem(stack, breaking, message):
    with pytest.raises(SchemaError, match=message):
        validate(breaking(stack.copy()))


def test_sar_units_are_checked(stack):
    broken = stack.copy()
    broken["sar"] = broken["sar"].assign_attrs(units="linear")
    with pytest.raises(SchemaError, match="'sar' has units 'linear', expected 'dB'"):
        validate(broken)


def test_each_site_georeferences_to_its_utm_zone(stack):
    site = georeference(stack.isel(site=0))
    assert site.rio.crs.to_epsg() == int(stack["epsg"][0])
    assert float(site.x[1] - site.x[0]) == 30.0
    assert abs(float(site.x.mean()) - float(stack["easting"][0])) < 1e-6
    assert site["dem"].rio.resolution() == (30.0, -30.0)


def test_utm_zone_and_a_clear_error_for_metres():
    assert utm_epsg(35.87, -121.43) == 32610  # Big Sur
    assert utm_epsg(31.03, 103.40) == 32648  # Wenchuan
    with pytest.raises(ValueError, match="are not degrees"):
        utm_epsg(4_208_000.0, 600_000.0)


def test_oracle_and_labels_are_not_model_inputs(stack):
    inputs = model_inputs(stack)
    assert "reflectance" in inputs and "sar" in inputs
    for hidden in ("fs_min", "fs_unstable_px", "landslide", "cause", "scar_mask", "event_time"):
        assert hidden not in inputs
