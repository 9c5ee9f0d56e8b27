"""The one writer of the layout: arrays in, a validated stack out, exactly as the source made them."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pandas as pd
import pytest

from lslib.causes import Cause
from lslib.data import layout
from lslib.data.schema import LANDSAT_BANDS, SAR_POLS, SCHEMA_VERSION, SchemaError, site_grid

N_TIMES, N_SAR, SIZE, N_DAYS = 3, 2, 4, 40


def _variables(lazy: bool = False) -> dict[str, tuple]:
    """A one-site stack's variables as (dims, values, attrs), with deterministic values."""
    rng = np.random.default_rng(0)
    reflectance = rng.uniform(0.0, 0.5, (1, N_TIMES, 6, SIZE, SIZE)).astype(np.float32)
    dates = pd.date_range("2016-05-01", periods=N_TIMES, freq="16D").values[None]
    per_frame = lambda: rng.uniform(0, 10, (1, N_TIMES)).astype(np.float32)
    return {
        "reflectance": (
            ("site", "time", "band", "y", "x"),
            da.from_array(reflectance) if lazy else reflectance,
            {"units": "1"},
        ),
        "qa_pixel": (("site", "time", "y", "x"), np.full((1, N_TIMES, SIZE, SIZE), 21824, np.uint16)),
        "date": (("site", "time"), dates),
        "cloud_fraction": (("site", "time"), np.zeros((1, N_TIMES), np.float32), {"units": "1"}),
        "rain_1d": (("site", "time"), per_frame(), {"units": "mm"}),
        "rain_7d": (("site", "time"), per_frame(), {"units": "mm"}),
        "rain_30d": (("site", "time"), per_frame(), {"units": "mm"}),
        "temperature": (("site", "time"), per_frame(), {"units": "degC"}),
        "sar": (
            ("site", "sar_time", "pol", "y", "x"),
            np.full((1, N_SAR, 2, SIZE, SIZE), -10.0, np.float32),
            {"units": "dB"},
        ),
        "sar_date": (("site", "sar_time"), dates[:, :N_SAR]),
        "rain_daily": (("site", "day"), np.ones((1, N_DAYS), np.float32), {"units": "mm/day"}),
        "dem": (("site", "y", "x"), np.zeros((1, SIZE, SIZE), np.float32), {"units": "m"}),
        "slope": (("site", "y", "x"), np.zeros((1, SIZE, SIZE), np.float32), {"units": "degrees"}),
        "scar_mask": (("site", "y", "x"), np.zeros((1, SIZE, SIZE), bool)),
        "lat": (("site",), np.array([19.162]), {"units": "degrees_north"}),
        "lon": (("site",), np.array([73.6873]), {"units": "degrees_east"}),
        "region": (("site",), np.array(["india"])),
        "country": (("site",), np.array(["India"])),
        "epsg": (("site",), np.array([32643])),
        "easting": (("site",), np.array([360000.0]), {"units": "m"}),
        "northing": (("site",), np.array([2120000.0]), {"units": "m"}),
        "landslide": (("site",), np.array([False])),
        "event_time": (("site",), np.array(["NaT"], "datetime64[ns]")),
        "reference_time": (("site",), dates[:, -1]),
        "cause": (("site",), np.array([int(Cause.THRIVING_FOREST)])),
    }


def _coords() -> dict:
    y, x = site_grid(SIZE)
    return {
        "site": [0],
        "band": list(LANDSAT_BANDS),
        "pol": list(SAR_POLS),
        "y": ("y", y, {"units": "m"}),
        "x": ("x", x, {"units": "m"}),
        "day": pd.date_range("2016-04-01", periods=N_DAYS, freq="D"),
    }


def test_arrays_become_a_valid_stack_in_the_order_given():
    variables = _variables()
    stack = layout.assemble(variables, _coords(), layout.layout_attrs("simulated:test", "{}", title="tiny"))
    assert list(stack.data_vars) == list(variables)
    assert list(stack.coords) == ["site", "band", "pol", "y", "x", "day"]
    assert dict(stack.sizes) == {
        "site": 1,
        "time": N_TIMES,
        "band": 6,
        "y": SIZE,
        "x": SIZE,
        "sar_time": N_SAR,
        "pol": 2,
        "day": N_DAYS,
    }
    assert stack.attrs == {
        "source": "simulated:test",
        "provenance": "{}",
        "schema_version": SCHEMA_VERSION,
        "title": "tiny",
    }
    for name, (_, values, *attrs) in variables.items():  # nothing converted, reordered or added
        assert stack[name].dtype == values.dtype and stack[name].attrs == (attrs[0] if attrs else {})
        np.testing.assert_array_equal(stack[name].values, values)
    assert stack["y"].attrs == {"units": "m"} and stack["y"].values[0] > stack["y"].values[-1]


def test_lazy_arrays_stay_lazy():
    stack = layout.assemble(_variables(lazy=True), _coords(), layout.layout_attrs("stac:test", "{}"))
    assert isinstance(stack["reflectance"].data, da.Array)
    np.testing.assert_array_equal(stack["reflectance"].values, _variables()["reflectance"][1])


def test_data_arrays_bring_their_coordinates_ahead_of_them():
    import xarray as xr

    variables = _variables()
    dims, values, attrs = variables["rain_daily"]
    days = _coords().pop("day")
    variables["rain_daily"] = xr.DataArray(values, dims=dims, coords={"day": days}, attrs=attrs)
    coords = {k: v for k, v in _coords().items() if k != "day"}
    stack = layout.assemble(variables, coords, layout.layout_attrs("stac:test", "{}"))
    names = list(stack.variables)
    assert names.index("day") == names.index("rain_daily") - 1
    assert (stack["day"].values == days.values).all()


@pytest.mark.parametrize(
    ("breaking", "message"),
    [
        (lambda v, c, a: v.pop("scar_mask"), r"missing variables \['scar_mask'\]"),
        (lambda v, c, a: v.update(sar=v["sar"][:2] + ({"units": "linear"},)), "'sar' has units 'linear'"),
        (lambda v, c, a: c.update(band=["b1", "b2", "b3", "b4", "b5", "b6"]), "band coordinate is"),
        (lambda v, c, a: a.pop("provenance"), "attribute 'provenance' is missing"),
    ],
)
def test_what_the_schema_rejects_never_leaves_the_writer(breaking, message):
    variables, coords, attrs = _variables(), _coords(), layout.layout_attrs("simulated:test", "{}")
    breaking(variables, coords, attrs)
    with pytest.raises(SchemaError, match=message):
        layout.assemble(variables, coords, attrs)


def test_layout_attrs_carry_the_schema_version_and_an_optional_title():
    assert layout.layout_attrs("registry:x", "{}") == {
        "source": "registry:x",
        "provenance": "{}",
        "schema_version": SCHEMA_VERSION,
    }
    assert list(layout.layout_attrs("registry:x", "{}", title="t")) == [
        "source",
        "provenance",
        "schema_version",
        "title",
    ]


def test_the_simulator_and_stac_write_through_the_one_writer(monkeypatch):
    import lslib.data.sim as sim
    from lslib.data import stac

    assert sim.assemble is layout.assemble and stac.assemble is layout.assemble
    calls = []

    def spy(variables, coords, attrs):
        calls.append(sorted(variables))
        return layout.assemble(variables, coords, attrs)

    monkeypatch.setattr(sim, "assemble", spy)
    stack = sim.simulate(regions=["india"], n_sites=2, n_times=3, size=16, seed=0)
    assert len(calls) == 1 and set(calls[0]) == set(stack.data_vars)
    from lslib.data.sim.regions import REGIONS
    from lslib.data.sim.site import simulate_site

    arrays, _ = simulate_site(0, REGIONS["india"], "thriving_forest", 3, 16, pd.Timestamp("2016-01-01"), seed=0)
    with pytest.raises(SchemaError, match="attribute 'source' is missing"):  # _stack validates what it writes
        sim._stack([arrays], 3, 16, "2016-01-01", {"provenance": "{}", "schema_version": SCHEMA_VERSION})
