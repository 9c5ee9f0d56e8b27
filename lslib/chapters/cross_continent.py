"""Chapter 6's workflow: trained on America and China, does the chapter-4 forecaster work in India?

For every region R, two forecasters of the same design and training size are scored on the same test sites of
R: one trained on R itself (in-region) and one trained on the other two regions (transfer). Both are ensembles
of :data:`N_SEEDS` or more training seeds, trained on chapter 4's fixed-horizon windows (is there a slide within
the next ``horizon_days``?) with chapter 4's site-batch trainer (:func:`lslib.training.forecast.train_seeds`).
Their test sites are **test-only**: a stack of their own, simulated with another seed (:data:`TEST_SEED_OFFSET`),
a thousand or more per region, so no test site was ever near a training batch. The gap is the in-region AUROC
minus the transfer AUROC; its interval resamples the training seeds and the test sites together
(:func:`lslib.evaluation.seed_site_intervals`), the hierarchical bootstrap of chapter 4.

On the target region (a parameter, India by default) the same comparison is repeated with one input changed
at a time (:data:`ABLATIONS`): no location (latitude and longitude removed, weather and season kept), the season
relative to the region's wet-season peak, no Sentinel-1, and per-site normalisation of the bands. Each is a
Δgap with its interval. The mitigations (:data:`MITIGATIONS`) change the transfer forecaster only and are
scored as a gain over the plain one, Holm-corrected as a family.

The unlabelled target imagery that BatchNorm adaptation and DANN read is the target region's chapter-1 sites
(the in-region pool), never its test sites. Normalisation statistics always come from the protocol's
training and validation sites.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from lslib import evaluation
from lslib.book.report import Answer, Finding, answers, interval_of, value_of
from lslib.data.batches import SiteBatches
from lslib.data.dataset import LandslideDataset
from lslib.data.input_variants import relative_season, site_referenced, wet_season_peak_doy, without_location
from lslib.data.sim import normalised_like, with_training_statistics
from lslib.data.splits import RegionSplit
from lslib.models.dann import DomainAdversarialPredictor
from lslib.models.predictor import PredictorConfig, SpatioTemporalPredictor
from lslib.training import adapt
from lslib.training.forecast import TrainedSeed, predict_windows, train_seeds
from lslib.training.loop import TrainConfig

__all__ = [
    "PROTOCOLS",
    "TEST_SEED_OFFSET",
    "N_SEEDS",
    "HORIZON_DAYS",
    "PERMUTATIONS",
    "Variant",
    "DannBuilder",
    "BASELINE",
    "ABLATIONS",
    "REMOVED_BY",
    "MITIGATIONS",
    "GAP_HALF_WIDTH_MAX",
    "protocol_datasets",
    "variant_views",
    "Recipe",
    "train_variant",
    "predict_variant",
    "run_arm",
    "test_windows_like",
    "record_gaps",
    "record_variants",
    "hidden_features",
    "prose",
    "TransferScores",
    "gap_intervals",
    "transfer_table",
    "ablation_table",
    "mitigation_table",
    "shift_ratio",
    "region_shift",
    "band_samples",
    "place",
    "slug",
    "gap_verdict",
    "carry_verdict",
    "summary",
]

PROTOCOLS = ("in-region", "transfer")
#: The test-only stack is simulated with ``seed + TEST_SEED_OFFSET`` (chapter 4's uses ``seed + 10000``).
TEST_SEED_OFFSET = 20_000
#: Fewest training seeds per protocol and variant: intervals resample them.
N_SEEDS = 5
#: Chapter 4's horizon: a window is positive when its site slides within this many days of its last frame.
HORIZON_DAYS = 32.0
#: Relabellings of each permutation test of the VAE-latent shift between regions.
PERMUTATIONS = 200
#: The goal on the target region's gap: its 95 % interval at most this far either side of the estimate.
GAP_HALF_WIDTH_MAX = 0.06
#: The unlabelled target windows BatchNorm adaptation and DANN see, per batch of training sites.
_POOL_SITES_PER_BATCH = 16


@dataclass(frozen=True)
class Variant:
    """One way to build and train a forecaster: switches of its config (``model``), its inputs (``inputs``:
    None, ``"no location"``, ``"relative season"`` or ``"per-site normalisation"``), domain-adversarial
    training on the target's unlabelled windows (``dann``), and BatchNorm statistics re-estimated on them after
    training (``adapt_batchnorm``)."""

    model: dict[str, Any] = field(default_factory=dict)
    inputs: str | None = None
    dann: bool = False
    adapt_batchnorm: bool = False

    def __post_init__(self) -> None:
        if self.inputs not in _INPUTS:
            raise ValueError(f"inputs must be one of {_INPUTS}, got {self.inputs!r}")

    def training_key(self) -> tuple:
        """What the trained weights depend on: BatchNorm adaptation reuses the weights of its plain variant."""
        return tuple(sorted(self.model.items())), self.inputs, self.dann


_INPUTS = (None, "no location", "relative season", "per-site normalisation")
BASELINE = Variant()
#: What each ablation takes away: when it narrows the gap, this is what carries the shift.
REMOVED_BY: dict[str, str] = {
    "no location": "latitude and longitude",
    "relative season": "the calendar day of year",
    "no SAR": "the Sentinel-1 radar",
    "per-site normalisation": "each site's radiometric level",
}
ABLATIONS: dict[str, Variant] = {
    "no location": Variant(inputs="no location"),
    "relative season": Variant(inputs="relative season"),
    "no SAR": Variant(model={"use_sar": False}),
    "per-site normalisation": Variant(inputs="per-site normalisation"),
}
MITIGATIONS: dict[str, Variant] = {
    "per-site normalisation": Variant(inputs="per-site normalisation"),
    "BatchNorm adaptation": Variant(adapt_batchnorm=True),
    "metadata dropout": Variant(model={"meta_dropout": 0.5}),
    "DANN": Variant(dann=True),
    "no location": Variant(inputs="no location"),
}


# --------------------------------------------------------------------------------------------
# Windows of one protocol, and the variants of their inputs
# --------------------------------------------------------------------------------------------


def protocol_datasets(
    stack: xr.Dataset,
    test_stack: xr.Dataset,
    split: RegionSplit,
    protocol: str,
    test_sites: np.ndarray,
    window_frames: int,
    sar_frames: int,
    horizon_days: float,
) -> dict[str, LandslideDataset]:
    """Fixed-horizon windows of one protocol for one held-out region.

    Parameters
    ----------
    stack, test_stack : xarray.Dataset
        The chapter-1 stack (training, validation and the target pool) and the test-only stack.
    split : RegionSplit
        The held-out region's sites of ``stack`` (:func:`lslib.data.splits.region_splits` with no test share).
    protocol : {"in-region", "transfer"}
        Whose sites train the forecaster: the region's own, or as many from the other regions.
    test_sites : numpy.ndarray
        The region's sites of ``test_stack``.
    window_frames, sar_frames : int
        Landsat and Sentinel-1 frames per window.
    horizon_days : float
        A window is positive when its site slides within this many days of its last frame.

    Returns
    -------
    dict of str to LandslideDataset
        ``train``, ``val``, ``pool`` (the region's chapter-1 sites, read unlabelled by BatchNorm adaptation and
        DANN) and ``test``, all normalised with the statistics of the protocol's training and validation sites.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    if protocol == "in-region":
        train, val = split.inregion_train, split.inregion_val
    else:
        train, val = split.transfer_train, split.transfer_val
    normalised = with_training_statistics(stack, np.concatenate([train, val]))
    common = {"horizon_days": horizon_days, "max_frames": window_frames, "max_sar_frames": sar_frames}
    pool = np.sort(np.concatenate([split.inregion_train, split.inregion_val]))
    return {
        "train": LandslideDataset(normalised, sites=train, **common),
        "val": LandslideDataset(normalised, sites=val, **common),
        "pool": LandslideDataset(normalised, sites=pool, **common),
        "test": LandslideDataset(normalised_like(test_stack, normalised), sites=test_sites, **common),
    }


def _changed_inputs(dataset: LandslideDataset, inputs: str) -> LandslideDataset:
    """One dataset with its inputs changed as ``inputs`` names (see :class:`Variant`)."""
    if inputs == "no location":
        return dataset.with_meta(without_location(dataset.encoded("meta")))
    if inputs == "relative season":
        regions = dataset.stack["region"].values[dataset.sites].astype(str)
        peaks = np.array([wet_season_peak_doy(region) for region in regions])
        return dataset.with_meta(relative_season(dataset.encoded("meta"), peaks))
    return dataset.with_images(site_referenced(dataset.encoded("image"), dataset.max_frames))


def variant_views(datasets: Mapping[str, LandslideDataset], variant: Variant) -> dict[str, LandslideDataset]:
    """The same windows with the inputs ``variant`` changes (every split alike; the plain datasets otherwise)."""
    if variant.inputs is None:
        return dict(datasets)
    return {name: _changed_inputs(dataset, variant.inputs) for name, dataset in datasets.items()}


# --------------------------------------------------------------------------------------------
# Training and prediction
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipe:
    """How every forecaster of the chapter is trained: its design, its training, its seeds, the sites per
    optimisation step, the share of training frames clouded afresh each epoch, and the processes the seeds
    fan out over (:func:`lslib.training.forecast.train_seeds`; the same weights with any number)."""

    model_config: PredictorConfig
    train_config: TrainConfig
    seeds: tuple[int, ...]
    sites_per_batch: int = 8
    clouds: float = 0.3
    workers: int = 1

    def named(self, name: str) -> Recipe:
        """The same recipe, its progress bars named ``name``."""
        return replace(self, train_config=replace(self.train_config, name=name))


def train_variant(
    views: Mapping[str, LandslideDataset], variant: Variant, recipe: Recipe, dann_weight: float = 0.5
) -> list[TrainedSeed]:
    """Train ``variant``'s forecaster once per seed of ``recipe`` on ``views`` (:func:`variant_views`), on site
    batches.

    DANN pairs every training batch with a batch of unlabelled ``pool`` windows
    (:class:`lslib.models.dann.DomainAdversarialPredictor`, its reversal weight ramped up over the run); the
    returned models are the forecasters themselves. BatchNorm adaptation happens at prediction
    (:func:`predict_variant`), on the weights of the plain variant.
    """
    config = replace(recipe.model_config, **variant.model)
    train, name = recipe.train_config, recipe.train_config.name or "forecaster"
    common = {"sites_per_batch": recipe.sites_per_batch, "clouds": recipe.clouds, "name": name}
    common["workers"] = recipe.workers
    if not variant.dann:
        return train_seeds(dict(views), config, train, recipe.seeds, **common)
    steps = train.epochs * -(-len(views["train"].sites) // recipe.sites_per_batch)
    build = DannBuilder(dann_weight, steps)
    trained = train_seeds(dict(views), config, train, recipe.seeds, **common, build=build, target=views["pool"])
    return [replace(member, model=member.model.predictor.eval()) for member in trained]


@dataclass(frozen=True)
class DannBuilder:
    """Builds a domain-adversarial forecaster from a :class:`PredictorConfig` (a class, not a closure, so
    that seeds can be fanned out to worker processes): ``weight`` is the gradient reversal's final weight,
    reached after ``ramp_steps`` optimisation steps."""

    weight: float
    ramp_steps: int

    def __call__(self, settings: PredictorConfig) -> DomainAdversarialPredictor:
        return DomainAdversarialPredictor(SpatioTemporalPredictor(settings), self.weight, ramp_steps=self.ramp_steps)


def predict_variant(
    trained: Sequence[TrainedSeed],
    views: Mapping[str, LandslideDataset],
    variant: Variant,
    features: bool = False,
) -> dict[str, np.ndarray]:
    """Each seed's probabilities of the test windows, after BatchNorm adaptation on the pool if ``variant`` asks.

    Returns
    -------
    dict
        ``test`` ``(seed, window)`` probabilities; with ``features``, the first seed's hidden features of the
        validation and test windows, ``val_features`` and ``test_features`` ``(window, width)``.
    """
    out: dict[str, Any] = {"test": []}
    for k, member in enumerate(trained):
        model = member.model
        if variant.adapt_batchnorm:
            model = adapt.adapt_batchnorm(model, SiteBatches(views["pool"], _POOL_SITES_PER_BATCH))
        test = predict_windows(model, SiteBatches(views["test"], 64), hidden=features and k == 0)
        out["test"].append(evaluation.sigmoid(test["logit"]))
        if features and k == 0:
            out["test_features"] = test["hidden"]
            out["val_features"] = predict_windows(model, SiteBatches(views["val"], 64), hidden=True)["hidden"]
    out["test"] = np.stack(out["test"])
    return out


def run_arm(
    datasets: Mapping[str, LandslideDataset],
    variant: Variant,
    recipe: Recipe,
    features: bool = False,
    trained: Sequence[TrainedSeed] | None = None,
) -> dict[str, Any]:
    """Train ``variant`` on one protocol's datasets (or reuse ``trained``, e.g. the plain weights for BatchNorm
    adaptation) and predict its test windows: :func:`predict_variant`'s keys, plus ``trained`` (the seeds) and
    ``seconds`` (training time, summed over the seeds)."""
    views = variant_views(datasets, variant)
    trained = train_variant(views, variant, recipe) if trained is None else trained
    predicted = predict_variant(trained, views, variant, features=features)
    return {**predicted, "trained": list(trained), "seconds": float(sum(member.seconds for member in trained))}


def test_windows_like(dataset: LandslideDataset, test_stack: xr.Dataset, sites: np.ndarray) -> LandslideDataset:
    """Windows of other test-only ``sites``, normalised and cut exactly as ``dataset``'s (e.g. a source region's
    test-only sites seen by the target's transfer forecaster, the reference of :func:`shift_ratio`)."""
    return LandslideDataset(
        normalised_like(test_stack, dataset.stack),
        sites=sites,
        horizon_days=dataset.horizon_days,
        max_frames=dataset.max_frames,
        max_sar_frames=dataset.max_sar_frames,
    )


def record_gaps(intervals: Mapping[str, Mapping[str, tuple[float, float, float]]], report: Any) -> None:
    """Record every region's in-region and transfer AUROC and gap, with their intervals and the gap's
    half-width (the widest side of its interval), in the run report (``report``: :mod:`lslib.book.report`)."""
    names = {"inregion_auroc": "auroc all inputs, in-region", "loro_auroc": "auroc all inputs, transfer"}
    names["gap"] = "gap all inputs"
    for region, table in intervals.items():
        for key, name in names.items():
            value, low, high = table[name]
            report.record(f"{key}_{region}", value)
            report.record(f"{key}_{region}_ci", [low, high])
        value, low, high = table["gap all inputs"]
        report.record(f"gap_{region}_half_width", max(value - low, high - value))


def hidden_features(model: Any, dataset: LandslideDataset) -> np.ndarray:
    """A forecaster's hidden features ``(window, width)`` of every window of ``dataset``, in its order."""
    return predict_windows(model, SiteBatches(dataset, 64), hidden=True)["hidden"]


# --------------------------------------------------------------------------------------------
# Scores: every number of a region from the same seed-and-site resamples
# --------------------------------------------------------------------------------------------


@dataclass
class TransferScores:
    """The test-only windows of one region and every arm's ``(seed, window)`` probabilities on them.

    Arms are named ``"<variant>, <protocol>"`` (e.g. ``"all inputs, transfer"``); a mitigation's arm is
    ``"<mitigation>, transfer"``.
    """

    labels: np.ndarray
    sites: np.ndarray
    arms: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def of(cls, dataset: LandslideDataset, arms: Mapping[str, np.ndarray] | None = None) -> TransferScores:
        """The test windows of ``dataset`` (labels and sites from its window table), with ``arms`` added."""
        table = dataset.window_table()
        scores = cls(table["label"], table["site"])
        for name, probabilities in (arms or {}).items():
            scores.add(name, probabilities)
        return scores

    def add(self, name: str, probabilities: np.ndarray) -> None:
        """Add an arm's ``(seed, window)`` probabilities (all arms the same seeds and windows)."""
        if probabilities.ndim != 2 or probabilities.shape[1] != len(self.labels):
            raise ValueError(f"{name!r}: probabilities must be (seed, {len(self.labels)}), got {probabilities.shape}")
        self.arms[name] = probabilities


def gap_intervals(
    scores: TransferScores,
    variants: Sequence[str] = ("all inputs",),
    mitigations: Sequence[str] = (),
    n_boot: int = 1000,
    seed: int = 0,
) -> tuple[dict[str, tuple[float, float, float]], dict[str, float]]:
    """Ensemble AUROCs, gaps, changes of the gap and mitigation gains of one region, with seed-and-site intervals.

    Every resample draws the training seeds (one draw for every arm) and, independently, the test sites with all
    their windows (:func:`lslib.evaluation.seed_site_resamples`); an arm's ensemble is the mean of its drawn seeds
    (:class:`lslib.evaluation.SeedEnsembles`). Draws are re-centred on each estimate.

    Parameters
    ----------
    scores : TransferScores
        The region's arms: ``"<variant>, in-region"`` and ``"<variant>, transfer"`` for each of ``variants``, and
        ``"<mitigation>, transfer"`` for each of ``mitigations``.
    variants : sequence of str
        Variants compared as a gap (``all inputs`` first: the changes of the gap are against it).
    mitigations : sequence of str
        Transfer arms compared with ``all inputs, transfer``.
    n_boot, seed : int
        Resamples and their seed.

    Returns
    -------
    (intervals, p_values)
        ``{name: (value, low, high)}`` for ``auroc <arm>``, ``gap <variant>`` (in-region minus transfer),
        ``dgap <variant>`` (its gap minus the gap with all inputs: negative when the change narrows the gap) and
        ``gain <mitigation>``; and the two-sided bootstrap p-value of every ``dgap`` and ``gain`` (not adjusted).
    """
    ensembles = evaluation.SeedEnsembles(scores.labels, scores.arms)
    n_seeds = min(ensembles.n_seeds(name) for name in scores.arms)
    reference = variants[0]

    def statistics(seeds: np.ndarray, cases: np.ndarray) -> dict[str, float]:
        weights = np.bincount(cases, minlength=len(scores.labels)).astype(float)
        auroc = {name: ensembles.auroc(name, seeds, weights) for name in scores.arms}
        out = {f"auroc {name}": value for name, value in auroc.items()}
        for name in variants:
            out[f"gap {name}"] = auroc[f"{name}, in-region"] - auroc[f"{name}, transfer"]
        for name in variants[1:]:
            out[f"dgap {name}"] = out[f"gap {name}"] - out[f"gap {reference}"]
        for name in mitigations:
            out[f"gain {name}"] = auroc[f"{name}, transfer"] - auroc[f"{reference}, transfer"]
        return out

    resamples = evaluation.seed_site_resamples(
        n_seeds, len(scores.labels), groups=scores.sites, n_boot=n_boot, seed=seed
    )
    values, draws = evaluation.seed_site_draws(
        statistics, n_seeds, len(scores.labels), resamples, progress="seed-and-site bootstrap", centre=True
    )
    intervals = {name: (value, *evaluation.percentile_interval(draws[name])) for name, value in values.items()}
    tested = [name for name in values if name.startswith(("dgap ", "gain "))]
    return intervals, {name: evaluation.bootstrap_p_value(draws[name], values[name]) for name in tested}


def _row(intervals: Mapping[str, tuple[float, float, float]], key: str, label: str) -> dict[str, float]:
    value, low, high = intervals.get(key, (math.nan,) * 3)
    return {label: value, f"{label} low": low, f"{label} high": high}


def transfer_table(intervals: Mapping[str, Mapping[str, tuple[float, float, float]]]) -> pd.DataFrame:
    """The leave-one-region-out matrix: per held-out region, the in-region and transfer ensembles' AUROC and the
    gap, each with its seed-and-site interval (``intervals``: region -> :func:`gap_intervals`)."""
    rows = {}
    for region, table in intervals.items():
        rows[region] = {
            **_row(table, "auroc all inputs, in-region", "in-region AUROC"),
            **_row(table, "auroc all inputs, transfer", "transfer AUROC"),
            **_row(table, "gap all inputs", "gap"),
        }
    return pd.DataFrame(rows).T


def ablation_table(intervals: Mapping[str, tuple[float, float, float]], variants: Sequence[str]) -> pd.DataFrame:
    """Per variant (``all inputs`` first): both AUROCs, the gap and its change against all inputs (Δgap)."""
    rows = {}
    for name in variants:
        rows[name] = {
            **_row(intervals, f"auroc {name}, in-region", "in-region AUROC"),
            **_row(intervals, f"auroc {name}, transfer", "transfer AUROC"),
            **_row(intervals, f"gap {name}", "gap"),
            **_row(intervals, f"dgap {name}", "Δgap"),
        }
    return pd.DataFrame(rows).T


def mitigation_table(
    intervals: Mapping[str, tuple[float, float, float]], p_values: Mapping[str, float], mitigations: Sequence[str]
) -> pd.DataFrame:
    """Per mitigation: the transfer AUROC, its gain over the plain transfer ensemble with its interval, the
    bootstrap p-value, Holm's adjustment over the family and the share of the gap it closes (``gain / gap``, left
    empty unless the gap's interval lies above 0: a share of a gap that may be nothing means nothing)."""
    adjusted = evaluation.holm({name: p_values[f"gain {name}"] for name in mitigations})
    gap, gap_low, _ = intervals["gap all inputs"]
    rows = {}
    for name in mitigations:
        gain = intervals[f"gain {name}"][0]
        rows[name] = {
            **_row(intervals, f"auroc {name}, transfer", "AUROC"),
            **_row(intervals, f"gain {name}", "gain"),
            "p": p_values[f"gain {name}"],
            "p (Holm)": adjusted[name],
            "gap closed": gain / gap if gap_low > 0 else math.nan,
        }
    return pd.DataFrame(rows).T


def record_variants(ablations: pd.DataFrame, mitigations: pd.DataFrame, report: Any) -> None:
    """Record the target's gap and Δgap per variant (:func:`ablation_table`) and each mitigation's gain, p-values
    and share of the gap closed (:func:`mitigation_table`), with their intervals, in the run report."""
    for name, row in ablations.iterrows():
        report.record(f"ablation_inregion_auroc_{slug(name)}", row["in-region AUROC"])
        report.record(f"ablation_transfer_auroc_{slug(name)}", row["transfer AUROC"])
        report.record(f"ablation_gap_{slug(name)}", row["gap"])
        report.record(f"ablation_gap_{slug(name)}_ci", [row["gap low"], row["gap high"]])
        if name != "all inputs":
            report.record(f"ablation_dgap_{slug(name)}", row["Δgap"])
            report.record(f"ablation_dgap_{slug(name)}_ci", [row["Δgap low"], row["Δgap high"]])
    for name, row in mitigations.iterrows():
        report.record(f"mitigation_gain_{slug(name)}", row["gain"])
        report.record(f"mitigation_gain_{slug(name)}_ci", [row["gain low"], row["gain high"]])
        report.record(f"mitigation_p_{slug(name)}", row["p"])
        report.record(f"mitigation_p_holm_{slug(name)}", row["p (Holm)"])
        report.record(f"mitigation_gap_closed_{slug(name)}", row["gap closed"])


# --------------------------------------------------------------------------------------------
# Shift between the regions
# --------------------------------------------------------------------------------------------


def shift_ratio(
    predicted: Mapping[str, np.ndarray],
    sites: Mapping[str, np.ndarray],
    n_boot: int = 200,
    seed: int = 0,
    per_site: int = 5,
) -> dict[str, float]:
    """How far the target's test windows lie from the transfer forecaster's validation windows in its own hidden
    features, against new sites of the source regions (:func:`lslib.evaluation.shift_ratio`).

    Parameters
    ----------
    predicted : mapping
        Hidden features ``(window, width)``: ``source`` (the transfer forecaster's validation windows), ``target``
        (the target region's test-only windows) and ``reference`` (test-only windows of the source regions). None
        holds a training site.
    sites : mapping
        The site of each of those windows, under the same keys.
    n_boot, seed : int
        Resamples of the sites, and the seed of everything random.
    per_site : int
        Windows kept per site (chosen at random), so that sites with many windows do not count more.
    """
    rng = np.random.default_rng(seed)
    picked, groups = {}, {}
    for name in ("source", "target", "reference"):
        labels = np.asarray(sites[name])
        keep = np.sort(
            np.concatenate([rng.permutation(np.nonzero(labels == s)[0])[:per_site] for s in np.unique(labels)])
        )
        picked[name], groups[name] = np.asarray(predicted[name])[keep], labels[keep]
    return evaluation.shift_ratio(
        picked["source"],
        picked["target"],
        picked["reference"],
        (groups["source"], groups["target"], groups["reference"]),
        n_boot=n_boot,
        seed=seed,
    )


def region_shift(
    features: np.ndarray, regions: np.ndarray, sites: np.ndarray, n_perm: int = 200, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Squared MMD between every pair of regions in a feature space, one row per site chosen at random
    (:func:`lslib.evaluation.feature_sample`), and its permutation p-values. The diagonal compares two random
    halves of a region's sites: what sampling alone gives (near 0 without a shift)."""
    names = sorted(set(np.asarray(regions).tolist()))
    mmd = pd.DataFrame(np.nan, index=names, columns=names)
    p_values = mmd.copy()
    rng = np.random.default_rng(seed)
    for i, a in enumerate(names):
        for b in names[i:]:
            if a == b:
                members = rng.permutation(np.unique(sites[regions == a]))
                half = np.isin(sites, members[: len(members) // 2])
                pick_a, pick_b = (regions == a) & half, (regions == a) & ~half
            else:
                pick_a, pick_b = regions == a, regions == b
            x = evaluation.feature_sample(features[pick_a], sites[pick_a], seed=seed)
            y = evaluation.feature_sample(features[pick_b], sites[pick_b], seed=seed)
            test = evaluation.mmd_test(x, y, n_perm=n_perm, seed=seed)
            mmd.loc[a, b] = mmd.loc[b, a] = test["mmd2"]
            p_values.loc[a, b] = p_values.loc[b, a] = test["p_value"]
    return mmd, p_values


def band_samples(stack: xr.Dataset, sites: np.ndarray, max_cloud: float = 0.05) -> dict[str, np.ndarray]:
    """Per nearly clear frame of ``sites`` (cloud fraction at most ``max_cloud``): the median clear-pixel
    reflectance of each Landsat band, the mean slope (degrees) of the site, and the frame's 30-day rain (mm) and
    temperature (degrees C): the raw inputs whose distributions can shift."""
    from lslib.data.qa import invalid_mask
    from lslib.data.schema import LANDSAT_BANDS

    subset = stack.isel(site=np.sort(np.asarray(sites)))
    site_index, frame_index = np.nonzero(subset["cloud_fraction"].values <= max_cloud)
    reflectance = subset["reflectance"].sel(band=list(LANDSAT_BANDS)).values[site_index, frame_index]
    clear = ~invalid_mask(subset["qa_pixel"].values[site_index, frame_index])
    seen = clear.reshape(len(clear), -1).any(axis=1)
    site_index, frame_index, reflectance, clear = site_index[seen], frame_index[seen], reflectance[seen], clear[seen]
    values = np.where(clear[:, None], reflectance, np.nan).reshape(len(site_index), len(LANDSAT_BANDS), -1)
    medians = np.nanmedian(values, axis=2)
    out = {band: medians[:, i] for i, band in enumerate(LANDSAT_BANDS)}
    out["slope"] = subset["slope"].values.reshape(subset.sizes["site"], -1).mean(axis=1)[site_index]
    out["rain_30d"] = subset["rain_30d"].values[site_index, frame_index]
    out["temperature"] = subset["temperature"].values[site_index, frame_index]
    return out


# --------------------------------------------------------------------------------------------
# The answers, generated from the recorded numbers
# --------------------------------------------------------------------------------------------


def place(region: str) -> str:
    """A region's key as the prose names it (``"india"`` -> ``"India"``)."""
    return region.title()


def slug(name: str) -> str:
    """A variant's or mitigation's name in the report's keys (``"no SAR"`` -> ``"no_sar"``)."""
    return name.replace(" ", "_").replace("-", "_").lower()


def _where(metrics: Mapping[str, Any]) -> dict[str, str]:
    """The target region and the training regions of the run, as the prose names them."""
    target = str(metrics.get("target_region", "india"))
    sources = metrics.get("source_regions") or [r for r in ("america", "china", "india") if r != target]
    return {"target": place(target), "others": " and ".join(place(r) for r in sources), "key": target}


def gap_verdict(gap: float, low: float, high: float, transfer_low: float) -> str:
    """The chapter's one-sentence answer from the target gap's interval and the transfer AUROC's lower bound."""
    if math.isnan(gap):
        return "Not measured in this run."
    if low > 0:
        return f"Not fully: trained elsewhere, the forecaster loses {gap:.3f} AUROC [{low:.3f}, {high:.3f}]."
    if high < 0:
        return f"Yes, and better: trained elsewhere, it scores {-gap:.3f} AUROC more than trained there."
    width = max(gap - low, high - gap)
    if width > GAP_HALF_WIDTH_MAX:
        return (
            f"This run cannot settle it: the gap, {gap:+.3f} [{low:+.3f}, {high:+.3f}], cannot be told from zero and "
            f"its interval is wider than ±{GAP_HALF_WIDTH_MAX}."
        )
    if transfer_low > 0.5:
        return (
            f"Yes, within {max(abs(low), abs(high)):.3f} AUROC: the forecaster trained elsewhere keeps skill and its "
            f"gap to a local one, {gap:+.3f} [{low:+.3f}, {high:+.3f}], cannot be told from zero."
        )
    return (
        f"As well as a local one, which is to say hardly at all: the gap, {gap:+.3f} [{low:+.3f}, {high:+.3f}], "
        "cannot be told from zero, but the transfer forecaster's AUROC is not clearly above chance."
    )


@answers("Trained on {others}, does the forecaster work in {target}?", "simulated", "AUROC gap, in-region - transfer")
def _gap_finding(metrics: Mapping[str, Any]) -> Answer:
    where = _where(metrics)
    gap, interval = value_of(metrics, f"gap_{where['key']}"), interval_of(metrics, f"gap_{where['key']}_ci")
    low, high = interval or (math.nan, math.nan)
    transfer = interval_of(metrics, f"loro_auroc_{where['key']}_ci") or (math.nan, math.nan)
    return Answer(gap_verdict(gap, low, high, transfer[0]), gap, interval, where)


@answers("Is the gap in {target} measured finely enough to mean something?", "simulated", "half-width, AUROC gap")
def _power_finding(metrics: Mapping[str, Any]) -> Answer:
    where = _where(metrics)
    width = value_of(metrics, f"gap_{where['key']}_half_width")
    seeds, sites = value_of(metrics, "n_seeds"), value_of(metrics, f"test_sites_{where['key']}")
    if math.isnan(width):
        return Answer("Not measured in this run.", width, None, where)
    verdict = "Yes" if width <= GAP_HALF_WIDTH_MAX else "No, a goal missed"
    return Answer(
        f"{verdict}: with {seeds:.0f} training seeds per protocol and {sites:.0f} test-only sites, the gap's "
        f"seed-and-site interval reaches {width:.3f} from its estimate (the goal is at most {GAP_HALF_WIDTH_MAX}).",
        width,
        None,
        where,
    )


def carry_verdict(
    dgaps: Mapping[str, tuple[float, float, float]],
    gap_low: float,
    aurocs: Mapping[str, tuple[float, float]] | None = None,
) -> str:
    """Which changed input narrows (or widens) the target gap beyond its interval, in words.

    ``aurocs`` (optional) holds each variant's ``(in-region, transfer)`` AUROC, ``all inputs`` included: the
    sentence then says how a narrowing change moved both (an ablation that raises the transfer AUROC is an
    exploratory lead for a mitigation, not one of the declared family).
    """
    if not dgaps:
        return "Not measured in this run."
    narrower = [name for name, (_, _, high) in dgaps.items() if high < 0]
    wider = [name for name, (_, low, _) in dgaps.items() if low > 0]
    listed = "; ".join(f"{name} {value:+.3f} [{low:+.3f}, {high:+.3f}]" for name, (value, low, high) in dgaps.items())
    if narrower:
        removed = " and ".join(REMOVED_BY.get(name, name) for name in narrower)
        verb, what = ("narrows", "what it removes") if len(narrower) == 1 else ("narrow", "what they remove")
        text = f"{' and '.join(narrower)} {verb} the gap beyond its interval, so {what} ({removed}) carries the shift"
    elif gap_low <= 0:
        text = "none can be shown to carry the shift: the gap with all inputs is not clearly above zero"
    else:
        text = "no single change narrows the gap beyond its interval, so no one input is shown to carry the shift"
    if wider:
        text += f"; {' and '.join(wider)} {'widens' if len(wider) == 1 else 'widen'} it"
    moves = ""
    if narrower and aurocs and "all inputs" in aurocs:
        base = aurocs["all inputs"]
        for name in (name for name in narrower if name in aurocs):
            (inregion, transfer), lead = aurocs[name], aurocs[name][1] > base[1]
            moves += (
                f" With {name} the transfer AUROC is {transfer:.3f} against {base[1]:.3f} with all inputs, and the "
                f"in-region one {inregion:.3f} against {base[0]:.3f}: "
                + (
                    "an exploratory lead for a mitigation, not one of the declared family."
                    if lead
                    else "the gap narrows because the local forecaster loses, not because the transfer one gains."
                )
            )
    return f"{text[:1].upper()}{text[1:]} (Δgap {listed}).{moves}"


@answers("Which input carries the shift to {target}?", "simulated", "Δgap, AUROC")
def _carry_finding(metrics: Mapping[str, Any]) -> Answer:
    where = _where(metrics)
    dgaps = {}
    for name in ABLATIONS:
        value, interval = (
            value_of(metrics, f"ablation_dgap_{slug(name)}"),
            interval_of(metrics, f"ablation_dgap_{slug(name)}_ci"),
        )
        if interval is not None:
            dgaps[name] = (value, *interval)
    gap_low = (interval_of(metrics, f"gap_{where['key']}_ci") or (math.nan, math.nan))[0]
    aurocs = {
        name: (metrics[f"ablation_inregion_auroc_{slug(name)}"], metrics[f"ablation_transfer_auroc_{slug(name)}"])
        for name in ("all inputs", *ABLATIONS)
        if f"ablation_transfer_auroc_{slug(name)}" in metrics
    }
    best = min(dgaps, key=lambda name: dgaps[name][0]) if dgaps else None
    key = dgaps[best][0] if best else math.nan
    return Answer(carry_verdict(dgaps, gap_low, aurocs), key, tuple(dgaps[best][1:]) if best else None, where)


@answers("Does a mitigation that needs no label from {target} help?", "simulated", "AUROC gain, Holm-adjusted")
def _mitigation_finding(metrics: Mapping[str, Any]) -> Answer:
    where = _where(metrics)
    rows = {}
    for name in MITIGATIONS:
        interval = interval_of(metrics, f"mitigation_gain_{slug(name)}_ci")
        if interval is not None:
            rows[name] = (
                value_of(metrics, f"mitigation_gain_{slug(name)}"),
                interval,
                value_of(metrics, f"mitigation_p_holm_{slug(name)}"),
            )
    if not rows:
        return Answer("Not measured in this run.", math.nan, None, where)
    helped = [name for name, (gain, _, p) in rows.items() if gain > 0 and p < 0.05]
    hurt = [name for name, (gain, _, p) in rows.items() if gain < 0 and p < 0.05]
    best = max(rows, key=lambda name: rows[name][0])
    gain, interval, p = rows[best]
    text = (
        f"Yes: {' and '.join(helped)} {'raises' if len(helped) == 1 else 'raise'} the transfer AUROC (Holm-adjusted "
        "p < 0.05)"
        if helped
        else f"No: no mitigation's gain survives Holm's adjustment (the largest, {best}, {gain:+.3f} "
        f"[{interval[0]:+.3f}, {interval[1]:+.3f}], adjusted p {p:.2f})"
    )
    if hurt:
        text += f"; {' and '.join(hurt)} {'lowers' if len(hurt) == 1 else 'lower'} it"
    return Answer(text + ".", gain, interval, where)


@answers("How far is {target} from {others} in the forecaster's own features?", "simulated", "MMD ratio")
def _shift_finding(metrics: Mapping[str, Any]) -> Answer:
    where = _where(metrics)
    ratio, interval = value_of(metrics, "shift_ratio_features"), interval_of(metrics, "shift_ratio_features_ci")
    if interval is None:
        return Answer("Not measured in this run.", ratio, None, where)
    farther = interval[0] > 1
    return Answer(
        f"{'Measurably farther' if farther else 'Not measurably farther'} than new sites of {where['others']} are: "
        f"the squared MMD from the validation windows to {where['target']}'s test windows is {ratio:.1f} times the "
        f"one to new {where['others']} test windows [{interval[0]:.1f}, {interval[1]:.1f}] (no training site on "
        "either side).",
        ratio,
        interval,
        where,
    )


@answers(
    "On the real catalogue, does a cause model trained elsewhere name {target}'s triggers?",
    "real",
    "balanced accuracy, transfer",
)
def _catalog_finding(metrics: Mapping[str, Any]) -> Answer:
    where = _where(metrics)
    transfer, blocked = value_of(metrics, "glc_cause_balacc_transfer"), value_of(metrics, "glc_cause_balacc_blocked")
    interval, blocked_ci = (
        interval_of(metrics, "glc_cause_balacc_transfer_ci"),
        interval_of(metrics, "glc_cause_balacc_blocked_ci"),
    )
    chance = value_of(metrics, "glc_cause_balacc_chance")
    if interval is None or blocked_ci is None:
        return Answer("Not measured: the catalogue could not be read in this run.", transfer, None, where)
    beats = {name: ci[0] > chance for name, ci in (("transfer", interval), ("local", blocked_ci))}
    words = {
        (True, True): "Both the transferred and the local model beat chance",
        (False, True): "Only the local model beats chance",
        (True, False): "Only the transferred model beats chance",
        (False, False): "Neither the transferred nor the local model clearly beats chance",
    }
    return Answer(
        f"{words[(beats['transfer'], beats['local'])]}: balanced accuracy {transfer:.2f} [{interval[0]:.2f}, "
        f"{interval[1]:.2f}] transferred, {blocked:.2f} [{blocked_ci[0]:.2f}, {blocked_ci[1]:.2f}] cross-validated "
        f"in {where['target']} in blocks of storms; chance {chance:.2f}; records of a storm are resampled together.",
        transfer,
        interval,
        where,
    )


def summary(metrics: Mapping[str, Any]) -> list[Finding]:
    """Chapter 6's findings, generated from the numbers it recorded.

    Parameters
    ----------
    metrics : mapping
        The chapter's recorded metrics (:func:`lslib.book.report.recorded`), with ``target_region`` naming the
        region the questions are about (the notebook's parameter); a missing number reads as not measured.

    Returns
    -------
    list of Finding
        The primary comparison (the target's gap) and whether it is measured finely enough; which input carries
        the shift, whether a mitigation helps and how far the target lies (simulated); and whether a cause model
        of the real catalogue transfers (real).
    """
    finders = (_gap_finding, _power_finding, _carry_finding, _mitigation_finding, _shift_finding, _catalog_finding)
    return [finder(metrics) for finder in finders]


def prose(metrics: Mapping[str, Any], findings: Sequence[Finding]) -> dict[str, str]:
    """The phrases the chapter's text glues, from its recorded metrics and its :func:`summary` (never fixed text)."""
    where = _where(metrics)
    key = where["key"]
    answers_by_name = dict(zip(("gap", "power", "carry", "mitigation", "shift", "catalog"), findings))
    text = {f"{name}_verdict": finding.answer for name, finding in answers_by_name.items()}
    catalog = text["catalog_verdict"]
    text["catalog_verdict_lower"] = catalog[:1].lower() + catalog[1:]
    regions = [r for r in ("america", "china", "india") if f"gap_{r}" in metrics]
    vae = metrics.get("shift_mmd_vae") or {}
    within = vae.get(f"{key}-{key}", math.nan)
    shifts = metrics.get(f"shift_ks_{key}") or {}
    gains = [
        f"{name} {value_of(metrics, f'mitigation_gain_{slug(name)}'):+.3f}"
        for name in MITIGATIONS
        if f"mitigation_gain_{slug(name)}" in metrics
    ]
    return {
        **text,
        "target": where["target"],
        "others": where["others"],
        "loro": f"{value_of(metrics, f'loro_auroc_{key}'):.3f}",
        "inregion": f"{value_of(metrics, f'inregion_auroc_{key}'):.3f}",
        "test_sites": f"{value_of(metrics, f'test_sites_{key}'):,.0f}",
        "n_seeds": f"{value_of(metrics, 'n_seeds'):.0f}",
        "gaps_all": ", ".join(f"{place(r)} {value_of(metrics, f'gap_{r}'):+.3f}" for r in regions),
        "gains_all": "; ".join(gains) or "not measured",
        "vae_between": f"{value_of(metrics, f'shift_mmd_vae_{key}'):.3f}",
        "vae_within": f"{within:.4f}",
        "top_input": next(iter(shifts), "not measured"),
    }
