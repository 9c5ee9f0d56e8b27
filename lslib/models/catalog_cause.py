"""A cause model on the real NASA Global Landslide Catalog: which trigger, from when, where, what kind
and how big a slide was; and does it transfer from the Americas and China to India?

The target is the GLC trigger mapped to the study's causes (:mod:`lslib.data.catalog`); records
whose trigger maps to none (``other_unknown``) are left out. The inputs are the month, the
location, the landslide category and its size. Some GLC columns *encode* the cause (the trigger
itself, and a setting such as ``mine`` or ``engineered_slope``), so :func:`leakage_guard` refuses
them by name and refuses any categorical feature one of whose values names a rare cause (a value
that is at least ``min_lift`` times as likely to carry that cause as a random record, in at least
``min_count`` records).

Rain dominates the catalog, so the scores are balanced accuracy (the mean recall over the classes
present) and the recall of each class, never plain accuracy.

Examples
--------
>>> records = pd.DataFrame({"cause": ["mining"] * 6 + ["heavy_rainfall"] * 194,
...                         "setting": ["mine"] * 10 + ["road"] * 190})
>>> leakage_guard(records, ["setting"])
Traceback (most recent call last):
...
lslib.models.catalog_cause.LeakageError: 'setting' encodes the target: the catalog derives the cause from it
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lslib.causes import OTHER_UNKNOWN

__all__ = [
    "TARGET_ENCODING_COLUMNS",
    "FEATURES",
    "LeakageError",
    "leakage_guard",
    "cause_records",
    "design_matrix",
    "fit_cause_model",
    "transfer_predictions",
    "inregion_predictions",
    "date_clusters",
]

#: GLC columns that state or imply the trigger: never features of a cause model.
TARGET_ENCODING_COLUMNS = ("trigger", "cause", "setting", "setting_cause", "description")
#: The inputs of the cause model: month, location (lat, lon), landslide category and size.
FEATURES = ("month", "location", "category", "size")


class LeakageError(ValueError):
    """A feature that encodes the target of the model."""


def leakage_guard(
    frame: pd.DataFrame,
    features: Sequence[str],
    target: str = "cause",
    min_count: int = 5,
    min_lift: float = 10.0,
    max_levels: int = 50,
) -> None:
    """Refuse features that encode ``target``.

    A feature is refused when it is ``target`` itself or one of :data:`TARGET_ENCODING_COLUMNS`, or
    when it is categorical and one of its values carries some class in at least ``min_count``
    records while being ``min_lift`` times as likely to carry it as a random record (``mine`` ->
    mining, ``engineered_slope`` -> construction: a value that names the cause), or when it has more
    than ``max_levels`` distinct values (free text or an identifier, which can spell the cause out).
    The synthetic features ``location`` and ``month`` are numeric and checked by name only.

    Run it on the records the model is trained on (as :func:`design_matrix` does): the data rule
    needs ``min_count`` records, so on a small set a leaky column can pass. A value cannot be
    flagged for a class whose share is above ``1 / min_lift`` (rain, 98 % of the records), since
    no value can be ``min_lift`` times as likely to carry it.

    Raises
    ------
    LeakageError
        Naming the feature, and the value and class that betray it.
    """
    prior = frame[target].value_counts(normalize=True)
    for feature in features:
        if feature == target or feature in TARGET_ENCODING_COLUMNS:
            raise LeakageError(f"{feature!r} encodes the target: the catalog derives the cause from it")
        if feature not in frame or pd.api.types.is_numeric_dtype(frame[feature]):
            continue
        levels = frame[feature].nunique()
        if levels > max_levels:
            raise LeakageError(
                f"{feature!r} has {levels} distinct values (more than {max_levels}): free text or "
                "an identifier can spell the cause out; encode it first"
            )
        counts = pd.crosstab(frame[feature], frame[target])
        totals = counts.sum(axis=1)
        share = counts.div(totals, axis=0)
        lift = share / prior[share.columns]
        suspect = (counts >= min_count) & (lift >= min_lift)
        if suspect.to_numpy().any():
            value, cause = lift.where(suspect).stack().idxmax()  # the value that betrays its cause most
            raise LeakageError(
                f"{feature!r} encodes the target: {share.loc[value, cause]:.0%} of the "
                f"{int(totals[value])} records with {feature}={value!r} are {cause} "
                f"({lift.loc[value, cause]:.0f} times the base rate)"
            )


def cause_records(glc: pd.DataFrame, regions: Sequence[str] = ("america", "china", "india")) -> pd.DataFrame:
    """GLC records of ``regions`` whose trigger maps to one of the study's causes."""
    return glc[(glc["cause"] != OTHER_UNKNOWN) & glc["region"].isin(list(regions))].copy()


def design_matrix(
    records: pd.DataFrame, features: Sequence[str] = FEATURES, categories: dict[str, list[str]] | None = None
) -> tuple[np.ndarray, list[str], dict[str, list[str]]]:
    """Numeric inputs: ``month`` as sin and cos of the month angle; ``location`` as sin of latitude
    and sin and cos of longitude; categorical columns one-hot over ``categories`` (by default the
    values seen in ``records``; a value unseen there gets all zeros). Runs :func:`leakage_guard`.

    Returns
    -------
    (X, names, categories)
        The matrix ``(n, p)``, the column names and the categories used (pass them on to the test set).
    """
    leakage_guard(records, [f for f in features if f not in ("month", "location")])
    columns, names = [], []
    categories = dict(categories or {})
    for feature in features:
        if feature == "month":
            angle = 2 * np.pi * (records["month"].to_numpy(float) - 1) / 12
            columns += [np.sin(angle), np.cos(angle)]
            names += ["sin month", "cos month"]
        elif feature == "location":
            lat, lon = np.deg2rad(records["lat"].to_numpy(float)), np.deg2rad(records["lon"].to_numpy(float))
            columns += [np.sin(lat), np.sin(lon), np.cos(lon)]
            names += ["sin lat", "sin lon", "cos lon"]
        else:
            values = records[feature].astype(str)
            levels = categories.setdefault(feature, sorted(values.unique()))
            columns += [(values == level).to_numpy(float) for level in levels]
            names += [f"{feature}={level}" for level in levels]
    return np.column_stack(columns), names, categories


def fit_cause_model(x: np.ndarray, y: np.ndarray, seed: int = 0):
    """Multinomial logistic regression on standardised inputs with class weights inversely
    proportional to class frequency (so rain, 98 % of the study regions' records, does not drown the rest)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(
        StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=5000, C=1.0, random_state=seed)
    )
    return model.fit(x, y)


def transfer_predictions(
    records: pd.DataFrame,
    train_regions: Sequence[str],
    test_region: str,
    features: Sequence[str] = FEATURES,
    seed: int = 0,
    cluster_days: float = 2.0,
) -> pd.DataFrame:
    """Train on ``train_regions`` and predict every record of ``test_region``: a frame with the
    ``true`` and ``predicted`` cause of each test record, and its ``cluster`` in time (:func:`date_clusters`
    with a gap of ``cluster_days``), for intervals that resample a storm's reports together."""
    if test_region in train_regions:
        raise ValueError(f"the test region {test_region!r} is also a training region")
    train = records[records["region"].isin(list(train_regions))]
    test = records[records["region"] == test_region]
    if train.empty or test.empty:
        raise ValueError(f"no record to train on ({len(train)}) or to test on ({len(test)})")
    x_train, _, categories = design_matrix(train, features)
    x_test, _, _ = design_matrix(test, features, categories)
    model = fit_cause_model(x_train, train["cause"].to_numpy(), seed)
    clusters = date_clusters(test["date"], cluster_days) if "date" in test else np.arange(len(test))
    return pd.DataFrame(
        {"true": test["cause"].to_numpy(), "predicted": model.predict(x_test), "cluster": clusters}, index=test.index
    )


def date_clusters(dates: pd.Series | np.ndarray, gap_days: float = 2.0) -> np.ndarray:
    """Clusters of records in time: sorted by date, a new cluster starts after a gap of more than ``gap_days``
    days without a record (one storm's or one monsoon burst's reports stay together).

    Parameters
    ----------
    dates : array-like of datetime64
        One date per record, in any order.
    gap_days : float
        The longest gap, days, inside a cluster.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` int cluster of each record, in the records' order, numbered from 0 in time.

    Examples
    --------
    >>> days = pd.to_datetime(["2010-09-19", "2010-09-01", "2010-09-20", "2010-09-03", "2011-07-01"])
    >>> date_clusters(days).tolist()
    [1, 0, 1, 0, 2]
    """
    day = np.asarray(pd.to_datetime(np.asarray(dates)).values.astype("datetime64[D]").astype(np.int64), float)
    order = np.argsort(day, kind="stable")
    starts = np.r_[True, np.diff(day[order]) > gap_days]
    clusters = np.empty(len(day), dtype=np.int64)
    clusters[order] = np.cumsum(starts) - 1
    return clusters


def inregion_predictions(
    records: pd.DataFrame,
    region: str,
    features: Sequence[str] = FEATURES,
    n_folds: int = 5,
    seed: int = 0,
    blocked: bool = False,
    cluster_days: float = 2.0,
) -> pd.DataFrame:
    """Cross-validation within ``region``: every record predicted by a model that never saw it (categories
    fixed on each training fold).

    Parameters
    ----------
    records : pandas.DataFrame
        :func:`cause_records`.
    region : str
        The region cross-validated.
    features : sequence of str
        Inputs of :func:`design_matrix`.
    n_folds : int
        Folds.
    seed : int
        Seed of the folds and of the model.
    blocked : bool
        Blocked cross-validation: the records of one date cluster share a fold, so a storm's reports are never
        on both sides (scikit-learn's ``StratifiedGroupKFold``). Default: stratified random folds, whose
        near-duplicate neighbours in time flatter the score.
    cluster_days : float
        The longest gap, days, inside a date cluster (:func:`date_clusters`).

    Returns
    -------
    pandas.DataFrame
        ``true`` and ``predicted`` cause of each record of the region, and ``cluster``, its date cluster (for
        intervals that resample a storm's reports together, :func:`lslib.evaluation.score_predictions`).
    """
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    local = records[records["region"] == region]
    y = local["cause"].to_numpy()
    smallest = pd.Series(y).value_counts().min()
    if smallest < n_folds:
        raise ValueError(f"the rarest cause in {region!r} has {smallest} records, fewer than n_folds={n_folds}")
    if blocked and "date" not in local:
        raise ValueError("blocked cross-validation groups records by date: the records have no 'date' column")
    clusters = date_clusters(local["date"], cluster_days) if "date" in local else np.arange(len(local))
    if blocked:
        folds = StratifiedGroupKFold(n_folds, shuffle=True, random_state=seed).split(local, y, clusters)
    else:
        folds = StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(local, y)
    predicted = np.empty(len(local), dtype=object)
    for train_index, test_index in folds:
        x_train, _, categories = design_matrix(local.iloc[train_index], features)
        x_test, _, _ = design_matrix(local.iloc[test_index], features, categories)
        predicted[test_index] = fit_cause_model(x_train, y[train_index], seed).predict(x_test)
    return pd.DataFrame({"true": y, "predicted": predicted.astype(str), "cluster": clusters}, index=local.index)
