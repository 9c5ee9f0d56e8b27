"""Slide frequency against slope, on a hand-built stack whose counts are known."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from lslib.analysis.slope import band_share, land_mask, slope_frequency
from lslib.data.qa import encode_qa

EDGES = np.array([0.0, 15.0, 25.0, 45.0, 60.0])


def _stack(with_qa: bool = True) -> xr.Dataset:
    """Two sites of 4 x 4 pixels and one frame.

    Site 0 spreads over every bin, with a pixel exactly on an inner edge (25 is not in [15, 25)), one on
    the top edge (60 is in the last bin), one above it (65) and one without a slope (NaN). Site 1 is all 30
    degrees, and its corner pixel is water (an initiation cell there must not count).
    """
    slope = np.array(
        [
            [[2.0, 12.0, 12.0, 27.0], [25.0, 27.0, 33.0, 38.0], [38.0, 41.0, 44.0, 45.0], [52.0, 60.0, 65.0, np.nan]],
            np.full((4, 4), 30.0),
        ],
        dtype=np.float32,
    )
    initiation = np.zeros((2, 4, 4), dtype=bool)
    # site 0: 12 deg, 27 deg, 33 deg, 45 deg, 65 deg (outside the bins) and the NaN pixel (not land)
    for y, x in [(0, 1), (0, 3), (1, 2), (2, 3), (3, 2), (3, 3)]:
        initiation[0, y, x] = True
    # site 1: the water corner and two land pixels
    for y, x in [(0, 0), (1, 1), (2, 2)]:
        initiation[1, y, x] = True
    variables = {
        "slope": (("site", "y", "x"), slope, {"units": "degrees"}),
        "initiation_mask": (("site", "y", "x"), initiation),
    }
    if with_qa:
        water = np.zeros((2, 1, 4, 4), dtype=bool)
        water[1, 0, 0, 0] = True
        qa = encode_qa(cloud=False, dilated=False, cirrus=False, shadow=False, water=water)
        variables["qa_pixel"] = (("site", "time", "y", "x"), qa)
    return xr.Dataset(variables, attrs={"source": "simulated:tests"})


def test_counts_and_frequencies_per_bin_are_exact():
    table = slope_frequency(_stack(), bin_edges=EDGES)
    assert table.columns.tolist() == [
        "slope_low_deg",
        "slope_high_deg",
        "pixels",
        "initiation_pixels",
        "initiation_per_1000",
        "pixel_share",
        "initiation_share",
    ]
    assert table["slope_low_deg"].tolist() == [0.0, 15.0, 25.0, 45.0]
    assert table["slope_high_deg"].tolist() == [15.0, 25.0, 45.0, 60.0]
    # land: 15 finite pixels on site 0 and 15 non-water pixels on site 1
    assert table["pixels"].tolist() == [3, 0, 8 + 15, 3]
    assert table["initiation_pixels"].tolist() == [1, 0, 2 + 2, 1]
    per_1000 = table["initiation_per_1000"].to_numpy()
    assert per_1000[0] == pytest.approx(1000 / 3, rel=1e-12)
    assert np.isnan(per_1000[1])
    assert per_1000[2] == pytest.approx(4000 / 23, rel=1e-12)
    assert per_1000[3] == pytest.approx(1000 / 3, rel=1e-12)
    assert table["pixel_share"].tolist() == pytest.approx([3 / 30, 0.0, 23 / 30, 3 / 30], rel=1e-12)
    assert table["initiation_share"].tolist() == pytest.approx([1 / 7, 0.0, 4 / 7, 1 / 7], rel=1e-12)
    assert table.attrs == {
        "land_pixels": 30,
        "initiation_total": 7,
        "pixels_outside": 1,
        "initiation_outside": 1,
        "source": "simulated:tests",
    }


def test_band_share_reads_the_table():
    table = slope_frequency(_stack(), bin_edges=EDGES)
    assert band_share(table, 25.0, 45.0) == pytest.approx({"initiation_share": 4 / 7, "pixel_share": 23 / 30})
    assert band_share(table, 0.0, 60.0) == pytest.approx({"initiation_share": 6 / 7, "pixel_share": 29 / 30})
    with pytest.raises(ValueError, match="20.0 degrees is not a bin edge"):
        band_share(table, 20.0, 45.0)


def test_water_is_not_land_and_without_qa_every_finite_pixel_is():
    stack = _stack()
    land = land_mask(stack)
    assert land.sum() == 30 and not land[1, 0, 0] and not land[0, 3, 3]
    table = slope_frequency(_stack(with_qa=False), bin_edges=EDGES)
    assert table["pixels"].tolist() == [3, 0, 24, 3]
    assert table["initiation_pixels"].tolist() == [1, 0, 5, 1]


def test_default_bins_are_five_degrees_to_sixty():
    table = slope_frequency(_stack())
    assert len(table) == 12 and table["slope_low_deg"].iloc[5] == 25.0
    assert table["pixels"].sum() == 29 and table["initiation_pixels"].sum() == 6


def test_bad_input_is_named():
    with pytest.raises(KeyError, match=r"needs \['initiation_mask'\]; the stack has \['qa_pixel', 'slope'\]"):
        slope_frequency(_stack().drop_vars("initiation_mask"))
    with pytest.raises(ValueError, match="strictly increasing"):
        slope_frequency(_stack(), bin_edges=np.array([0.0, 30.0, 20.0]))
    with pytest.raises(ValueError, match="strictly increasing"):
        slope_frequency(_stack(), bin_edges=np.array([10.0]))
