"""Chapter 4's workflow around the predictor: forecasting windows, an ensemble with temperature
scaling, baselines and ablations on the same held-out windows, and paired evaluation.

Kept here so the notebook only tells the story. Every model is scored on the same test windows
(all sites of the test split, at every lead) and every interval comes from the same cluster
bootstrap over *sites*, so differences between models are paired.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import torch
import xarray as xr

from lslib import evaluation
from lslib.analysis.shortcuts import BOOKKEEPING_FEATURES, TIMING_FEATURES, timing_shortcut_auroc
from lslib.book.report import Finding, interval_of, value_of
from lslib.causes import N_CAUSES
from lslib.data.augment import SyntheticClouds
from lslib.data.dataset import LandslideDataset
from lslib.data.indices import ndvi_stack
from lslib.data.splits import FORECAST_FRACTIONS
from lslib.evaluation.classification import slid_mean
from lslib.models.baselines import ndvi_drop_score, random_forest_baseline
from lslib.models.predictor import PredictorConfig
from lslib.training.ensemble import combine, predict, train_member
from lslib.training.loop import TrainConfig

__all__ = [
    "SPLIT_FRACTIONS",
    "ABLATIONS",
    "ABLATION_KEYS",
    "ECE_BAR",
    "window_datasets",
    "window_hand_features",
    "tuned_forest",
    "ablation_table",
    "window_ndvi_scores",
    "train_models",
    "score_table",
    "lead_table",
    "cause_report",
    "cloud_robustness",
    "drop_difference",
    "interval_table",
    "confidence_table",
    "ablation_verdict",
    "skill_verdict",
    "ece_bar",
    "ece_verdict",
    "cloud_verdict",
    "verdicts",
    "timing_shortcut",
    "BOOKKEEPING_FEATURES",
    "SHORTCUT_AUROC_MAX",
    "summary",
]

SPLIT_FRACTIONS = FORECAST_FRACTIONS  # train, validation, test sites: a large test set for tight intervals
ABLATIONS: dict[str, dict[str, Any]] = {
    "mean pooling": {"pooling": "mean"},
    "no metadata": {"use_meta": False},
    "no SAR": {"use_sar": False},
}
#: The short name of each ablation in the run report (``auroc_<key>``, ``auroc_diff_<key>_vs_member``).
ABLATION_KEYS = {"mean pooling": "meanpool", "no metadata": "no_meta", "no SAR": "no_sar"}
#: The smallest calibration error the chapter asks for; the bar is this or the noise floor, the larger.
ECE_BAR = 0.05


#: Highest AUROC a classifier on the windows' timing alone may reach before the windows count as leaking the label.
SHORTCUT_AUROC_MAX = 0.55


def timing_shortcut(
    stack: xr.Dataset,
    datasets: Mapping[str, LandslideDataset],
    seed: int,
    features: tuple[str, ...] = TIMING_FEATURES,
) -> float:
    """AUROC of a classifier on the timing of chapter 4's windows alone (valid frames, span, position in the series
    and the year, radar frames; or the subset ``features``), cross-validated by site over the windows of every
    split (:func:`lslib.analysis.shortcuts.timing_shortcut_auroc`); recorded as ``shortcut_auroc_timing``, and
    without the season as ``shortcut_auroc_bookkeeping``."""
    windows = pd.concat([dataset.window_bounds() for dataset in datasets.values()], ignore_index=True)
    return timing_shortcut_auroc(stack, windows, seed=seed, features=features)


def window_datasets(
    stack: xr.Dataset, max_lead: int, max_frames: int, max_sar_frames: int, seed: int, train_clouds: float = 0.3
) -> dict[str, LandslideDataset]:
    """Forecasting windows (leads 1..``max_lead`` revisits) of the train, val and test sites.

    The training windows get fresh synthetic clouds on a ``train_clouds`` share of their frames
    each epoch (cloud augmentation); validation and test windows are left as observed.
    """
    if max_lead < 1:
        raise ValueError(f"max_lead must be >= 1 revisit, got {max_lead}")
    common = {
        "leads": tuple(range(1, max_lead + 1)),
        "max_frames": max_frames,
        "max_sar_frames": max_sar_frames,
        "fractions": SPLIT_FRACTIONS,
        "seed": seed,
    }
    augment = SyntheticClouds(train_clouds, seed=seed + 1, per_sample=False) if train_clouds > 0 else None
    return {
        "train": LandslideDataset(stack, split="train", transforms=augment, **common),
        "val": LandslideDataset(stack, split="val", **common),
        "test": LandslideDataset(stack, split="test", **common),
    }


def _window_frames(dataset: LandslideDataset, index: int) -> tuple[int, np.ndarray]:
    position, _, last = (int(v) for v in dataset.windows[index])
    dates = dataset.stack["date"].values[dataset.sites[position]]
    frames = np.arange(max(0, last - dataset.max_frames + 1), last + 1)
    return int(dataset.sites[position]), frames[~np.isnat(dates[frames])]


def window_hand_features(stack: xr.Dataset, dataset: LandslideDataset) -> np.ndarray:
    """Hand features of every window of ``dataset`` (the frames the predictor sees), for the random
    forest (Ghorbanzadeh et al. 2019 in spirit): NDVI mean, minimum and drop over the window (clear
    pixels), the largest share of bare pixels (NDVI < 0.3) in a frame, mean and 90th-percentile slope
    (degrees), and the rain of the 7 and 30 days (mm) before the window's last frame. Shape ``(n, 8)``."""
    ndvi = ndvi_stack(stack).values
    slope = stack["slope"].values
    rain_7d, rain_30d = stack["rain_7d"].values, stack["rain_30d"].values
    rows = []
    for index in range(len(dataset)):
        site, frames = _window_frames(dataset, index)
        pixels = ndvi[site, frames].reshape(len(frames), -1)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            series = np.nanmedian(pixels, axis=1)
            bare = np.nanmean(np.where(np.isfinite(pixels), pixels < 0.3, np.nan), axis=1)
        series = np.where(np.isfinite(series), series, np.nanmean(series) if np.isfinite(series).any() else 0.5)
        half = max(1, len(series) // 2)
        rows.append(
            [
                series.mean(),
                series.min(),
                series[:half].mean() - series[-2:].mean(),
                np.nanmax(bare) if np.isfinite(bare).any() else 0.0,
                slope[site].mean(),
                np.percentile(slope[site], 90),
                rain_7d[site, frames[-1]],
                rain_30d[site, frames[-1]],
            ]
        )
    return np.nan_to_num(np.asarray(rows, dtype=float))


def tuned_forest(
    train_x: np.ndarray,
    train_y: np.ndarray,
    val_x: np.ndarray,
    val_y: np.ndarray,
    seed: int,
    leaves: tuple[int, ...] = (3, 10, 30, 100),
):
    """The random-forest baseline with its leaf size chosen on the validation windows (by AUROC), so
    it is not a forest that memorised its training sites. Returns (forest, chosen leaf size,
    validation AUROC per leaf size)."""
    scores = {}
    forests = {}
    for leaf in leaves:
        forests[leaf] = random_forest_baseline(train_x, train_y, seed=seed, min_samples_leaf=leaf)
        scores[leaf] = evaluation.auroc(val_y, forests[leaf].predict_proba(val_x)[:, 1])
    best = max(scores, key=scores.get)
    return forests[best], best, scores


def ablation_table(
    labels: np.ndarray, scores: dict[str, np.ndarray], resamples: list[np.ndarray], reference: str
) -> pd.DataFrame:
    """Each ablation's AUROC and its paired difference to ``reference`` (the full model trained with
    the same seed), with 95% intervals over the same resamples."""
    rows = evaluation.paired_bootstrap(evaluation.auroc, labels, scores, resamples, reference=reference)
    table = pd.DataFrame(rows).T[["value", "low", "high", "diff", "diff_low", "diff_high"]]
    table.columns = ["AUROC", "AUROC low", "AUROC high", f"Δ vs {reference}", "Δ low", "Δ high"]
    return table


def window_ndvi_scores(stack: xr.Dataset, dataset: LandslideDataset) -> np.ndarray:
    """The NDVI-drop threshold baseline (:func:`lslib.models.baselines.ndvi_drop_score`) per window."""
    ndvi = ndvi_stack(stack).values
    scores = np.empty(len(dataset))
    for index in range(len(dataset)):
        site, frames = _window_frames(dataset, index)
        scores[index] = ndvi_drop_score(ndvi[site, frames][None], np.ones((1, len(frames)), bool))[0]
    return scores


def train_models(
    datasets: dict[str, LandslideDataset],
    model_config: PredictorConfig,
    train_config: TrainConfig,
    n_members: int,
    batch_size: int = 64,
) -> dict[str, Any]:
    """The attention ensemble (members seeded ``seed``, ``seed + 1`` ...) and one model per ablation
    (seeded like member 1, so each ablation differs from it by one switch only).

    Returns
    -------
    dict
        ``members`` (list of models), ``ablations`` (name -> model), ``histories`` (name -> History)
        and ``seconds`` (name -> training time).
    """
    if n_members < 1:
        raise ValueError(f"n_members must be >= 1, got {n_members}")
    out: dict[str, Any] = {"members": [], "ablations": {}, "histories": {}, "seconds": {}}
    for k in range(n_members):
        name = f"attention member {k + 1}"
        model, history, seconds = train_member(
            datasets, model_config, replace(train_config, seed=train_config.seed + k, name=name), batch_size
        )
        out["members"].append(model)
        out["histories"][name], out["seconds"][name] = history, seconds
    for name, switches in ABLATIONS.items():
        model, history, seconds = train_member(
            datasets, replace(model_config, **switches), replace(train_config, name=name), batch_size
        )
        out["ablations"][name] = model
        out["histories"][name], out["seconds"][name] = history, seconds
    return out


def score_table(
    labels: np.ndarray,
    scores: dict[str, np.ndarray],
    thresholds: dict[str, float],
    resamples: list[np.ndarray],
    reference: str,
    probabilistic: set[str],
    n_bins: int = 10,
) -> pd.DataFrame:
    """AUROC, AUPRC, F1 at the validation threshold and Brier per model with 95% intervals, all on the
    same resamples, the ECE (without an interval: the percentile bootstrap of a binned ECE is biased
    upwards; compare it with :func:`lslib.evaluation.ece_floor` instead), and each model's AUROC
    difference to ``reference`` with its paired interval. Brier and ECE are left empty for scores
    that are not probabilities."""
    table = pd.DataFrame(index=list(scores))
    paired = evaluation.paired_bootstrap(evaluation.auroc, labels, scores, resamples, reference=reference)
    for name, row in paired.items():
        table.loc[name, ["AUROC", "AUROC low", "AUROC high"]] = row["value"], row["low"], row["high"]
        table.loc[name, [f"ΔAUROC vs {reference}", "Δ low", "Δ high"]] = row["diff"], row["diff_low"], row["diff_high"]
    for column, metric, names in (
        ("AUPRC", evaluation.auprc, list(scores)),
        ("Brier", evaluation.brier, [n for n in scores if n in probabilistic]),
    ):
        for name, row in evaluation.paired_bootstrap(metric, labels, {n: scores[n] for n in names}, resamples).items():
            table.loc[name, [column, f"{column} low", f"{column} high"]] = row["value"], row["low"], row["high"]
    for name in scores:  # no interval: the bootstrap of a binned ECE is biased upwards
        table.loc[name, "ECE"] = (
            evaluation.expected_calibration_error(labels, scores[name], n_bins) if name in probabilistic else np.nan
        )
    for name in scores:
        f1 = evaluation.paired_bootstrap(
            lambda y, s, t=thresholds[name]: evaluation.f1_at(y, s, t), labels, {name: scores[name]}, resamples
        )[name]
        table.loc[name, ["F1", "F1 low", "F1 high"]] = f1["value"], f1["low"], f1["high"]
    return table


def lead_table(
    labels: np.ndarray,
    leads: np.ndarray,
    sites: np.ndarray,
    scores: dict[str, np.ndarray],
    n_boot: int = 300,
    seed: int = 0,
) -> pd.DataFrame:
    """AUROC per model and lead (revisits before the event) with a site-cluster bootstrap interval."""
    rows = []
    for lead in np.unique(leads):
        pick = leads == lead
        resamples = evaluation.bootstrap_resamples(int(pick.sum()), sites[pick], n_boot, seed)
        for name, row in evaluation.paired_bootstrap(
            evaluation.auroc, labels[pick], {n: s[pick] for n, s in scores.items()}, resamples
        ).items():
            rows.append(
                {
                    "model": name,
                    "lead": int(lead),
                    "n": int(pick.sum()),
                    "AUROC": row["value"],
                    "low": row["low"],
                    "high": row["high"],
                }
            )
    return pd.DataFrame(rows)


def cause_report(
    cause_probs: np.ndarray,
    true_cause: np.ndarray,
    labels: np.ndarray,
    train_causes: np.ndarray,
    resamples: list[np.ndarray],
) -> dict[str, Any]:
    """Which trigger, for the windows that did slide: accuracy of the most probable of the six triggers
    (with a bootstrap interval), the accuracy of always answering the most common trigger of the
    training slides, the 6 x 6 confusion matrix and the recall of each trigger."""
    slid = labels > 0.5
    n_triggers = N_CAUSES - 1
    predicted = cause_probs[:, :n_triggers].argmax(axis=1)
    majority = int(np.bincount(train_causes, minlength=n_triggers).argmax())

    correct = (predicted == true_cause).astype(float)
    value = evaluation.paired_bootstrap(slid_mean, labels, {"attention": np.where(slid, correct, 0.0)}, resamples)[
        "attention"
    ]
    matrix = evaluation.confusion_matrix(true_cause[slid], predicted[slid], n_triggers)
    return {
        "accuracy": value["value"],
        "low": value["low"],
        "high": value["high"],
        "majority_accuracy": float((true_cause[slid] == majority).mean()),
        "majority_cause": majority,
        "matrix": matrix,
        "recall": evaluation.per_class_recall(matrix),
        "n": int(slid.sum()),
    }


def cloud_robustness(
    models: dict[str, Any], datasets: dict[str, LandslideDataset], seed: int, frame_fraction: float = 0.5
) -> tuple[list[dict[str, torch.Tensor]], dict[str, dict[str, np.ndarray]]]:
    """The test windows with synthetic clouds on ``frame_fraction`` of their frames (drawn once, so
    every model sees the very same clouds) and each model's predictions on them. ``models`` maps a
    name to a model or to a list of ensemble members."""
    test = datasets["test"]
    clouds = SyntheticClouds(frame_fraction, seed=seed + 2)
    clouded = [clouds(test[index]) for index in range(len(test))]
    out = {}
    for name, model in models.items():
        members = model if isinstance(model, list) else [model]
        out[name] = combine([predict(member, clouded) for member in members])
    return clouded, out


def drop_difference(
    labels: np.ndarray,
    clear: dict[str, np.ndarray],
    cloudy: dict[str, np.ndarray],
    first: str,
    second: str,
    resamples: list[np.ndarray],
) -> dict[str, float]:
    """Paired comparison of two models' cloud drops: (drop of ``first``) - (drop of ``second``), where a
    drop is AUROC on the observed test windows minus AUROC on the clouded ones, with a 95% interval
    over the same resamples. Negative: ``first`` loses less to clouds."""

    def difference(pick: np.ndarray) -> float:
        y = labels[pick]
        return (evaluation.auroc(y, clear[first][pick]) - evaluation.auroc(y, cloudy[first][pick])) - (
            evaluation.auroc(y, clear[second][pick]) - evaluation.auroc(y, cloudy[second][pick])
        )

    return dict(zip(("diff", "low", "high"), evaluation.bootstrap(difference, len(labels), resamples=resamples)))


def interval_table(
    table: pd.DataFrame, metrics_: tuple[str, ...] = ("AUROC", "AUPRC", "F1", "Brier", "ECE"), digits: int = 3
) -> pd.DataFrame:
    """The score table for reading: one ``value [low, high]`` string per metric and model, plus the
    paired difference to the reference model (empty where a metric does not apply)."""
    difference = next((c for c in table.columns if c.startswith("ΔAUROC")), None)
    bounds = {difference: ("Δ low", "Δ high")} if difference else {}
    return evaluation.interval_text(table, [*metrics_, *bounds], digits, bounds=bounds, blank_degenerate=bounds)


def confidence_table(
    spread: np.ndarray, labels: np.ndarray, probabilities: np.ndarray, n_groups: int = 4
) -> pd.DataFrame:
    """Is the ensemble's spread a useful confidence? Test windows in ``n_groups`` equal groups from
    the lowest spread (most confident) to the highest, with their Brier score and accuracy at 0.5."""
    order = np.argsort(spread, kind="stable")
    rows = []
    for rank, members in enumerate(np.array_split(order, n_groups)):
        label = "most confident" if rank == 0 else "least confident" if rank == n_groups - 1 else "middle"
        rows.append(
            {
                "group": f"{rank + 1} ({label})",
                "windows": len(members),
                "mean spread": float(spread[members].mean()),
                "Brier": evaluation.brier(labels[members], probabilities[members]),
                "accuracy at 0.5": float(((probabilities[members] >= 0.5) == (labels[members] > 0.5)).mean()),
            }
        )
    return pd.DataFrame(rows).set_index("group")


# --------------------------------------------------------------------------------------------
# Verdicts and findings: sentences generated from the numbers the chapter recorded
# --------------------------------------------------------------------------------------------


def ablation_verdict(upper: Mapping[str, float]) -> str:
    """In words, which single removal costs AUROC beyond its paired interval.

    Parameters
    ----------
    upper : mapping of str to float
        Per ablation of :data:`ABLATIONS`, the upper end of the paired 95 % interval of its AUROC
        difference to attention member 1 (the ``Δ high`` column of :func:`ablation_table`).

    Examples
    --------
    >>> ablation_verdict({"mean pooling": 0.02, "no metadata": -0.01, "no SAR": -0.03})
    'removing no metadata or no SAR lowers the AUROC beyond the interval'
    >>> ablation_verdict({"mean pooling": 0.02})
    'no single removal lowers the AUROC beyond its paired interval'
    """
    costly = [name for name in ABLATIONS if name in upper and upper[name] < 0]
    if costly:
        return "removing " + " or ".join(costly) + " lowers the AUROC beyond the interval"
    return "no single removal lowers the AUROC beyond its paired interval"


def skill_verdict(diff_low: float) -> str:
    """``"beats"`` when the paired interval of (ensemble - random forest) AUROC lies above zero,
    from its lower end ``diff_low``; else ``"does not clearly beat"``."""
    return "beats" if diff_low > 0 else "does not clearly beat"


def ece_bar(floor: float) -> float:
    """The calibration bar: the larger of :data:`ECE_BAR` and the ECE noise floor of the test sites."""
    return max(ECE_BAR, floor)


def ece_verdict(ece: float, floor: float) -> str:
    """``"within"`` when the expected calibration error ``ece`` is at most :func:`ece_bar` of
    ``floor``, else ``"above"`` (a missing ECE reads as above)."""
    return "within" if ece <= ece_bar(floor) else "above"


def cloud_verdict(low: float, high: float) -> str:
    """How the ensemble's cloud drop compares with mean pooling's, from the paired 95 % interval
    ``(low, high)`` of (drop of the ensemble) - (drop of mean pooling).

    Examples
    --------
    >>> cloud_verdict(-0.2, -0.01), cloud_verdict(0.01, 0.2), cloud_verdict(-0.1, 0.1)
    ('smaller than', 'larger than', 'not distinguishable from')
    """
    return "smaller than" if high < 0 else "larger than" if low > 0 else "not distinguishable from"


def verdicts(metrics: Mapping[str, Any]) -> dict[str, str]:
    """The verdict words the chapter's prose quotes, from its recorded metrics: ``skill_verdict``,
    ``ece_verdict`` and ``cloud_verdict`` (see the functions of the same names)."""
    low, high = (value_of(metrics, "cloud_drop_diff_vs_meanpool_ci", i) for i in (0, 1))
    return {
        "skill_verdict": skill_verdict(value_of(metrics, "auroc_diff_rf_ci_low")),
        "ece_verdict": ece_verdict(value_of(metrics, "ece_attention"), value_of(metrics, "ece_floor_p90")),
        "cloud_verdict": cloud_verdict(low, high),
    }


def _skill_finding(metrics: Mapping[str, Any]) -> Finding:
    auroc, forest = value_of(metrics, "auroc_attention"), value_of(metrics, "auroc_rf")
    diff_low, interval = value_of(metrics, "auroc_diff_rf_ci_low"), interval_of(metrics, "auroc_attention_ci")
    chance = " Its own 95 % interval reaches chance (0.5)." if interval and interval[0] <= 0.5 else ""
    if diff_low > 0:
        answer = (
            f"Yes: on held-out simulated sites the calibrated ensemble reaches AUROC {auroc:.3f}, the random "
            f"forest {forest:.3f}; the paired 95 % interval of the difference lies above zero.{chance}"
        )
    else:
        answer = (
            f"No: the calibrated ensemble reaches AUROC {auroc:.3f} against {forest:.3f} for the random forest "
            f"and does not clearly beat it (the paired interval of the difference reaches {diff_low:+.3f})."
            f"{chance}"
        )
    return Finding(
        "Does the attention ensemble forecast slides better than a random forest on hand features?",
        answer,
        auroc,
        interval,
        "simulated",
        "AUROC",
    )


def _calibration_finding(metrics: Mapping[str, Any]) -> Finding:
    ece, floor = value_of(metrics, "ece_attention"), value_of(metrics, "ece_floor_p90")
    bar = ece_bar(floor)
    word = ece_verdict(ece, floor)
    answer = (
        f"{'Yes' if word == 'within' else 'No'}: after temperature scaling the ECE is {ece:.3f}, {word} the bar "
        f"of {bar:.3f} (the larger of {ECE_BAR} and the noise floor of these sites, {floor:.3f})."
    )
    return Finding("Is its probability calibrated?", answer, ece, None, "simulated", "ECE")


def _cloud_finding(metrics: Mapping[str, Any]) -> Finding:
    attention, pooling = value_of(metrics, "cloud_drop_attention"), value_of(metrics, "cloud_drop_meanpool")
    interval = interval_of(metrics, "cloud_drop_diff_vs_meanpool_ci")
    word = cloud_verdict(*(interval or (math.nan, math.nan)))
    lead = {"smaller than": "Yes", "larger than": "No, more", "not distinguishable from": "Cannot tell"}[word]
    answer = (
        f"{lead}: with clouds added to half of the test frames the ensemble's AUROC drops by {attention:+.3f} "
        f"and mean pooling's by {pooling:+.3f}; the attention's drop is {word} mean pooling's (paired 95 % "
        "interval of the difference" + (f" {interval[0]:+.3f} to {interval[1]:+.3f})." if interval else ").")
    )
    return Finding(
        "Does the attention lose less to clouds than mean pooling?",
        answer,
        value_of(metrics, "cloud_drop_diff_vs_meanpool"),
        interval,
        "simulated",
        "AUROC drop, attention - mean pooling",
    )


def _cause_finding(metrics: Mapping[str, Any]) -> Finding:
    accuracy, majority = value_of(metrics, "cause_acc_attention"), value_of(metrics, "cause_majority_acc")
    interval = interval_of(metrics, "cause_acc_attention_ci")
    if interval and interval[0] > majority:
        answer = (
            f"Yes: the most probable trigger is right {accuracy:.0%} of the time for the test slides, its 95 % "
            f"interval above the {majority:.0%} of always answering the most common trigger."
        )
    else:
        answer = (
            f"Not beyond the obvious: the most probable trigger is right {accuracy:.0%} of the time for the "
            f"test slides, not clearly above the {majority:.0%} of always answering the most common trigger."
        )
    return Finding("Does it name the trigger of a slide?", answer, accuracy, interval, "simulated", "cause accuracy")


def _shortcut_finding(metrics: Mapping[str, Any]) -> Finding:
    value, bookkeeping = value_of(metrics, "shortcut_auroc_timing"), value_of(metrics, "shortcut_auroc_bookkeeping")
    without_season = (
        ""
        if math.isnan(bookkeeping)
        else f" Without the day of year (rain-triggered slides do cluster in the wet season): {bookkeeping:.2f}."
    )
    if math.isnan(value):
        answer = "Not measured in this run."
    elif value <= SHORTCUT_AUROC_MAX:
        answer = (
            f"No: a classifier that sees only the windows' timing (frames, span, position in the series and the "
            f"year) reaches AUROC {value:.2f}, within the {SHORTCUT_AUROC_MAX} allowed.{without_season}"
        )
    else:
        answer = (
            f"Yes, a shortcut: the windows' timing alone (frames, span, position in the series and the year) reaches "
            f"AUROC {value:.2f}, above the {SHORTCUT_AUROC_MAX} allowed: the windows of slides and of sites that stood "
            "are cut differently, so part of every model's skill here may be that timing, not the land."
            f"{without_season}"
        )
    return Finding(
        "Can the windows' timing alone give the label away?", answer, value, None, "simulated", "AUROC, timing only"
    )


def _ablation_finding(metrics: Mapping[str, Any]) -> Finding:
    differences = {
        name: [value_of(metrics, f"auroc_diff_{key}_vs_member", i) for i in range(3)]
        for name, key in ABLATION_KEYS.items()
    }
    text = ablation_verdict({name: d[2] for name, d in differences.items()})
    worst = min(differences, key=lambda name: differences[name][0] if math.isfinite(differences[name][0]) else 0.0)
    difference, low, high = differences[worst]
    answer = (
        f"{'Shown' if text.startswith('removing') else 'None shown at this size'}: against attention member 1, {text}."
    )
    interval = None if math.isnan(low) or math.isnan(high) else (low, high)
    return Finding("Which parts of the model matter?", answer, difference, interval, "simulated", f"ΔAUROC, {worst}")


def summary(metrics: Mapping[str, Any]) -> list[Finding]:
    """Chapter 4's findings, generated from the numbers it recorded.

    Parameters
    ----------
    metrics : mapping
        The chapter's recorded metrics (:func:`lslib.book.report.recorded`): the test AUROCs and ECE,
        the drops under clouds, the cause accuracy and each ablation's ``auroc_diff_<key>_vs_member``
        (value, low, high); an interval not recorded leaves its finding without one.

    Returns
    -------
    list of Finding
        Skill against the random forest, calibration, cloud robustness against mean pooling, the
        cause of a slide, the ablations, and whether the windows' timing alone gives the label away; all on
        simulated imagery.
    """
    return [
        _skill_finding(metrics),
        _calibration_finding(metrics),
        _cloud_finding(metrics),
        _cause_finding(metrics),
        _ablation_finding(metrics),
        _shortcut_finding(metrics),
    ]
