"""The fixed-horizon forecasting labels of :func:`lslib.data.tasks.horizon_windows`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from lslib.data.schema import SchemaError
from lslib.data.tasks import horizon_label_shares, horizon_windows

DAY0 = np.datetime64("2020-01-01T00:00:00", "ns")
DAY = np.timedelta64(1, "D")


def on(days: float | None) -> np.datetime64:
    """The date ``days`` after DAY0 (NaT for None)."""
    if days is None:
        return np.datetime64("NaT", "ns")
    return DAY0 + np.timedelta64(int(round(days * 86400)), "s")


def make_stack(rows: list[list[float | None]], events: list[float | None], slid: list[bool] | None = None):
    """A tiny stack: one row of acquisition days per site (None: missing), one event day per site."""
    width = max(len(r) for r in rows)
    dates = np.array([[on(d) for d in r] + [on(None)] * (width - len(r)) for r in rows], dtype="datetime64[ns]")
    event_time = np.array([on(e) for e in events], dtype="datetime64[ns]")
    landslide = np.array([e is not None for e in events] if slid is None else slid, dtype=bool)
    reference = np.where(np.isnat(event_time), dates[:, -1], event_time)
    return xr.Dataset(
        {
            "date": (("site", "time"), dates),
            "landslide": ("site", landslide),
            "event_time": ("site", event_time),
            "reference_time": ("site", reference),
        }
    )


def revisits(n: int, every: float = 16.0) -> list[float]:
    return [every * i for i in range(n)]


def end_days(table: pd.DataFrame) -> list[float]:
    return ((table["end_date"] - pd.Timestamp(DAY0)) / pd.Timedelta(days=1)).tolist()


# ----------------------------------------------------------------- the horizon


def test_event_exactly_at_horizon_end_is_positive():
    stack = make_stack([revisits(11)], [80.0])  # frames on days 0..160, slide on day 80 = 48 + 32
    table = horizon_windows(stack, horizon_days=32.0, min_frames=1)
    row = table[table["end"] == 3].iloc[0]  # the window ending on day 48
    assert row["label"] == 1 and row["days_to_event"] == pytest.approx(32.0)
    assert table.set_index("end")["label"].to_dict() == {0: 0, 1: 0, 2: 0, 3: 1, 4: 1}


def test_event_just_after_horizon_end_is_negative():
    stack = make_stack([revisits(11)], [80.0 + 1 / 24])  # one hour past day 48 + 32
    table = horizon_windows(stack, horizon_days=32.0, min_frames=1)
    row = table[table["end"] == 3].iloc[0]
    assert row["label"] == 0 and row["days_to_event"] > 32.0
    # a horizon one day longer takes it in: the horizon is a parameter, in days
    longer = horizon_windows(stack, horizon_days=33.0, min_frames=1)
    assert longer[longer["end"] == 3]["label"].item() == 1


def test_default_horizon_is_two_revisits():
    stack = make_stack([revisits(11)], [80.0])
    assert horizon_windows(stack, min_frames=1).equals(horizon_windows(stack, horizon_days=32.0, min_frames=1))


def test_window_ending_on_the_event_date_is_dropped():
    stack = make_stack([revisits(11)], [64.0])  # the slide is on the day of frame 4
    table = horizon_windows(stack, min_frames=1)
    assert table["end"].tolist() == [0, 1, 2, 3]  # frame 4 (on the event) and later are gone
    assert (table["end_date"] < pd.Timestamp(on(64.0))).all()
    assert (table["days_to_event"] > 0).all()
    assert table["label"].tolist() == [0, 0, 1, 1]  # days to event 64, 48 | 32, 16


def test_windows_ending_after_the_event_are_dropped_even_far_from_the_series_end():
    stack = make_stack([revisits(30)], [100.0])
    table = horizon_windows(stack, min_frames=1)
    assert max(end_days(table)) < 100.0 and len(table) == 7  # ends on days 0..96


# ----------------------------------------------------------------- censoring


def test_negatives_whose_horizon_runs_past_the_series_end_are_censored():
    stack = make_stack([revisits(11)], [None])  # last acquisition on day 160
    table = horizon_windows(stack, horizon_days=32.0, min_frames=1)
    assert end_days(table) == revisits(9)  # ends up to day 128: 128 + 32 = 160 is still observed
    assert (table["label"] == 0).all()


def test_positive_is_kept_when_its_horizon_runs_past_the_series_end():
    stack = make_stack([revisits(11)], [170.0])  # slide 10 days after the last acquisition
    table = horizon_windows(stack, horizon_days=32.0, min_frames=1)
    labels = dict(zip(end_days(table), table["label"]))
    assert labels[144.0] == 1 and labels[160.0] == 1  # horizons end on days 176 and 192: observed slide
    assert labels[128.0] == 0  # days to event 42, horizon end 160: an observed negative
    assert len(labels) == 11


def test_sliding_site_negatives_are_censored_like_any_other():
    stack = make_stack([revisits(11), revisits(11)], [400.0, None])
    sliding, quiet = (horizon_windows(stack)[lambda t, s=s: t["site"] == s] for s in (0, 1))
    assert end_days(sliding) == end_days(quiet)  # the series end looks the same in both classes
    assert (sliding["label"] == 0).all()


def test_censoring_uses_the_last_valid_date_not_the_padded_axis():
    stack = make_stack([revisits(6) + [None, None]], [None])  # two trailing NaT frames
    table = horizon_windows(stack, horizon_days=16.0, min_frames=1)
    assert table["end"].tolist() == [0, 1, 2, 3, 4]  # day 80 is the last valid date


# ----------------------------------------------------------------- missing acquisitions


def test_missing_dates_are_skipped_when_choosing_and_counting_frames():
    days = [0.0, 16.0, None, 48.0, 64.0, None, 96.0, 112.0, 128.0]
    stack = make_stack([days], [None])
    table = horizon_windows(stack, horizon_days=16.0, window_frames=3, min_frames=2)
    # valid frames: 0 1 3 4 6 7 8; each window holds the last three of them up to its end
    assert table["end"].tolist() == [1, 3, 4, 6, 7]  # frame 8 is censored (128 + 16 > 128)
    assert table["start"].tolist() == [0, 0, 1, 3, 4]
    assert table["frames"].tolist() == [2, 3, 3, 3, 3]
    dates = stack["date"].values[0]
    for row in table.itertuples():
        assert not np.isnat(dates[row.end]) and not np.isnat(dates[row.start])
        assert (~np.isnat(dates[row.start : row.end + 1])).sum() == row.frames
        assert pd.Timestamp(dates[row.end]) == row.end_date


def test_windows_with_too_few_valid_frames_are_dropped():
    stack = make_stack([[0.0, None, None, 48.0, 64.0, 80.0, 96.0]], [None])
    table = horizon_windows(stack, horizon_days=16.0, window_frames=4, min_frames=3)
    assert table["end"].tolist() == [4, 5]  # index 3 has only two valid frames up to it
    assert table["frames"].tolist() == [3, 4]
    assert table["start"].tolist() == [0, 0]


def test_short_series_gives_short_windows_and_empty_sites_give_none():
    stack = make_stack([[0.0, 16.0, 32.0, 48.0], [None, 16.0, None, None]], [None, None])
    table = horizon_windows(stack, horizon_days=16.0, window_frames=8, min_frames=2)
    assert table["site"].unique().tolist() == [0]  # site 1 has a single valid frame
    assert table["frames"].tolist() == [2, 3]


def test_empty_table_keeps_its_columns_and_dtypes():
    stack = make_stack([[0.0, None]], [None])
    table = horizon_windows(stack)
    assert table.empty
    assert list(table.columns) == ["site", "start", "end", "end_date", "frames", "label", "days_to_event"]
    assert str(table["end_date"].dtype) == "datetime64[ns]" and table["days_to_event"].dtype == float


# ----------------------------------------------------------------- the classes


def test_early_windows_of_a_sliding_site_are_negatives():
    stack = make_stack([revisits(13)], [160.0])
    table = horizon_windows(stack, horizon_days=32.0, window_frames=4, min_frames=2)
    negatives = table[table["label"] == 0]
    positives = table[table["label"] == 1]
    assert end_days(negatives) == [16.0 * i for i in range(1, 8)]  # days 16..112: slide > 32 days away
    assert end_days(positives) == [128.0, 144.0]
    assert negatives["days_to_event"].gt(32.0).all()
    assert horizon_label_shares(table)["mixed_share"] == 1.0


def test_site_without_a_slide_gives_only_negatives():
    stack = make_stack([revisits(11), revisits(11)], [None, 90.0], slid=[False, False])
    table = horizon_windows(stack, min_frames=1)
    assert (table["label"] == 0).all()
    assert table["days_to_event"].isna().all()  # event_time of a site flagged without a slide is not read
    assert table.groupby("site").size().tolist() == [9, 9]


def test_stride_counts_from_the_series_start_not_from_the_event():
    days = revisits(20)
    quiet = horizon_windows(make_stack([days], [None]), horizon_days=16.0, min_frames=2, stride=3)
    sliding = horizon_windows(make_stack([days], [200.0]), horizon_days=16.0, min_frames=2, stride=3)
    assert quiet["end"].tolist() == list(range(1, 19, 3))
    assert sliding["end"].tolist() == [e for e in quiet["end"] if days[e] < 200.0]


def test_label_shares():
    stack = make_stack([revisits(11), revisits(11), revisits(11)], [80.0, None, 20.0])
    shares = horizon_label_shares(horizon_windows(stack, min_frames=1))
    # site 0: three negatives, two positives; site 1: nine negatives; site 2: two positives only
    assert shares == {
        "windows": 16,
        "positives": 4,
        "positive_share": 4 / 16,
        "sites": 3,
        "positive_sites": 2,
        "mixed_share": 0.5,
    }


# ----------------------------------------------------------------- checks


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"horizon_days": 0}, "horizon_days"),
        ({"horizon_days": -16.0}, "horizon_days"),
        ({"horizon_days": float("nan")}, "horizon_days"),
        ({"horizon_days": float("inf")}, "horizon_days"),
        ({"horizon_days": "32"}, "horizon_days"),
        ({"window_frames": 0}, "window_frames"),
        ({"window_frames": 2.5}, "window_frames"),
        ({"min_frames": 0}, "min_frames"),
        ({"window_frames": 4, "min_frames": 5}, "min_frames"),
        ({"min_frames": True}, "min_frames"),
        ({"stride": 0}, "stride"),
        ({"stride": -1}, "stride"),
    ],
)
def test_bad_parameters_are_named_before_any_work(kwargs, name):
    with pytest.raises(ValueError, match=name) as caught:
        horizon_windows(xr.Dataset(), **kwargs)  # an empty dataset: the parameters are checked first
    assert not isinstance(caught.value, SchemaError)
    assert repr(kwargs[name]) in str(caught.value)


def test_missing_variables_are_named():
    with pytest.raises(SchemaError, match="event_time"):
        horizon_windows(make_stack([revisits(4)], [None]).drop_vars("event_time"))


def test_sliding_site_without_event_time_is_refused():
    with pytest.raises(ValueError, match="Site 0 has landslide=True but no event_time"):
        horizon_windows(make_stack([revisits(6)], [None], slid=[True]))


def test_dates_out_of_order_are_refused():
    with pytest.raises(ValueError, match="Site 0: valid dates must increase"):
        horizon_windows(make_stack([[0.0, 32.0, 16.0, 48.0]], [None]))


def test_deterministic_and_leaves_the_stack_alone():
    stack = make_stack([revisits(13), [0.0, None, 32.0, 48.0, None, 80.0, 96.0]], [160.0, None])
    before = stack.copy(deep=True)
    first = horizon_windows(stack, window_frames=3)
    second = horizon_windows(stack, window_frames=3)
    pd.testing.assert_frame_equal(first, second)
    assert stack.identical(before)
    assert first[["site", "end"]].equals(first[["site", "end"]].sort_values(["site", "end"]))


# ----------------------------------------------------------------- a simulated stack


@pytest.fixture(scope="module")
def simulated():
    from lslib.data.sim import simulate

    return simulate(n_sites=24, n_times=16, size=16, seed=2)


def test_simulated_stack_properties(simulated):
    horizon = 32.0
    table = horizon_windows(simulated, horizon_days=horizon, window_frames=8, min_frames=2)
    assert len(table) > 0
    dates = simulated["date"].values.astype("datetime64[ns]")
    slid = simulated["landslide"].values.astype(bool)
    events = simulated["event_time"].values.astype("datetime64[ns]")

    positives = table[table["label"] == 1]
    assert len(positives) > 0
    assert (positives["days_to_event"] > 0).all() and (positives["days_to_event"] <= horizon).all()

    event_of_row = pd.to_datetime(events[table["site"].to_numpy()])
    sliding_rows = slid[table["site"].to_numpy()]
    assert (table.loc[sliding_rows, "end_date"] < event_of_row[sliding_rows]).all()  # none on/after its event
    assert table.loc[~sliding_rows, "label"].eq(0).all() and table.loc[~sliding_rows, "days_to_event"].isna().all()

    last = pd.to_datetime(np.nanmax(dates, axis=1))[table["site"].to_numpy()]
    negatives = table["label"] == 0
    assert (table.loc[negatives, "end_date"] + pd.Timedelta(days=horizon) <= last[negatives.to_numpy()]).all()
    for row in table.itertuples():
        window = dates[row.site, row.start : row.end + 1]
        assert not np.isnat(dates[row.site, row.end]) and (~np.isnat(window)).sum() == row.frames
        assert 2 <= row.frames <= 8

    sliding_sites = np.nonzero(slid)[0]
    assert len(sliding_sites) > 0
    with_negatives = set(table.loc[negatives, "site"])
    assert np.mean([s in with_negatives for s in sliding_sites]) > 0.5
    shares = horizon_label_shares(table)
    assert shares["positive_sites"] <= len(sliding_sites) and shares["mixed_share"] > 0.5
