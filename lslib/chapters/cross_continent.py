"""Chapter 6's workflow: does the chapter-4 predictor transfer to a region it has never seen?

For every region R (:func:`lslib.data.splits.region_splits`), two predictors of the same design and
the same training size are scored on the same test sites of R: one trained on R itself (in-region)
and one trained on the other two regions (transfer). The gap is their AUROC difference, paired over
the test sites. On the target region of the chapter (a parameter, India by default) the same comparison is
repeated with one input removed (which inputs carry the shift?) and with four mitigations:

* per-window normalisation (:class:`lslib.data.dataset.LandslideDataset`, ``normalisation="window"``);
* test-time BatchNorm adaptation on unlabelled target imagery (:func:`lslib.training.adapt.adapt_batchnorm`);
* metadata dropout (:class:`lslib.models.predictor.PredictorConfig` ``meta_dropout``);
* domain-adversarial training (:class:`lslib.models.dann.DomainAdversarialPredictor`).

The unlabelled target imagery of the last two is the target region's in-region training pool,
never its test sites. Normalisation statistics always come from the training sites of the protocol.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from lslib import evaluation
from lslib.book.report import Finding
from lslib.causes import N_CAUSES
from lslib.data.augment import SyntheticClouds
from lslib.data.dataset import LandslideDataset
from lslib.data.sim import normalisation_statistics
from lslib.data.splits import RegionSplit
from lslib.models import dann
from lslib.models.predictor import PredictorConfig, SpatioTemporalPredictor
from lslib.training import adapt, ensemble
from lslib.training.loop import TrainConfig

__all__ = [
    "PROTOCOLS",
    "Variant",
    "BASELINE",
    "ABLATIONS",
    "MITIGATIONS",
    "CONTROLS",
    "with_training_statistics",
    "protocol_datasets",
    "unaugmented",
    "train_variant",
    "train_variants",
    "cause_accuracy",
    "evaluate_models",
    "transfer_table",
    "readable",
    "gap_table",
    "mitigation_table",
    "feature_shift",
    "region_shift",
    "band_samples",
    "place",
    "feature_verdict",
    "skill_phrase",
    "gap_phrases",
    "carry_phrase",
    "mitigation_phrases",
    "catalog_phrase",
    "answer",
    "summary",
]

PROTOCOLS = ("in-region", "transfer")


@dataclass(frozen=True)
class Variant:
    """One way to build and train a predictor: switches of its config, its input normalisation,
    whether it is trained domain-adversarially, and on which unlabelled windows its BatchNorm
    statistics are re-estimated after training (``"target"``: the target region's in-region pool;
    ``"source"``: its own training windows without augmentation, a control; None: not at all)."""

    model: dict[str, Any] = field(default_factory=dict)
    normalisation: str = "stack"
    dann: bool = False
    adapt_batchnorm: str | None = None


BASELINE = Variant()
ABLATIONS: dict[str, Variant] = {
    "no metadata": Variant(model={"use_meta": False}),
    "no SAR": Variant(model={"use_sar": False}),
    "per-window normalisation": Variant(normalisation="window"),
}
MITIGATIONS: dict[str, Variant] = {
    "per-window normalisation": Variant(normalisation="window"),
    "BatchNorm adaptation": Variant(adapt_batchnorm="target"),
    "metadata dropout": Variant(model={"meta_dropout": 0.5}),
    "DANN": Variant(dann=True),
}
#: Controls for the mitigations: re-estimating BatchNorm on the (clean) source training windows shows
#: how much of an adaptation gain comes from dropping the training augmentation's statistics alone.
CONTROLS: dict[str, Variant] = {
    "BatchNorm on source (control)": Variant(adapt_batchnorm="source"),
}

#: The row of the mitigation table that retrains the plain transfer predictor with another seed: its "gain"
#: is what chance alone moves the AUROC.
NOISE_ROW = "transfer, second seed"


def with_training_statistics(stack: xr.Dataset, sites: np.ndarray) -> xr.Dataset:
    """A shallow copy of ``stack`` whose normalisation statistics come from ``sites`` only (the
    training sites), so no statistic of a test region leaks into its inputs."""
    out = stack.copy()
    out.attrs = dict(stack.attrs)
    out.attrs.update(normalisation_statistics(stack.isel(site=np.sort(np.asarray(sites)))))
    return out


def protocol_datasets(
    stack: xr.Dataset,
    split: RegionSplit,
    protocol: str,
    max_lead: int,
    max_frames: int,
    max_sar_frames: int,
    seed: int,
    train_clouds: float = 0.3,
) -> dict[str, LandslideDataset]:
    """Forecasting windows of one protocol (``in-region`` or ``transfer``) for one held-out region:
    ``train`` (with cloud augmentation), ``val``, ``test`` (the region's test sites) and ``target``
    (the region's in-region pool, used unlabelled by the transfer mitigations)."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    train, val = (
        (split.inregion_train, split.inregion_val)
        if protocol == "in-region"
        else (split.transfer_train, split.transfer_val)
    )
    normalised = with_training_statistics(stack, np.concatenate([train, val]))
    common = {
        "leads": tuple(range(1, max_lead + 1)),
        "max_frames": max_frames,
        "max_sar_frames": max_sar_frames,
        "seed": seed,
    }
    augment = SyntheticClouds(train_clouds, seed=seed + 1, per_sample=False) if train_clouds > 0 else None
    target = np.concatenate([split.inregion_train, split.inregion_val])
    return {
        "train": LandslideDataset(normalised, sites=train, transforms=augment, **common),
        "val": LandslideDataset(normalised, sites=val, **common),
        "test": LandslideDataset(normalised, sites=split.test, **common),
        "target": LandslideDataset(normalised, sites=target, **common),
    }


def _normalised(datasets: dict[str, LandslideDataset], normalisation: str) -> dict[str, LandslideDataset]:
    """The same windows with another normalisation (shallow copies: the encoded arrays are shared)."""
    out = {}
    for name, dataset in datasets.items():
        out[name] = copy.copy(dataset)
        out[name].normalisation = normalisation
    return out


def _train_dann(
    datasets: dict[str, LandslideDataset],
    model_config: PredictorConfig,
    train_config: TrainConfig,
    batch_size: int,
    weight: float,
) -> tuple[SpatioTemporalPredictor, Any]:
    """DANN on the training windows paired with unlabelled target windows (one training helper for
    every model: :func:`lslib.training.ensemble.train_member`)."""
    pairs = adapt.DomainPairs(datasets["train"], datasets["target"], seed=train_config.seed)
    steps = train_config.epochs * -(-len(pairs) // batch_size)

    def build() -> dann.DomainAdversarialPredictor:
        return dann.DomainAdversarialPredictor(SpatioTemporalPredictor(model_config), weight, ramp_steps=steps)

    model, history, _ = ensemble.train_member(
        datasets, model_config, train_config, batch_size, build=build, train_data=pairs
    )
    return model.predictor.eval(), history


def unaugmented(dataset: LandslideDataset) -> LandslideDataset:
    """The same windows without their training augmentation (a shallow copy)."""
    clean = copy.copy(dataset)
    clean.transforms = None
    return clean


def _adaptation_windows(datasets: dict[str, LandslideDataset], where: str) -> LandslideDataset:
    """The unlabelled windows BatchNorm adaptation reads: the target pool, or the training windows
    without their augmentation (the control)."""
    if where == "target":
        return datasets["target"]
    if where == "source":
        return unaugmented(datasets["train"])
    raise ValueError(f"adapt_batchnorm must be 'target', 'source' or None, got {where!r}")


def _fit_variant(
    datasets: dict[str, LandslideDataset],
    variant: Variant,
    model_config: PredictorConfig,
    train_config: TrainConfig,
    batch_size: int,
    dann_weight: float,
) -> dict[str, Any]:
    """Train the model of ``variant`` (its switches, normalisation and DANN; adaptation is done by
    :func:`train_variants`) and predict the validation and test windows."""
    started = time.perf_counter()
    views = _views(datasets, variant)
    config = replace(model_config, **variant.model)
    if variant.dann:
        model, history = _train_dann(views, config, train_config, batch_size, dann_weight)
    else:
        model, history, _ = ensemble.train_member(views, config, train_config, batch_size)
    windows = views["train"].window_table()
    return {
        "model": model,
        "history": history,
        "seconds": time.perf_counter() - started,
        "val": ensemble.predict(model, views["val"]),
        "test": ensemble.predict(model, views["test"]),
        "train_causes": windows["cause"][windows["label"] > 0.5],
    }


def _views(datasets: dict[str, LandslideDataset], variant: Variant) -> dict[str, LandslideDataset]:
    return _normalised(datasets, variant.normalisation) if variant.normalisation != "stack" else datasets


def train_variant(
    datasets: dict[str, LandslideDataset],
    variant: Variant,
    model_config: PredictorConfig,
    train_config: TrainConfig,
    batch_size: int = 64,
    dann_weight: float = 0.5,
) -> dict[str, Any]:
    """Train one predictor as ``variant`` says (:func:`train_variants` with one variant, no cache).

    Returns
    -------
    dict
        ``model``, ``history``, ``seconds``, ``val`` and ``test`` predictions
        (:func:`lslib.training.ensemble.predict`) and ``train_causes`` (the causes of the training slides).
    """
    return train_variants(datasets, {"variant": variant}, model_config, train_config, batch_size, dann_weight)[
        "variant"
    ]


def train_variants(
    datasets: dict[str, LandslideDataset],
    variants: dict[str, Variant],
    model_config: PredictorConfig,
    train_config: TrainConfig,
    batch_size: int = 64,
    dann_weight: float = 0.5,
    cache: dict | None = None,
) -> dict[str, dict[str, Any]]:
    """Train and predict with each of ``variants`` (name -> Variant) on one protocol's datasets.

    Variants that train the same model (same switches, normalisation, DANN, model and training
    settings, seed) share it through ``cache`` (pass one dict per protocol and region to share
    models across calls): BatchNorm adaptation reuses the plain model and only
    re-estimates its statistics; an ablation that is also a mitigation is trained once. Each
    progress bar is named ``<prefix> · <variant>`` after ``train_config.name``.
    """
    cache = {} if cache is None else cache
    runs = {}
    for name, variant in variants.items():
        key = (
            tuple(sorted(variant.model.items())),
            variant.normalisation,
            variant.dann,
            train_config.seed,
            train_config.epochs,
            train_config.lr,
            batch_size,
            dann_weight,
            repr(model_config),
        )
        if key not in cache:
            label = f"{train_config.name} · {name}" if train_config.name else name
            cache[key] = _fit_variant(
                datasets, variant, model_config, replace(train_config, name=label), batch_size, dann_weight
            )
        run = cache[key]
        if variant.adapt_batchnorm:
            started = time.perf_counter()
            views = _views(datasets, variant)
            model = adapt.adapt_batchnorm(run["model"], _adaptation_windows(views, variant.adapt_batchnorm))
            run = {
                **run,
                "model": model,
                "val": ensemble.predict(model, views["val"]),
                "test": ensemble.predict(model, views["test"]),
                "seconds": run["seconds"] + time.perf_counter() - started,
            }
        runs[name] = run
    return runs


def cause_accuracy(labels: np.ndarray, cause_probs: np.ndarray, true_cause: np.ndarray) -> np.ndarray:
    """Per window: 1.0 when the window slid and its most probable trigger is the true one, else 0.
    Averaged over the slid windows of a resample, it is the cause accuracy."""
    predicted = cause_probs[:, : N_CAUSES - 1].argmax(axis=1)
    return np.where(labels > 0.5, (predicted == true_cause).astype(float), 0.0)


def evaluate_models(runs: dict[str, dict[str, Any]], resamples: list[np.ndarray], reference: str) -> pd.DataFrame:
    """AUROC (with the paired difference to ``reference``), F1 at each model's validation threshold
    and cause accuracy on the slid windows, each with a 95% interval over the same site resamples;
    and, for scale, the cause accuracy of always answering the most common trigger of the run's
    training slides (``cause majority``; NaN when the run does not carry ``train_causes``).
    Every run must have predicted the same test windows."""
    _same_windows({reference: runs[reference], **runs})
    labels, true_cause = runs[reference]["test"]["label"], runs[reference]["test"]["cause"]
    scores = {name: run["test"]["logit"] for name, run in runs.items()}
    table = pd.DataFrame(index=list(runs))
    for name, row in evaluation.paired_bootstrap(
        evaluation.auroc, labels, scores, resamples, reference=reference
    ).items():
        table.loc[name, ["AUROC", "AUROC low", "AUROC high", "Δ", "Δ low", "Δ high"]] = (
            row["value"],
            row["low"],
            row["high"],
            row["diff"],
            row["diff_low"],
            row["diff_high"],
        )
    for name, run in runs.items():
        threshold = evaluation.best_threshold(run["val"]["label"], evaluation.sigmoid(run["val"]["logit"]))
        probability = evaluation.sigmoid(run["test"]["logit"])
        f1 = evaluation.paired_bootstrap(
            lambda y, p, t=threshold: evaluation.f1_at(y, p, t), labels, {name: probability}, resamples
        )[name]
        correct = cause_accuracy(labels, run["test"]["cause_probs"], true_cause)
        cause = evaluation.paired_bootstrap(evaluation.slid_mean, labels, {name: correct}, resamples)[name]
        table.loc[name, ["F1", "F1 low", "F1 high", "cause accuracy", "cause low", "cause high"]] = (
            f1["value"],
            f1["low"],
            f1["high"],
            cause["value"],
            cause["low"],
            cause["high"],
        )
        train_causes = run.get("train_causes")
        table.loc[name, "cause majority"] = (
            np.nan
            if train_causes is None or not len(train_causes)
            else float((true_cause[labels > 0.5] == np.bincount(train_causes).argmax()).mean())
        )
    return table


def transfer_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The leave-one-region-out matrix in one table: per held-out region, AUROC, F1 and cause accuracy
    (with the majority-cause accuracy for scale) of the in-region and the transfer predictor, and the gap
    (in-region minus transfer AUROC) with its paired 95% interval. ``tables`` maps a region to
    :func:`evaluate_models` of its two runs
    (reference ``transfer``)."""
    rows = {}
    for region, table in tables.items():
        row = {}
        for protocol in PROTOCOLS:
            for metric, low, high in (
                ("AUROC", "AUROC low", "AUROC high"),
                ("F1", "F1 low", "F1 high"),
                ("cause accuracy", "cause low", "cause high"),
            ):
                row[(protocol, metric)] = table.loc[protocol, metric]
                row[(protocol, f"{metric} low")] = table.loc[protocol, low]
                row[(protocol, f"{metric} high")] = table.loc[protocol, high]
            row[(protocol, "cause majority")] = table.loc[protocol, "cause majority"]
        row[("gap", "AUROC")] = table.loc["in-region", "Δ"]
        row[("gap", "AUROC low")] = table.loc["in-region", "Δ low"]
        row[("gap", "AUROC high")] = table.loc["in-region", "Δ high"]
        rows[region] = row
    out = pd.DataFrame(rows).T
    out.columns = pd.MultiIndex.from_tuples(out.columns)
    return out.astype(float)


def readable(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """:func:`transfer_table` for reading: ``value [low, high]`` per protocol and metric, the accuracy
    of always answering the majority cause beside each cause accuracy, and the gap."""
    out = pd.DataFrame(index=table.index)
    for protocol, metric in [(p, m) for m in ("AUROC", "F1", "cause accuracy") for p in PROTOCOLS] + [("gap", "AUROC")]:
        values = table[[(protocol, metric), (protocol, f"{metric} low"), (protocol, f"{metric} high")]].to_numpy(float)
        name = "gap (in-region − transfer AUROC)" if protocol == "gap" else f"{metric}, {protocol}"
        out[name] = [evaluation.format_interval(v, lo, hi, digits) for v, lo, hi in values]
        if metric == "cause accuracy" and (protocol, "cause majority") in table:
            out[f"majority cause, {protocol}"] = [
                evaluation.format_interval(v, digits=digits) for v in table[(protocol, "cause majority")]
            ]
    return out


def _same_windows(runs: dict[str, dict[str, Any]]) -> None:
    first_name, first = next(iter(runs.items()))
    for name, run in runs.items():
        if not (
            np.array_equal(run["test"]["site"], first["test"]["site"])
            and np.array_equal(run["test"]["lead"], first["test"]["lead"])
        ):
            raise ValueError(f"{name!r} was scored on other test windows than {first_name!r}")


def gap_table(
    runs: dict[str, dict[str, dict[str, Any]]], resamples: list[np.ndarray], reference: str = "all inputs"
) -> pd.DataFrame:
    """For each variant (name -> {"in-region": run, "transfer": run}) its in-region and transfer
    AUROC, the gap between them with a paired 95% interval, and the change of the gap against the
    ``reference`` variant (``Δgap``: negative when the variant narrows the gap), also paired over the
    same resamples."""
    flat = {(name, protocol): pair[protocol] for name, pair in runs.items() for protocol in PROTOCOLS}
    _same_windows({f"{n}, {p}": run for (n, p), run in flat.items()})
    labels = next(iter(flat.values()))["test"]["label"]
    scores = {key: run["test"]["logit"] for key, run in flat.items()}

    def gaps(pick: np.ndarray) -> dict[str, float]:
        y = labels[pick]
        return {
            name: evaluation.auroc(y, scores[(name, "in-region")][pick])
            - evaluation.auroc(y, scores[(name, "transfer")][pick])
            for name in runs
        }

    draws = evaluation.resample_draws(gaps, resamples, progress="gap bootstrap")
    point = gaps(np.arange(len(labels)))
    rows = {}
    for name in runs:
        values = np.array([d[name] for d in draws])
        low, high = evaluation.percentile_interval(values)
        rows[name] = {
            "in-region AUROC": evaluation.auroc(labels, scores[(name, "in-region")]),
            "transfer AUROC": evaluation.auroc(labels, scores[(name, "transfer")]),
            "gap": point[name],
            "gap low": low,
            "gap high": high,
        }
        if reference in runs:
            change = evaluation.percentile_interval(values - np.array([d[reference] for d in draws]))
            rows[name].update(zip(("Δgap", "Δgap low", "Δgap high"), (point[name] - point[reference], *change)))
    return pd.DataFrame(rows).T


def mitigation_table(
    runs: dict[str, dict[str, Any]], inregion: dict[str, Any], resamples: list[np.ndarray], baseline: str = "transfer"
) -> pd.DataFrame:
    """Each mitigated transfer predictor against the plain one (``runs[baseline]``): AUROC, its
    paired gain, and the share of the gap it closes, ``gain / (in-region AUROC - baseline AUROC)``
    (1: as good as in-region training; negative: worse than doing nothing). The share is left
    empty (NaN) unless the gap's paired 95% interval lies above zero: a share of a gap that may be
    nothing means nothing."""
    _same_windows({**runs, "in-region": inregion})
    labels = runs[baseline]["test"]["label"]
    scores = {name: run["test"]["logit"] for name, run in runs.items()}
    scores["in-region"] = inregion["test"]["logit"]
    result = evaluation.paired_bootstrap(evaluation.auroc, labels, scores, resamples, reference=baseline)
    gap, gap_low = result["in-region"]["diff"], result["in-region"]["diff_low"]
    rows = {}
    for name, row in result.items():
        rows[name] = {
            "AUROC": row["value"],
            "AUROC low": row["low"],
            "AUROC high": row["high"],
            "gain": row["diff"],
            "gain low": row["diff_low"],
            "gain high": row["diff_high"],
            "gap closed": row["diff"] / gap if gap_low > 0 else np.nan,
        }
    return pd.DataFrame(rows).T


def feature_shift(
    source: np.ndarray,
    target: np.ndarray,
    source_sites: np.ndarray,
    target_sites: np.ndarray,
    n_perm: int = 200,
    seed: int = 0,
) -> dict[str, float]:
    """Squared MMD (with its permutation p-value and kernel width) between two sets of feature
    vectors, one vector per site chosen at random (:func:`lslib.evaluation.shift.feature_sample`), so sites
    with many windows or frames do not count more; and the numbers of sites on each side."""
    a = evaluation.feature_sample(source, source_sites, seed=seed)
    b = evaluation.feature_sample(target, target_sites, seed=seed)
    test = evaluation.mmd_test(a, b, n_perm=n_perm, seed=seed)
    return {**test, "n_source": len(a), "n_target": len(b)}


def region_shift(
    features: np.ndarray, regions: np.ndarray, sites: np.ndarray, n_perm: int = 200, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Squared MMD between every pair of regions in a feature space (one row per site, see
    :func:`feature_shift`), and its permutation p-values. The diagonal compares two random halves of
    a region's sites: an example of what sampling alone gives (near 0, the unbiased estimate's
    expectation without a shift); whether a shift is real is what the p-values say."""
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
            result = feature_shift(features[pick_a], features[pick_b], sites[pick_a], sites[pick_b], n_perm, seed)
            mmd.loc[a, b] = mmd.loc[b, a] = result["mmd2"]
            p_values.loc[a, b] = p_values.loc[b, a] = result["p_value"]
    return mmd, p_values


def band_samples(stack: xr.Dataset, sites: np.ndarray, max_cloud: float = 0.5) -> dict[str, np.ndarray]:
    """Per usable frame of ``sites`` (cloud fraction at most ``max_cloud``): the median clear-pixel
    reflectance of each Landsat band, the mean slope (degrees) of the site, and the frame's 30-day
    rain (mm) and temperature (degrees C): the raw inputs whose distributions can shift."""
    from lslib.data.qa import invalid_mask
    from lslib.data.schema import LANDSAT_BANDS

    subset = stack.isel(site=np.sort(np.asarray(sites)))
    site_index, frame_index = np.nonzero(subset["cloud_fraction"].values <= max_cloud)
    reflectance = subset["reflectance"].sel(band=list(LANDSAT_BANDS)).values[site_index, frame_index]
    clear = ~invalid_mask(subset["qa_pixel"].values[site_index, frame_index])
    seen = clear.reshape(len(clear), -1).any(axis=1)  # frames with at least one clear pixel
    site_index, frame_index, reflectance, clear = site_index[seen], frame_index[seen], reflectance[seen], clear[seen]
    values = np.where(clear[:, None], reflectance, np.nan).reshape(len(site_index), len(LANDSAT_BANDS), -1)
    medians = np.nanmedian(values, axis=2)
    out = {band: medians[:, i] for i, band in enumerate(LANDSAT_BANDS)}
    out["slope"] = subset["slope"].values.reshape(subset.sizes["site"], -1).mean(axis=1)[site_index]
    out["rain_30d"] = subset["rain_30d"].values[site_index, frame_index]
    out["temperature"] = subset["temperature"].values[site_index, frame_index]
    return out


def place(region: str) -> str:
    """A region's key as the prose names it (``"india"`` -> ``"India"``)."""
    return region.title()


def feature_verdict(p_value: float, alpha: float = 0.05) -> str:
    """Whether a feature shift's permutation p-value says the two sets of sites differ: ``"measurably"``
    below ``alpha``, else ``"not measurably"``."""
    return "measurably" if p_value < alpha else "not measurably"


def skill_phrase(loro: pd.DataFrame, target: str) -> tuple[bool, str]:
    """Whether the transfer predictor's AUROC interval on ``target`` lies above chance, and that in words."""
    low, value = loro.loc[target, ("transfer", "AUROC low")], loro.loc[target, ("transfer", "AUROC")]
    if low > 0.5:
        return True, f"keeps skill in {place(target)} (AUROC {value:.3f}, its interval above chance)"
    return False, (
        f"is not clearly better than chance in {place(target)} (AUROC {value:.3f}, its interval reaching {low:.3f})"
    )


def gap_phrases(loro: pd.DataFrame, target: str, skilled: bool) -> tuple[str, str]:
    """The cost of training elsewhere in words, and the chapter's one-sentence answer (``lead``), from
    the gap's paired interval on ``target`` and whether the transfer predictor keeps skill."""
    gap, gap_low, gap_high = (loro.loc[target, ("gap", k)] for k in ("AUROC", "AUROC low", "AUROC high"))
    if gap_low > 0:
        return (
            f"training elsewhere costs {gap:.3f} AUROC, clearly more than nothing",
            f"Not fully: a predictor trained on the other regions loses {gap:.3f} AUROC in {place(target)}",
        )
    if gap_high < 0:
        return (
            f"training elsewhere did better, by {-gap:.3f} AUROC",
            f"Yes, at this size: the predictor trained elsewhere did better in {place(target)} than one trained there",
        )
    text = (
        f"the cost of training elsewhere, {gap:+.3f} AUROC, cannot be told from zero at this size "
        f"(interval {gap_low:+.3f} to {gap_high:+.3f})"
    )
    if skilled:
        return text, (
            "Largely yes, at this size: the predictor trained elsewhere keeps skill and its gap to a local "
            "one cannot be told from zero"
        )
    return text, (
        "This run cannot settle it: the transfer predictor is not clearly better than chance and its gap "
        "to a local one cannot be told from zero; the full profile has to decide"
    )


def carry_phrase(ablations: pd.DataFrame) -> str:
    """Which removed input narrows the gap beyond its paired interval (:func:`gap_table`, with a row
    ``all inputs``), in words."""
    narrower = [n for n in ablations.index if n != "all inputs" and ablations.loc[n, "Δgap high"] < 0]
    if ablations.loc["all inputs", "gap low"] <= 0:
        return (
            "the gap with all inputs is not clearly above zero, so there is no measured shift cost to "
            "attribute to an input"
        )
    if narrower:
        return (
            f"the gap narrows beyond its paired interval with {' and with '.join(narrower)}, so what that "
            "change removes carries the shift"
        )
    return "no change narrows the gap beyond its paired interval, so no single input is shown to carry the shift"


def _tried(mitigation: pd.DataFrame, noise: str) -> tuple[pd.DataFrame, float]:
    """The mitigations proper (no baseline, reference, noise row or control) and the seed-to-seed change."""
    spread = abs(float(mitigation.loc[noise, "gain"])) if noise in mitigation.index else 0.0
    dropped = [n for n in mitigation.index if n in ("transfer", "in-region", noise) or "control" in n]
    return mitigation.drop(index=dropped), spread


def mitigation_phrases(mitigation: pd.DataFrame, noise: str = NOISE_ROW) -> dict[str, str]:
    """What the mitigations of :func:`mitigation_table` did, in words: ``mitigation``,
    ``mitigation_short`` and ``seed`` (see :func:`answer`)."""
    tried, spread = _tried(mitigation, noise)
    helped = [n for n in tried.index if tried.loc[n, "gain low"] > 0 and tried.loc[n, "gain"] > spread]
    hurt = [n for n in tried.index if tried.loc[n, "gain high"] < 0 and -tried.loc[n, "gain"] > spread]
    parts = [
        f"{', '.join(helped)} raised the AUROC beyond both its interval and the seed-to-seed change"
        if helped
        else "no mitigation's gain has a 95 % interval above zero and exceeds the seed-to-seed change"
    ]
    if hurt:
        parts.append(f"{', '.join(hurt)} lowered it by more than that")
    largest = float(tried["gain"].abs().max()) if len(tried) else 0.0
    seed = f"a second seed moved the plain predictor's AUROC by {spread:.3f}, " + (
        "more than any mitigation's gain or loss"
        if spread > largest
        else f"while the largest mitigation effect was {largest:.3f}"
    )
    short = (
        f"{', '.join(helped)} measurably raised the AUROC"
        if helped
        else "none measurably raises the AUROC at this size"
    )
    return {"mitigation": "; ".join(parts), "mitigation_short": short, "seed": seed}


def catalog_phrase(catalog: dict[str, dict[str, Any]], region: str) -> str:
    """Whether the catalog cause models beat chance on ``region``, in words, with their balanced accuracies."""

    def beats(scores: dict[str, Any]) -> bool:
        return scores["low"] > scores["chance_balanced_accuracy"]

    chance = catalog["transfer"]["chance_balanced_accuracy"]
    words = {
        (True, True): "both the transferred and the local model beat chance",
        (False, True): "only the local model beats chance",
        (True, False): "the transferred model beats chance but the local one does not",
        (False, False): "neither the transferred nor the local model clearly beats chance",
    }
    transferred, local = catalog["transfer"]["balanced_accuracy"], catalog["inregion"]["balanced_accuracy"]
    return (
        f"{words[(beats(catalog['transfer']), beats(catalog['inregion']))]} (balanced accuracy "
        f"{transferred:.2f} transferred, {local:.2f} cross-validated in {place(region)}, chance {chance:.2f})"
    )


def answer(
    loro: pd.DataFrame,
    ablations: pd.DataFrame,
    mitigation: pd.DataFrame,
    catalog: dict[str, dict[str, Any]],
    target: str,
    noise: str = NOISE_ROW,
    catalog_region: str | None = None,
) -> dict[str, str]:
    """The chapter's verdicts as phrases generated from the run (never fixed text).

    Parameters
    ----------
    loro : DataFrame
        :func:`transfer_table`.
    ablations : DataFrame
        :func:`gap_table` with a row ``all inputs`` and one row per ablation.
    mitigation : DataFrame
        :func:`mitigation_table`, with a row ``noise``: the plain transfer predictor trained with
        another seed, whose "gain" is what chance alone moves the AUROC. Rows with "control" in
        their name are not mitigations.
    catalog : dict
        ``transfer`` and ``inregion``: :func:`lslib.evaluation.classification.score_predictions` of the catalog
        cause model trained elsewhere and cross-validated in the catalog's target region.
    target : str
        The target region (the notebook's ``target_region``).
    catalog_region : str, optional
        The catalog models' target region, when it is not ``target``.

    Returns
    -------
    dict
        ``lead`` (the one-sentence answer), ``skill``, ``gap``, ``carry``, ``mitigation``,
        ``mitigation_short``, ``seed`` and ``catalog`` phrases.

    A mitigation counts as helping (hurting) only when its paired interval lies above (below) zero
    **and** its gain is larger in size than the change a second seed makes on its own.
    """
    skilled, skill = skill_phrase(loro, target)
    gap_text, lead = gap_phrases(loro, target, skilled)
    return {
        "lead": lead,
        "skill": skill,
        "gap": gap_text,
        "carry": carry_phrase(ablations),
        **mitigation_phrases(mitigation, noise),
        "catalog": catalog_phrase(catalog, catalog_region or target),
    }


def _sentence(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:] + ("" if phrase.endswith(".") else ".")


def _row_interval(table: pd.DataFrame, row: Any, low: Any, high: Any) -> tuple[float, float] | None:
    values = [float(table.loc[row, c]) if c in table.columns else math.nan for c in (low, high)]
    return None if any(math.isnan(v) for v in values) else (values[0], values[1])


def _shift_findings(loro: pd.DataFrame, ablations: pd.DataFrame, target: str, words: dict[str, str]) -> list[Finding]:
    others = " and ".join(place(r) for r in loro.index if r != target) or "the other regions"
    skilled = words["skill"].startswith("keeps")
    changes = ablations.drop(index="all inputs")
    column = "Δgap" if "Δgap" in changes.columns else "gap"
    worst = changes[column].astype(float).idxmin() if len(changes) else "all inputs"
    return [
        Finding(
            f"Trained on {others}, does the predictor work in {place(target)}?",
            _sentence(words["lead"]),
            loro.loc[target, ("gap", "AUROC")],
            _row_interval(loro, target, ("gap", "AUROC low"), ("gap", "AUROC high")),
            "simulated",
            "AUROC gap, in-region - transfer",
        ),
        Finding(
            f"Does the predictor trained elsewhere keep skill in {place(target)}?",
            f"{'Yes' if skilled else 'No'}: it {words['skill']}.",
            loro.loc[target, ("transfer", "AUROC")],
            _row_interval(loro, target, ("transfer", "AUROC low"), ("transfer", "AUROC high")),
            "simulated",
            "AUROC",
        ),
        Finding(
            "Which inputs carry the shift?",
            _sentence(words["carry"]),
            ablations.loc[worst, column],
            _row_interval(ablations, worst, f"{column} low", f"{column} high"),
            "simulated",
            f"{column}, {worst}",
        ),
    ]


def summary(
    loro: pd.DataFrame,
    ablations: pd.DataFrame,
    mitigation: pd.DataFrame,
    catalog: dict[str, dict[str, Any]],
    target: str,
    *,
    noise: str = NOISE_ROW,
    catalog_region: str | None = None,
) -> list[Finding]:
    """Chapter 6's findings, generated from its tables by the phrases of :func:`answer`.

    Parameters
    ----------
    loro, ablations, mitigation, catalog, target, noise, catalog_region
        As :func:`answer`; ``ablations`` may carry :func:`gap_table`'s ``Δgap``, ``Δgap low`` and
        ``Δgap high`` columns, whose most negative row gives the key number of the carry finding.

    Returns
    -------
    list of Finding
        Whether the predictor works in ``target`` (the gap), whether it keeps skill there, which
        input carries the shift and whether a mitigation helps (simulated), and whether a cause
        model of the real catalog transfers (real).
    """
    words = answer(loro, ablations, mitigation, catalog, target, noise, catalog_region)
    region = place(catalog_region or target)
    tried, _ = _tried(mitigation, noise)
    best = tried["gain"].astype(float).idxmax() if len(tried) else None
    mitigated = Finding(
        f"Does a mitigation that needs no label from {place(target)} close the gap?",
        f"{'No' if words['mitigation_short'].startswith('none') else 'Yes'}: {words['mitigation']}; {words['seed']}.",
        tried.loc[best, "gain"] if best is not None else None,
        _row_interval(tried, best, "gain low", "gain high") if best is not None else None,
        "simulated",
        f"AUROC gain, {best}" if best is not None else "AUROC gain",
    )
    transfer = catalog["transfer"]
    cause = Finding(
        f"On the real catalog, does a cause model trained elsewhere name {region}'s triggers?",
        _sentence(words["catalog"]),
        transfer["balanced_accuracy"],
        (transfer["low"], transfer["high"]) if "high" in transfer else None,
        "real",
        "balanced accuracy",
    )
    return [*_shift_findings(loro, ablations, target, words), mitigated, cause]
