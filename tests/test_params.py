import pytest

from lslib.errors import ParameterError
from lslib.book.parameters import check


def test_accepts_valid_values_and_int_for_float():
    assert check("rate", 2, float, minimum=0) == 2
    assert check("name", "stac", str, choices=["stac", "simulator"]) == "stac"


@pytest.mark.parametrize(
    ("value", "kwargs", "message"),
    [
        ("5", {}, "parameter 'n' must be int, got '5'"),
        (True, {}, "must be int, got True"),
        (0, {"minimum": 1}, "must be >= 1, got 0"),
        (99, {"maximum": 60}, "must be <= 60, got 99"),
        (3, {"choices": (1, 2)}, r"must be one of \(1, 2\), got 3"),
    ],
)
def test_rejects_with_a_message_naming_the_bad_value(value, kwargs, message):
    with pytest.raises(ParameterError, match=message):
        check("n", value, int, **kwargs)
