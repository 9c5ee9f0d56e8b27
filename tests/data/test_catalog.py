"""The NASA Global Landslide Catalog, read from the real mirrored export."""

import pandas as pd
import pytest

from lslib.causes import CAUSE_KEYS, OTHER_UNKNOWN
from lslib.data.catalog import MALIN_EVENT_ID, load_glc, trigger_to_cause


@pytest.fixture(scope="module")
def glc(mirror):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LSLIB_DATA_MIRROR", str(mirror))
        return load_glc()


def test_all_events_are_loaded_with_parsed_types(glc):
    assert len(glc) == 11_032
    assert glc.index.is_unique
    assert pd.api.types.is_datetime64_any_dtype(glc["date"])
    assert glc["lat"].between(-90, 90).all() and glc["lon"].between(-180, 180).all()
    assert glc.attrs["source"] == "registry:glc/nasa_glc_export_2018.csv"


def test_the_malin_record(glc):
    malin = glc.loc[MALIN_EVENT_ID]
    assert malin["lat"] == pytest.approx(19.162)
    assert malin["lon"] == pytest.approx(73.6873)
    assert malin["date"].date() == pd.Timestamp("2014-07-30").date()
    assert malin["cause"] == "heavy_rainfall"
    assert malin["region"] == "india"
    assert malin["setting_cause"] == "deforestation"
    assert malin["fatalities"] == 151


def test_causes_are_the_study_enumeration_and_rain_dominates(glc):
    assert set(glc["cause"]) <= set(CAUSE_KEYS) | {OTHER_UNKNOWN}
    counts = glc["cause"].value_counts()
    # Facts checked on the mirrored file: downpour 4680 + rain 2591 + continuous_rain 748 + monsoon 129
    # + tropical_cyclone 561; mining 93, earthquake 89, construction 82, volcano 1.
    assert counts["heavy_rainfall"] == 4680 + 2591 + 748 + 129 + 561
    assert (counts["mining"], counts["earthquake"], counts["construction"], counts["volcanic_eruption"]) == (
        93,
        89,
        82,
        1,
    )
    assert "thriving_forest" not in counts  # the negative class is never a catalogued trigger


def test_regions_follow_countries(glc):
    assert (glc.loc[glc["country_code"] == "CN", "region"] == "china").all()
    assert (glc.loc[glc["country_code"] == "IN", "region"] == "india").all()
    assert (glc.loc[glc["country_code"].isin(["US", "BR", "MX", "CA"]), "region"] == "america").all()
    assert (glc.loc[glc["country_code"].isin(["NP", "PH", "TW", "HK"]), "region"] == "other").all()
    assert set(glc["region"]) == {"america", "china", "india", "other"}


@pytest.mark.parametrize(
    ("trigger", "cause"),
    [
        ("downpour", "heavy_rainfall"),
        ("tropical_cyclone", "heavy_rainfall"),
        ("volcano", "volcanic_eruption"),
        ("flooding", OTHER_UNKNOWN),
        ("", OTHER_UNKNOWN),
    ],
)
def test_trigger_mapping(trigger, cause):
    assert trigger_to_cause(trigger) == cause
