import pytest

from lslib.causes import CAUSE_KEYS, N_CAUSES, Cause


def test_the_seven_causes_in_their_fixed_order():
    assert CAUSE_KEYS == (
        "volcanic_eruption",
        "earthquake",
        "deforestation",
        "heavy_rainfall",
        "mining",
        "construction",
        "thriving_forest",
    )
    assert N_CAUSES == 7
    assert [int(c) for c in Cause] == list(range(7))


def test_only_thriving_forest_is_the_negative_class():
    assert [c for c in Cause if not c.is_landslide] == [Cause.THRIVING_FOREST]


def test_lookup_by_key_or_label_and_a_clear_error():
    assert Cause.from_key("Heavy rainfall") is Cause.HEAVY_RAINFALL
    with pytest.raises(ValueError, match="Unknown cause 'landslip'.*heavy_rainfall"):
        Cause.from_key("landslip")
