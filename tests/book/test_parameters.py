import pytest

from lslib.book.parameters import check
from lslib.errors import ParameterError


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


def test_read_bounds_parses_the_notebook_table_without_executing_it():
    from lslib.book.parameters import Bound, read_bounds

    source = (
        "from lslib.book.parameters import Bound, check_all\n"
        'BOUNDS = {"size": Bound(int, choices=(16, 32)), "lr": Bound(float, minimum=1e-6, maximum=1.0),\n'
        '          "lead": Bound(int, minimum=1, maximum="n_times - 3"), "name": Bound((str, int))}\n'
        "check_all(BOUNDS, globals())\n"
    )
    bounds = read_bounds(source)
    assert bounds == {
        "size": Bound(int, choices=(16, 32)),
        "lr": Bound(float, minimum=1e-6, maximum=1.0),
        "lead": Bound(int, minimum=1, maximum="n_times - 3"),
        "name": Bound((str, int)),
    }


@pytest.mark.parametrize("source", ['BOUNDS = {"a": int}', 'BOUNDS = {"a": Bound(int, minimum=len("x"))}', "x = 1"])
def test_read_bounds_refuses_what_is_not_a_literal_table(source):
    from lslib.book.parameters import read_bounds

    with pytest.raises(ParameterError):
        read_bounds(source)


def test_check_all_names_the_missing_or_bad_parameter():
    from lslib.book.parameters import Bound, check_all

    bounds = {"n_times": Bound(int, minimum=6), "lead": Bound(int, maximum="n_times - 3")}
    check_all(bounds, {"n_times": 8, "lead": 5})
    with pytest.raises(ParameterError, match=r"'lead' must be <= 5, got 6 \(maximum n_times - 3 = 5\)"):
        check_all(bounds, {"n_times": 8, "lead": 6})
    with pytest.raises(ParameterError, match="'lead' has bounds but no value"):
        check_all(bounds, {"n_times": 8})
    with pytest.raises(ParameterError, match="may use numbers, parameter names"):
        check_all({"a": Bound(int, maximum="__import__('os')")}, {"a": 1})
