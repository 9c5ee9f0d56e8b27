"""The one resampling engine of the study: every bootstrap interval of the book is built from its parts.

An interval is made in three steps, each a function of its own:

1. :func:`resample_indices`: index arrays of ``n_boot`` resamples of ``n`` cases, drawn plainly (cases with
   replacement), by cluster (whole ``groups``, e.g. the windows of one site, travel together) or within
   ``strata`` (each class resampled on its own, so that every class stays present);
2. :func:`resample_draws`: a statistic of the cases each resample picks, skipping the resamples where the
   statistic is undefined (it raises ``ValueError``, e.g. a class is missing);
3. :func:`percentile_interval`: the percentile interval of those draws at a level.

:func:`bootstrap` does all three in one call and returns ``(value, low, high)``; :func:`paired_difference`
compares two per-unit arrays (one value per site, say) on the same resamples; :func:`paired_bootstrap`
scores several models on the *same* resamples, with each model's paired difference to a reference;
:func:`seed_site_bootstrap` resamples training seeds and test cases together (:func:`seed_site_resamples`),
so that an interval of a trained model covers its training randomness too.

Every function draws from ``numpy.random.default_rng(seed)`` and nothing else, so the same seed gives the
same resamples, and the same resamples give every model compared the same cases.

Examples
--------
>>> data = np.array([2.0, 4.0, 4.0, 5.0, 7.0, 9.0])
>>> value, low, high = bootstrap(lambda pick: data[pick].mean(), len(data), n_boot=500, seed=0)
>>> value, bool(low < value < high)
(5.166666666666667, True)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "resample_indices",
    "resample_draws",
    "percentile_interval",
    "bootstrap",
    "paired_difference",
    "paired_bootstrap",
    "bootstrap_ci",
    "bootstrap_resamples",
    "seed_site_resamples",
    "seed_site_bootstrap",
    "seed_site_intervals",
    "seed_site_draws",
]

#: A score of labelled cases, ``metric(labels, scores) -> float`` (e.g. :func:`lslib.evaluation.auroc`).
Metric = Callable[[np.ndarray, np.ndarray], float]


def resample_indices(
    n: int,
    *,
    groups: Sequence | np.ndarray | None = None,
    strata: Sequence | np.ndarray | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> list[np.ndarray]:
    """Index arrays of ``n_boot`` bootstrap resamples of ``n`` cases.

    Parameters
    ----------
    n : int
        Number of cases (at least 1).
    groups : array-like of hashable, shape (n,), optional
        The cluster of each case (for example the site of each forecasting window). Whole clusters are
        drawn with replacement, as many as there are, so that cases of one cluster, which are not
        independent, never narrow the interval as if they were. A resample then has as many cases as
        its clusters hold, not necessarily ``n``.
    strata : array-like of hashable, shape (n,), optional
        The stratum of each case (for example its true class). The cases of each stratum are
        resampled with replacement within it, so every stratum keeps its size and stays present.
        Exclusive with ``groups``.
    n_boot : int, default 1000
        Number of resamples.
    seed : int, default 0
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    list of numpy.ndarray of int
        ``n_boot`` index arrays into the cases; index ``data[pick]`` with each.

    Raises
    ------
    ValueError
        ``n`` or ``n_boot`` below 1, ``groups`` or ``strata`` not of length ``n``, or both given.

    Notes
    -----
    Per resample the generator is called exactly as the study's earlier hand-written loops called it
    (``integers(0, n, n)``; ``integers(0, n_groups, n_groups)``; ``choice(members, len(members))`` per
    stratum in sorted order), so intervals recorded before the engine existed are reproduced bit for bit.

    Examples
    --------
    >>> resample_indices(4, n_boot=2, seed=0)
    [array([3, 2, 2, 1]), array([1, 0, 0, 0])]

    A site's windows travel together:

    >>> picks = resample_indices(6, groups=[0, 0, 1, 1, 2, 2], n_boot=50, seed=0)
    >>> all(len(set(p.tolist()) & {0, 1}) in (0, 2) for p in picks)
    True

    Every class stays present, with its size:

    >>> picks = resample_indices(5, strata=["a", "a", "a", "b", "b"], n_boot=50, seed=0)
    >>> all(np.isin(p[:3], [0, 1, 2]).all() and np.isin(p[3:], [3, 4]).all() for p in picks)
    True
    """
    if n < 1 or n_boot < 1:
        raise ValueError(f"resampling needs n >= 1 cases and n_boot >= 1 resamples, got n={n}, n_boot={n_boot}")
    if groups is not None and strata is not None:
        raise ValueError("give groups (a cluster bootstrap) or strata (a stratified one), not both")
    rng = np.random.default_rng(seed)
    if groups is None and strata is None:
        return [rng.integers(0, n, n) for _ in range(n_boot)]
    labels = np.asarray(groups if groups is not None else strata)
    if len(labels) != n:
        raise ValueError(f"{'groups' if groups is not None else 'strata'} has {len(labels)} entries for {n} cases")
    unique, inverse = np.unique(labels, return_inverse=True)
    members = [np.nonzero(inverse == g)[0] for g in range(len(unique))]
    if groups is not None:
        return [
            np.concatenate([members[g] for g in rng.integers(0, len(members), len(members))]) for _ in range(n_boot)
        ]
    return [np.concatenate([rng.choice(m, len(m)) for m in members]) for _ in range(n_boot)]


def resample_draws(
    statistic: Callable[[np.ndarray], Any], resamples: Sequence[np.ndarray], progress: bool | str = False
) -> list:
    """``statistic(pick)`` for each resample ``pick``, skipping those where it is undefined.

    Parameters
    ----------
    statistic : callable
        Maps an index array to a value (a float, or anything else: a dict of floats, a list ...); raises
        ``ValueError`` where it is undefined (e.g. a class is missing from the resample).
    resamples : sequence of numpy.ndarray of int
        Index arrays, e.g. from :func:`resample_indices`.
    progress : bool or str, default False
        Show a progress bar over the resamples (a string is its label).

    Returns
    -------
    list
        The values of the statistic on the resamples where it is defined, in the order of ``resamples``.

    Raises
    ------
    ValueError
        The statistic is undefined on every resample.

    Examples
    --------
    >>> values = np.array([1.0, 2.0, 3.0])
    >>> def mean_without_case_0(pick):
    ...     if (pick == 0).any():
    ...         raise ValueError("case 0 is in the resample")
    ...     return float(values[pick].mean())
    >>> resample_draws(mean_without_case_0, [np.array([1, 2]), np.array([0, 1]), np.array([2, 2])])
    [2.5, 3.0]
    """
    draws = []
    if progress:
        from tqdm.auto import tqdm

        label = progress if isinstance(progress, str) else "bootstrap"
        resamples_shown = tqdm(resamples, desc=label, unit="resample", leave=False)
    else:
        resamples_shown = resamples
    for pick in resamples_shown:
        try:
            draws.append(statistic(pick))
        except ValueError:
            continue
    if not draws:
        raise ValueError(
            f"The statistic is undefined on every one of the {len(resamples)} resamples: too few cases to bootstrap"
        )
    return draws


def _tails(level: float) -> tuple[float, float]:
    """Lower and upper percentile (0-100) of a two-sided ``level`` interval: (2.5, 97.5) for 0.95, exactly."""
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    lower = (100 - 100 * level) / 2
    return lower, 100 - lower


def _legacy_tails(level: float) -> tuple[float, float]:
    """The tails ``50 (1 - level)`` and ``100 - 50 (1 - level)`` as :func:`bootstrap_ci`,
    :func:`paired_bootstrap` and :func:`lslib.evaluation.trends.bootstrap_slope_ci` always computed them
    (2.500000000000002 and 97.5 for 0.95): kept there so that their recorded intervals stay bit-identical.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    return 50 * (1 - level), 100 - 50 * (1 - level)


def _interval(draws: Sequence[float] | np.ndarray, tails: tuple[float, float]) -> tuple[float, float]:
    """``np.percentile(draws, tails)`` as two floats."""
    low, high = np.percentile(draws, list(tails))
    return float(low), float(high)


def percentile_interval(draws: Sequence[float] | np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of bootstrap draws.

    Parameters
    ----------
    draws : array-like of float, shape (n_draws,)
        Values of a statistic on resamples, e.g. from :func:`resample_draws`.
    level : float, default 0.95
        Coverage of the two-sided interval, in (0, 1): the tails are ``100 (1 - level) / 2`` percent each
        (2.5 and 97.5 percent for 0.95, exactly), with numpy's linear interpolation between draws.

    Returns
    -------
    low, high : float
        The lower and upper percentile of the draws.

    Raises
    ------
    ValueError
        ``level`` outside (0, 1).

    Examples
    --------
    >>> percentile_interval(np.arange(101.0))
    (2.5, 97.5)
    >>> percentile_interval(np.arange(101.0), level=0.5)
    (25.0, 75.0)
    """
    return _interval(draws, _tails(level))


def bootstrap(
    statistic: Callable[[np.ndarray], float],
    n: int,
    *,
    resamples: Sequence[np.ndarray] | None = None,
    groups: Sequence | np.ndarray | None = None,
    strata: Sequence | np.ndarray | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """A statistic of ``n`` cases and its percentile bootstrap interval, in one call.

    Parameters
    ----------
    statistic : callable
        Maps an index array into the cases to a float; raises ``ValueError`` where it is undefined, and
        such resamples are skipped.
    n : int
        Number of cases; the value is ``statistic(np.arange(n))``.
    resamples : sequence of numpy.ndarray of int, optional
        Resamples to use (e.g. shared with other comparisons); when given, ``groups``, ``strata``,
        ``n_boot`` and ``seed`` are not used.
    groups, strata : array-like, shape (n,), optional
        Cluster or stratum of each case, see :func:`resample_indices`.
    n_boot : int, default 1000
        Number of resamples.
    seed : int, default 0
        Seed of the resamples.
    level : float, default 0.95
        Coverage of the interval, see :func:`percentile_interval`.

    Returns
    -------
    value, low, high : float
        The statistic on all cases and the interval of its draws.

    Examples
    --------
    >>> sites = np.repeat(np.arange(10), 3)
    >>> data = np.arange(30.0) % 7
    >>> value, low, high = bootstrap(lambda pick: data[pick].mean(), 30, groups=sites, n_boot=300)
    >>> round(value, 3), bool(low < value < high)
    (2.833, True)
    """
    if resamples is None:
        resamples = resample_indices(n, groups=groups, strata=strata, n_boot=n_boot, seed=seed)
    low, high = percentile_interval(resample_draws(statistic, resamples), level)
    return float(statistic(np.arange(n))), low, high


def paired_difference(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    statistic: Callable[[np.ndarray], float] = np.mean,
    **options: Any,
) -> tuple[float, float, float]:
    """The statistic (by default the mean) of ``a - b`` over paired units, with its bootstrap interval.

    Parameters
    ----------
    a, b : array-like of float, shape (n,)
        One value per unit (e.g. per site) for each of the two things compared, paired by position.
    statistic : callable, default numpy.mean
        Maps the resampled differences, shape (m,), to a float.
    **options
        ``resamples``, ``groups``, ``strata``, ``n_boot``, ``seed`` and ``level``, as in :func:`bootstrap`,
        over the units (``groups``: the cluster of each unit, when several units belong to one site).

    Returns
    -------
    diff, low, high : float
        ``statistic(a - b)`` and its percentile interval. Swapping ``a`` and ``b`` negates all three
        (and swaps ``low`` and ``high``), up to rounding.

    Raises
    ------
    ValueError
        ``a`` and ``b`` differ in shape.

    Examples
    --------
    >>> a, b = np.array([0.9, 0.8, 0.85, 0.7]), np.array([0.8, 0.8, 0.7, 0.6])
    >>> diff, low, high = paired_difference(a, b, n_boot=200, seed=0)
    >>> round(diff, 4), bool(0 <= low <= diff <= high)
    (0.0875, True)
    """
    if np.shape(a) != np.shape(b) or np.ndim(a) != 1:
        raise ValueError(f"a {np.shape(a)} and b {np.shape(b)} must be 1-D arrays of one shape")
    differences = np.asarray(a, float) - np.asarray(b, float)
    return bootstrap(lambda pick: statistic(differences[pick]), len(differences), **options)


def paired_bootstrap(
    metric: Metric,
    labels: Sequence | np.ndarray,
    scores: dict[str, np.ndarray],
    resamples: Sequence[np.ndarray],
    reference: str | None = None,
    level: float = 0.95,
    progress: bool | str = False,
) -> dict[str, dict[str, float]]:
    """Several models' metric with percentile intervals, all on the *same* resamples (with a progress bar
    over them when ``progress``, as in :func:`resample_draws`).

    Parameters
    ----------
    metric : callable
        ``metric(labels, scores) -> float``; raises ``ValueError`` where undefined (a class missing).
    labels : array-like, shape (n,)
        The truth of each case.
    scores : dict of str to array-like, shape (n,)
        Each model's scores of the same cases.
    resamples : sequence of numpy.ndarray of int
        Index arrays, e.g. from :func:`resample_indices`. Resamples where the metric is undefined for
        any model are skipped for every model alike.
    reference : str, optional
        A key of ``scores``: each model's difference to it is then paired per resample.
    level : float, default 0.95
        Coverage of the intervals; the tails are ``50 (1 - level)`` percent as computed in floating
        point (the convention this function always had, kept so recorded numbers stay bit-identical;
        it can differ from :func:`percentile_interval` in the last bit).

    Returns
    -------
    dict of str to dict of str to float
        Per model ``value``, ``low`` and ``high``; with ``reference`` also ``diff``, ``diff_low``,
        ``diff_high`` (the reference's own difference is 0 with an empty interval).

    Raises
    ------
    ValueError
        The metric is undefined on every resample, or ``reference`` is not a key of ``scores``.

    Examples
    --------
    >>> from lslib.evaluation.classification import auroc
    >>> labels = np.array([0, 1] * 50); good = labels + 0.1 * np.arange(100) % 0.3; bad = np.arange(100) % 7
    >>> table = paired_bootstrap(auroc, labels, {"good": good, "bad": bad}, resample_indices(100, n_boot=200),
    ...                          reference="bad")
    >>> table["good"]["value"] == 1.0 and table["good"]["diff_low"] > 0
    True
    """
    labels, names = np.asarray(labels), list(scores)
    arrays = {name: np.asarray(scores[name]) for name in names}
    if reference is not None and reference not in arrays:
        raise ValueError(f"reference {reference!r} is not among the scores {names}")
    try:
        draws = resample_draws(
            lambda pick: [metric(labels[pick], arrays[name][pick]) for name in names], resamples, progress
        )
    except ValueError:
        raise ValueError(
            f"The metric is undefined on every one of the {len(resamples)} resamples "
            "(a class is missing from all of them): too few cases to bootstrap"
        ) from None
    columns = {name: [d[k] for d in draws] for k, name in enumerate(names)}
    tails = _legacy_tails(level)
    table: dict[str, dict[str, float]] = {}
    for name in names:
        value = float(metric(labels, arrays[name]))
        low, high = _interval(columns[name], tails)
        row = {"value": value, "low": low, "high": high}
        if reference is not None:
            differences = np.asarray(columns[name]) - np.asarray(columns[reference])
            row["diff"] = value - float(metric(labels, arrays[reference]))
            row["diff_low"], row["diff_high"] = _interval(differences, tails)
        table[name] = row
    return table


def bootstrap_ci(
    metric: Metric, labels: ArrayLike, scores: ArrayLike, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float, float]:
    """A metric of labelled scores and its percentile bootstrap interval over resampled cases.

    Parameters
    ----------
    metric : callable
        ``metric(labels, scores) -> float``; resamples where it raises ``ValueError`` are skipped.
    labels, scores : array-like, shape (n,)
        Truth and scores of each case.
    n_boot, seed : int, default 1000 and 0
        Number of resamples (cases drawn with replacement) and their seed.
    level : float, default 0.95
        Coverage; tails ``50 (1 - level)`` percent as this function always computed them (see
        :func:`paired_bootstrap`).

    Returns
    -------
    value, low, high : float
        The metric on all cases and its interval.

    Examples
    --------
    >>> from lslib.evaluation.classification import auroc
    >>> value, low, high = bootstrap_ci(auroc, [0, 0, 1, 1] * 10, [0.1, 0.4, 0.35, 0.8] * 10, n_boot=200)
    >>> value, low <= value <= high
    (0.75, True)
    """
    labels, scores = np.asarray(labels), np.asarray(scores)
    draws = resample_draws(
        lambda pick: metric(labels[pick], scores[pick]), resample_indices(len(labels), n_boot=n_boot, seed=seed)
    )
    low, high = _interval(draws, _legacy_tails(level))
    return float(metric(labels, scores)), low, high


def bootstrap_resamples(
    n: int, groups: Sequence | np.ndarray | None = None, n_boot: int = 1000, seed: int = 0
) -> list[np.ndarray]:
    """Index arrays of ``n_boot`` resamples of ``n`` cases, whole ``groups`` drawn together when given.

    The positional form of :func:`resample_indices` (without strata) that chapters and notebooks call.

    Examples
    --------
    >>> picks = bootstrap_resamples(6, groups=[0, 0, 1, 1, 2, 2], n_boot=50, seed=0)
    >>> all(len(set(p.tolist()) & {0, 1}) in (0, 2) for p in picks)  # a site's windows travel together
    True
    """
    return resample_indices(n, groups=groups, n_boot=n_boot, seed=seed)


def seed_site_resamples(
    n_seeds: int,
    n_cases: int,
    *,
    groups: Sequence | np.ndarray | None = None,
    strata: Sequence | np.ndarray | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Resamples of training seeds and test cases together, for a two-level (seed-and-site) bootstrap.

    A model trained with ``n_seeds`` seeds and scored on ``n_cases`` test cases varies with both: which seeds
    were drawn (training randomness) and which sites were tested. Each resample draws the seeds with replacement
    and, independently, the cases as :func:`resample_indices` does (whole ``groups`` together, or within
    ``strata``), so an interval built on them covers both sources; resampling the cases alone treats one
    seed's luck as a fact. With few seeds the percentile interval still runs a little short (on a simulated
    case with 5 seeds it covered the truth 87 % of the time at a nominal 95 %, against 70 % for resampling
    the sites alone; ``tests/evaluation/test_resampling.py``).

    Parameters
    ----------
    n_seeds : int
        Number of training seeds (at least 2: one seed has no seed-to-seed spread to resample).
    n_cases : int
        Number of test cases (windows or sites).
    groups, strata : array-like, shape (n_cases,), optional
        Clusters or strata of the cases, as in :func:`resample_indices`.
    n_boot : int, default 1000
        Number of resamples.
    seed : int, default 0
        Seed of the resampling (not a training seed).

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
        Per resample, the seed indices (``n_seeds`` of them) and the case indices.

    Raises
    ------
    ValueError
        Fewer than 2 seeds, or what :func:`resample_indices` refuses.

    Examples
    --------
    >>> pairs = seed_site_resamples(3, 6, groups=[0, 0, 1, 1, 2, 2], n_boot=4, seed=0)
    >>> len(pairs), pairs[0][0].shape, sorted(set(pairs[0][0].tolist()) | {0, 1, 2})
    (4, (3,), [0, 1, 2])
    """
    if n_seeds < 2:
        raise ValueError(f"a seed-and-site bootstrap needs at least 2 training seeds, got n_seeds={n_seeds}")
    cases = resample_indices(n_cases, groups=groups, strata=strata, n_boot=n_boot, seed=seed)
    rng = np.random.default_rng([seed, 1])  # the seeds' own stream: the case resamples equal resample_indices'
    return [(rng.integers(0, n_seeds, n_seeds), pick) for pick in cases]


def seed_site_bootstrap(
    statistic: Callable[[np.ndarray, np.ndarray], float],
    n_seeds: int,
    n_cases: int,
    resamples: Sequence[tuple[np.ndarray, np.ndarray]],
    level: float = 0.95,
) -> tuple[float, float, float]:
    """A statistic of seeds and cases with its percentile interval over seed-and-site resamples.

    Parameters
    ----------
    statistic : callable
        ``statistic(seed_indices, case_indices) -> float``, e.g. the AUROC of the seeds' mean score on the picked
        cases, or the difference of two models' mean AUROC over the picked seeds; resamples where it raises
        ``ValueError`` are skipped, as in :func:`resample_draws`.
    n_seeds, n_cases : int
        Number of training seeds and of test cases; the value is ``statistic(arange(n_seeds), arange(n_cases))``.
    resamples : sequence of (numpy.ndarray, numpy.ndarray)
        From :func:`seed_site_resamples` (share them to compare several models on the same draws).
    level : float, default 0.95
        Coverage of the interval, see :func:`percentile_interval`.

    Returns
    -------
    value, low, high : float
        The statistic on all seeds and cases, and the interval of its draws (a ``ValueError`` from
        :func:`resample_draws` when no resample defines it).

    Examples
    --------
    >>> scores = np.array([[0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0], [0.5, 1.5, 2.5, 3.5]])  # (seed, case)
    >>> pairs = seed_site_resamples(3, 4, n_boot=200)
    >>> value, low, high = seed_site_bootstrap(lambda s, c: scores[np.ix_(s, c)].mean(), 3, 4, pairs)
    >>> value, bool(low < value < high)
    (2.0, True)
    """
    value = float(statistic(np.arange(n_seeds), np.arange(n_cases)))
    draws = resample_draws(lambda pair: float(statistic(*pair)), list(resamples))
    low, high = percentile_interval(draws, level)
    return value, low, high


def seed_site_intervals(
    statistics: Callable[[np.ndarray, np.ndarray], Mapping[str, float]],
    n_seeds: int,
    n_cases: int,
    resamples: Sequence[tuple[np.ndarray, np.ndarray]],
    level: float = 0.95,
    progress: bool | str = False,
    centre: bool = False,
) -> dict[str, tuple[float, float, float]]:
    """Many statistics of seeds and cases, each with its percentile interval, from one pass over the resamples.

    :func:`seed_site_bootstrap` for a statistic that returns a mapping of names to floats (a chapter's whole
    score table), so every number shares the same draws and costs one evaluation per resample. A name whose
    value is NaN on a resample (undefined there, e.g. a lead without positives) skips that draw.

    Parameters
    ----------
    statistics : callable
        ``statistics(seed_indices, case_indices) -> {name: float}``.
    n_seeds, n_cases : int
        Training seeds and test cases: the values are ``statistics(arange(n_seeds), arange(n_cases))``.
    resamples : sequence of (numpy.ndarray, numpy.ndarray)
        From :func:`seed_site_resamples`.
    level : float, default 0.95
        Coverage of the intervals.
    progress : bool or str, default False
        A progress bar over the resamples.
    centre : bool, default False
        Re-centre each name's draws on its value before taking the percentiles (the interval keeps the draws'
        spread around the estimate). Use it for the scores of ensembles: drawing the members with replacement
        repeats some of them, so a resampled ensemble has fewer distinct members and scores lower than the
        ensemble itself, and a plain percentile interval would sit below the estimate.

    Returns
    -------
    dict of str to (value, low, high)
        NaN bounds for a name no resample defines.

    Examples
    --------
    >>> scores = np.array([[0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0]])  # (seed, case)
    >>> pairs = seed_site_resamples(2, 4, n_boot=200)
    >>> table = seed_site_intervals(lambda s, c: {"mean": scores[np.ix_(s, c)].mean()}, 2, 4, pairs)
    >>> value, low, high = table["mean"]
    >>> value, bool(low < value < high)
    (2.0, True)
    """
    values, draws = seed_site_draws(statistics, n_seeds, n_cases, resamples, progress=progress, centre=centre)
    out = {}
    for name, value in values.items():
        series = draws[name]
        low, high = percentile_interval(series, level) if len(series) else (float("nan"), float("nan"))
        out[name] = (value, low, high)
    return out


def seed_site_draws(
    statistics: Callable[[np.ndarray, np.ndarray], Mapping[str, float]],
    n_seeds: int,
    n_cases: int,
    resamples: Sequence[tuple[np.ndarray, np.ndarray]],
    progress: bool | str = False,
    centre: bool = False,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """The values of :func:`seed_site_intervals` and, per name, its finite draws (re-centred on the value with
    ``centre``), for what an interval does not give: a bootstrap p-value (:func:`lslib.evaluation.bootstrap_p_value`).

    Examples
    --------
    >>> scores = np.array([[0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0]])
    >>> values, draws = seed_site_draws(lambda s, c: {"mean": scores[np.ix_(s, c)].mean()}, 2, 4,
    ...                                 seed_site_resamples(2, 4, n_boot=50), centre=True)
    >>> values["mean"], draws["mean"].shape, bool(np.isclose(draws["mean"].mean(), 2.0))
    (2.0, (50,), True)
    """
    values = {name: float(v) for name, v in statistics(np.arange(n_seeds), np.arange(n_cases)).items()}
    raw = resample_draws(lambda pair: statistics(*pair), list(resamples), progress=progress)
    draws = {}
    for name, value in values.items():
        series = np.array([float(d.get(name, np.nan)) for d in raw])
        series = series[np.isfinite(series)]
        if centre and len(series) and np.isfinite(value):
            series = series - series.mean() + value
        draws[name] = series
    return values, draws
