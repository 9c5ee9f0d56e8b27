"""Ensembles of training seeds under a seed-and-site bootstrap, and tests of many comparisons at once.

A resample of :func:`lslib.evaluation.resampling.seed_site_resamples` draws ``n`` seeds with replacement, so the
ensemble it scores is the mean of the drawn members (repeats count twice). :class:`SeedEnsembles` keeps each
arm's ``(seed, case)`` scores, ranks each distinct draw of members once (there are few: 126 multisets of 5
seeds) and scores a resample of cases as weights, so a thousand resamples of many arms stay cheap.
:func:`bootstrap_p_value` and :func:`holm` turn a family of bootstrap differences into adjusted p-values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from lslib.evaluation.classification import RankedScores

__all__ = ["SeedEnsembles", "bootstrap_p_value", "holm"]


class SeedEnsembles:
    """The AUROC of seed ensembles of several arms on the same labelled cases.

    Parameters
    ----------
    labels : array of 0/1, shape (n,)
        The cases' labels.
    members : mapping of str to array, shape (seeds, n)
        Each arm's probabilities, one row per training seed (arms may have different numbers of seeds).

    Examples
    --------
    >>> labels = np.array([0, 0, 1, 1])
    >>> arms = SeedEnsembles(labels, {"a": np.array([[0.1, 0.4, 0.35, 0.8], [0.2, 0.1, 0.6, 0.7]])})
    >>> arms.auroc("a"), arms.auroc("a", seeds=[1, 1])  # both seeds; seed 1 drawn twice
    (1.0, 1.0)
    >>> arms.auroc("a", seeds=[0, 0], weights=np.array([1.0, 1.0, 1.0, 0.0]))
    0.5
    """

    def __init__(self, labels: np.ndarray, members: Mapping[str, np.ndarray]) -> None:
        self.labels = np.asarray(labels).astype(int)
        self.members = {name: np.asarray(scores, float) for name, scores in members.items()}
        for name, scores in self.members.items():
            if scores.ndim != 2 or scores.shape[1] != len(self.labels):
                raise ValueError(f"{name!r}: scores must be (seeds, {len(self.labels)}), got {scores.shape}")
        self._ranked: dict[tuple, RankedScores] = {}

    def n_seeds(self, name: str) -> int:
        """Training seeds of an arm."""
        return len(self.members[name])

    def scores(self, name: str, seeds: Sequence[int] | None = None) -> np.ndarray:
        """The ensemble's probabilities: the mean over ``seeds`` (indices into the arm's rows; default all)."""
        rows = self.members[name]
        return rows.mean(axis=0) if seeds is None else rows[np.asarray(seeds)].mean(axis=0)

    def auroc(self, name: str, seeds: Sequence[int] | None = None, weights: np.ndarray | None = None) -> float:
        """The AUROC of arm ``name``'s ensemble of ``seeds`` (a multiset: order does not matter), with case
        ``weights`` (how often each case was drawn; default 1 each)."""
        drawn = tuple(range(self.n_seeds(name))) if seeds is None else tuple(sorted(int(s) for s in seeds))
        key = (name, drawn)
        if key not in self._ranked:
            self._ranked[key] = RankedScores(self.labels, self.scores(name, drawn))
        return self._ranked[key].auroc(np.ones(len(self.labels)) if weights is None else weights)


def bootstrap_p_value(draws: Sequence[float] | np.ndarray, value: float, null: float = 0.0) -> float:
    """Two-sided bootstrap p-value of ``value = null``: the share of the draws, re-centred on ``null``, at least as
    far from it as ``value`` is, either side (counting the observed value itself, so never 0).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> bootstrap_p_value(rng.normal(0.1, 0.02, 1999), 0.1)  # five sd from zero: only the observed value
    0.0005
    >>> bootstrap_p_value(rng.normal(0.0, 0.02, 2000), 0.0)
    1.0
    """
    draws = np.asarray(draws, float)
    draws = draws[np.isfinite(draws)]
    if not len(draws) or not np.isfinite(value):
        return float("nan")
    centred = draws - draws.mean() + null
    extreme = np.abs(centred - null) >= abs(value - null)
    return float((extreme.sum() + 1) / (len(draws) + 1))


def holm(p_values: Mapping[str, float]) -> dict[str, float]:
    """Holm's step-down adjustment of a family of p-values (controls the family-wise error rate).

    Examples
    --------
    >>> holm({"a": 0.01, "b": 0.04, "c": 0.03})
    {'a': 0.03, 'b': 0.06, 'c': 0.06}
    """
    names = [name for name in p_values if np.isfinite(p_values[name])]
    order = sorted(names, key=lambda name: p_values[name])
    adjusted, running = {}, 0.0
    for rank, name in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p_values[name]))
        adjusted[name] = round(running, 12)
    return {name: adjusted.get(name, float("nan")) for name in p_values}
