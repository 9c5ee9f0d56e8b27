"""Chapter 4's workflow: a fixed-horizon forecast, baselines with the same information, several training seeds
per arm, and skill read against what is attainable.

The question every number here answers: *will this site slide within the next* ``horizon_days`` *days?*
Every window of every site is a case (:func:`lslib.data.tasks.forecast_table`): full windows of eight
Landsat and eight Sentinel-1 frames, labelled by whether the slide follows within the horizon of the
window's last frame, so the early windows of a site that slides later are negatives.

The declared primary comparison is the attention ensemble against gradient boosting on matched features
(:data:`PRIMARY`); every other comparison is exploratory. Each neural arm trains :data:`N_SEEDS` seeds or
more; the ensemble's members are the attention arm's seeds, and the null arm is the same attention model
with other seeds (what an ablation's difference looks like when nothing was removed). Intervals resample
the training seeds and the test sites together (:func:`lslib.evaluation.seed_site_intervals`), all from the
same draws, so the numbers are paired across models.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from lslib import evaluation
from lslib.analysis.attainable import StateSeasonOracle, state_season_features
from lslib.analysis.oracles import window_day_index, window_fs_oracle, window_scenario_oracle
from lslib.analysis.shortcuts import BOOKKEEPING_FEATURES, TIMING_FEATURES, timing_shortcut_auroc
from lslib.book.report import Answer, Finding, answers, interval_of, needs, value_of
from lslib.causes import N_CAUSES, Cause
from lslib.data.augment import unflagged_haze
from lslib.data.batches import SiteBatches
from lslib.data.dataset import LandslideDataset
from lslib.data.indices import ndvi_stack
from lslib.data.sim import normalised_like
from lslib.data.splits import FORECAST_FRACTIONS
from lslib.data.tasks import horizon_label_shares
from lslib.data.window_features import matched_window_features, window_hand_feature_names
from lslib.models.baselines import gradient_boosting_baseline, lhasa_score, ndvi_drop_score, tuned_gradient_boosting
from lslib.models.climatology import Climatology
from lslib.models.predictor import PredictorConfig
from lslib.training.forecast import TrainedSeed, predict_windows, train_seeds
from lslib.training.loop import TrainConfig

__all__ = [
    "HORIZON_DAYS",
    "REVISIT_DAYS",
    "TEST_SEED_OFFSET",
    "SPLIT_FRACTIONS",
    "TEST_SETS",
    "N_SEEDS",
    "HAZE_FRAME_SHARE",
    "ARMS",
    "NULL_ARM",
    "ARM_KEYS",
    "PRIMARY",
    "SKILL_MARGIN",
    "ATTAINABLE_SHARE_MIN",
    "SHORTCUT_AUROC_MAX",
    "ECE_MAX",
    "BOOKKEEPING_FEATURES",
    "normalised_like",
    "forecast_datasets",
    "window_counts",
    "held_out_windows",
    "timing_shortcut",
    "window_features",
    "gbm_seeds",
    "climatology_scores",
    "lhasa_window_scores",
    "ndvi_window_scores",
    "oracle_scores",
    "arm_seeds",
    "train_arms",
    "arm_predictions",
    "hazed",
    "window_frame_values",
    "window_hand_feature_names",
    "evaluate",
    "REPORT_NAMES",
    "report_name",
    "debiased_calibration",
    "score_table",
    "lead_table",
    "cause_table",
    "summary",
]

#: The forecast horizon H, days: two Landsat 8 revisits.
HORIZON_DAYS = 32.0
#: The Landsat 8 revisit, days: a positive window's lead counts these from its last frame to the slide.
REVISIT_DAYS = 16.0
#: The test-only stack is simulated with ``seed + TEST_SEED_OFFSET``: other sites from the same simulator.
TEST_SEED_OFFSET = 10_000
SPLIT_FRACTIONS = FORECAST_FRACTIONS  # train, validation and test sites of the chapter-1 stack
#: The test sets: the test split of the chapter-1 stack and the test-only stack.
TEST_SETS = ("test", "test_only")
#: Share of the test frames that get unflagged haze and shadows in the robustness test.
HAZE_FRAME_SHARE = 0.5
#: Training seeds per arm, at least.
N_SEEDS = 5
#: The neural arms: name -> the switches of :class:`lslib.models.predictor.PredictorConfig` that make it.
ARMS: dict[str, dict[str, Any]] = {
    "attention": {},
    "mean pooling": {"pooling": "mean"},
    "no clear prior": {"clear_prior": False},
}
#: The null ablation: the attention model again, with seeds none of the attention arm's.
NULL_ARM = "attention, other seeds"
#: Short names in the run report.
ARM_KEYS = {"attention": "attention", "mean pooling": "meanpool", "no clear prior": "no_prior", NULL_ARM: "null"}
#: The one comparison declared before the run: the ensemble against gradient boosting on matched features.
PRIMARY = ("attention ensemble", "gradient boosting, matched")
#: The attainable ceiling of ``attainable_share_lead<k>``: the hidden slope state plus the calendar (the FS oracle
#: alone is beaten by climatology; its share is kept as ``attainable_share_fs_lead<k>``).
ATTAINABLE = "state-season oracle"
#: Goals of the chapter (quick profile), read by :func:`summary`.
SKILL_MARGIN = 0.03
ATTAINABLE_SHARE_MIN = 0.6
SHORTCUT_AUROC_MAX = 0.55
ECE_MAX = 0.03
_N_TRIGGERS = N_CAUSES - 1


# --------------------------------------------------------------------------------------------
# Windows
# --------------------------------------------------------------------------------------------


def forecast_datasets(
    stack: xr.Dataset,
    test_stack: xr.Dataset,
    window_frames: int,
    sar_frames: int,
    seed: int,
    horizon_days: float = HORIZON_DAYS,
) -> dict[str, LandslideDataset]:
    """Horizon-mode windows: ``train``, ``val`` and ``test`` (the chapter-1 stack split by site with
    :data:`SPLIT_FRACTIONS`) and ``test_only`` (every site of ``test_stack``, normalised like ``stack``)."""
    if window_frames < 2 or sar_frames < 1:
        raise ValueError(f"window_frames must be >= 2 and sar_frames >= 1, got {window_frames} and {sar_frames}")
    common = {
        "horizon_days": horizon_days,
        "max_frames": window_frames,
        "max_sar_frames": sar_frames,
        "fractions": SPLIT_FRACTIONS,
        "seed": seed,
    }
    datasets = {split: LandslideDataset(stack, split=split, **common) for split in ("train", "val", "test")}
    datasets["test_only"] = LandslideDataset(normalised_like(test_stack, stack), split=None, **common)
    return datasets


def window_counts(datasets: Mapping[str, LandslideDataset]) -> pd.DataFrame:
    """Per set: sites with a window, windows, positive windows, their share, and the share of positive sites
    that also have negative windows (:func:`lslib.data.tasks.horizon_label_shares`)."""
    rows = {}
    for name, dataset in datasets.items():
        shares = horizon_label_shares(dataset.table)
        rows[name] = {
            "sites": shares["sites"],
            "windows": shares["windows"],
            "positive windows": shares["positives"],
            "positive share": shares["positive_share"],
            "positive sites with negatives too": shares["mixed_share"],
        }
    return pd.DataFrame(rows).T


def held_out_windows(datasets: Mapping[str, LandslideDataset]) -> pd.DataFrame:
    """The test windows of every set in :data:`TEST_SETS`, one table: ``set``, ``site`` (in its stack),
    ``group`` (a site id unique across sets, for the resampling), ``label``, ``lead``, ``cause``, ``end_date``,
    ``region`` and ``month`` of the last frame."""
    parts = []
    for offset, name in enumerate(TEST_SETS):
        dataset = datasets[name]
        table = dataset.table
        parts.append(
            pd.DataFrame(
                {
                    "set": name,
                    "site": table["site"].to_numpy(),
                    "group": table["site"].to_numpy() + offset * 10**7,
                    "label": table["label"].to_numpy(),
                    "lead": table["lead"].to_numpy(),
                    "cause": table["cause"].to_numpy(),
                    "end_date": table["end_date"].to_numpy(),
                    "region": dataset.stack["region"].values[table["site"].to_numpy()].astype(str),
                    "month": pd.DatetimeIndex(table["end_date"]).month.to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def timing_shortcut(
    datasets: Mapping[str, LandslideDataset], seed: int, features: tuple[str, ...] = TIMING_FEATURES
) -> float:
    """AUROC of a classifier on the timing of the chapter-1 stack's windows alone (valid frames, span, position in
    the series and the year, radar frames; or the subset ``features``), cross-validated by site
    (:func:`lslib.analysis.shortcuts.timing_shortcut_auroc`)."""
    splits = ("train", "val", "test")
    windows = pd.concat([datasets[split].window_bounds() for split in splits], ignore_index=True)
    return timing_shortcut_auroc(datasets["train"].stack, windows, seed=seed, features=features)


# --------------------------------------------------------------------------------------------
# Baselines and oracles
# --------------------------------------------------------------------------------------------


def window_features(dataset: LandslideDataset) -> pd.DataFrame:
    """Matched features of every window of ``dataset``: everything the network sees, summarised
    (:func:`lslib.data.window_features.matched_window_features`)."""
    return matched_window_features(dataset.stack, dataset.table)


def gbm_seeds(
    features: Mapping[str, pd.DataFrame],
    labels: Mapping[str, np.ndarray],
    seeds: Sequence[int],
    columns: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Gradient boosting on window features, one model per seed.

    The learning rate and tree size are chosen on the validation windows with the first seed
    (:func:`lslib.models.baselines.tuned_gradient_boosting`); every seed then fits with them.

    Parameters
    ----------
    features : mapping
        ``train``, ``val`` and each of :data:`TEST_SETS` -> feature table.
    labels : mapping
        ``train`` and ``val`` -> window labels.
    seeds : sequence of int
        Seeds of the models (each subsamples the features differently).
    columns : sequence of str, optional
        The columns to use (default all: the matched baseline; the eight hand features for the classic one).

    Returns
    -------
    dict
        ``val`` and ``test`` -> ``(seed, window)`` probabilities (the test sets concatenated in :data:`TEST_SETS`
        order), ``params`` (the chosen setting) and ``val_auroc`` (per setting).
    """
    pick = list(columns) if columns is not None else list(features["train"].columns)
    x = {name: table[pick].to_numpy(float) for name, table in features.items()}
    _, params, scores = tuned_gradient_boosting(x["train"], labels["train"], x["val"], labels["val"], seed=seeds[0])
    models = [gradient_boosting_baseline(x["train"], labels["train"], seed=seed, **params) for seed in seeds]
    test = np.concatenate([x[name] for name in TEST_SETS])
    return {
        "val": np.stack([model.predict_proba(x["val"])[:, 1] for model in models]),
        "test": np.stack([model.predict_proba(test)[:, 1] for model in models]),
        "params": params,
        "val_auroc": scores,
    }


def climatology_scores(datasets: Mapping[str, LandslideDataset], prior: float = 10.0) -> dict[str, np.ndarray]:
    """The climatology of the training windows (:class:`lslib.models.climatology.Climatology`: the slide rate of
    their region and calendar month) for the ``val`` and the test windows."""

    def where_when(dataset: LandslideDataset) -> tuple[np.ndarray, np.ndarray]:
        sites = dataset.table["site"].to_numpy()
        return dataset.stack["region"].values[sites].astype(str), pd.DatetimeIndex(dataset.table["end_date"]).month

    train = datasets["train"]
    model = Climatology(prior).fit(*where_when(train), train.table["label"].to_numpy())
    return {
        "val": model.predict(*where_when(datasets["val"])),
        "test": np.concatenate([model.predict(*where_when(datasets[name])) for name in TEST_SETS]),
    }


def lhasa_window_scores(dataset: LandslideDataset) -> np.ndarray:
    """The LHASA-style nowcast (:func:`lslib.models.baselines.lhasa_score`) of every window: the percentile of
    its 7-day rain against the site's past year, times the share of its cells steeper than 25 degrees."""
    stack, table = dataset.stack, dataset.table
    sites = table["site"].to_numpy()
    steep = (stack["slope"].values.reshape(stack.sizes["site"], -1) > 25.0).mean(axis=1)
    end_day = np.clip(window_day_index(stack, table), 0, stack.sizes["day"] - 1)
    return lhasa_score(stack["rain_daily"].values[sites], end_day, steep[sites])


def ndvi_window_scores(dataset: LandslideDataset) -> np.ndarray:
    """The NDVI-drop threshold (:func:`lslib.models.baselines.ndvi_drop_score`) on each window's frames."""
    ndvi = ndvi_stack(dataset.stack).values
    _, frames, _ = dataset.window_frame_index()
    sites = dataset.table["site"].to_numpy()
    valid = np.ones(frames.shape[1:], bool)[None]
    return np.array([ndvi_drop_score(ndvi[site, rows][None], valid)[0] for site, rows in zip(sites, frames)])


def oracle_scores(datasets: Mapping[str, LandslideDataset], seed: int = 0) -> dict[str, np.ndarray]:
    """The oracles, on the test windows: ``fs oracle`` (the hidden factor of safety up to the window's last
    frame, :func:`lslib.analysis.oracles.window_fs_oracle`), ``state-season oracle`` (the attainable ceiling:
    that state with the day of year and the region, :class:`lslib.analysis.attainable.StateSeasonOracle`
    fitted on the training windows with ``seed``) and ``scenario oracle`` (P(slide | scenario, region) of the
    training sites, :func:`lslib.analysis.oracles.window_scenario_oracle`)."""
    train = datasets["train"]
    fs = [window_fs_oracle(datasets[name].stack, datasets[name].table) for name in TEST_SETS]
    state = StateSeasonOracle(seed).fit(
        state_season_features(train.stack, train.table), train.table["label"].to_numpy()
    )
    attainable = [state.predict(state_season_features(datasets[n].stack, datasets[n].table)) for n in TEST_SETS]
    scenario = [
        window_scenario_oracle(train.stack, train.sites, datasets[name].stack, datasets[name].table)
        for name in TEST_SETS
    ]
    return {
        "fs oracle": np.concatenate(fs),
        ATTAINABLE: np.concatenate(attainable),
        "scenario oracle": np.concatenate(scenario),
    }


# --------------------------------------------------------------------------------------------
# The neural arms
# --------------------------------------------------------------------------------------------


def arm_seeds(seed: int, n_seeds: int) -> dict[str, list[int]]:
    """Training seeds of each arm: ``seed .. seed + n_seeds - 1`` for :data:`ARMS` (so seed k of an ablation
    starts where seed k of the attention does), and the next ``n_seeds`` for the null arm."""
    if n_seeds < 2:
        raise ValueError(f"n_seeds must be >= 2 (the intervals resample seeds), got {n_seeds}")
    own = list(range(seed, seed + n_seeds))
    return {**dict.fromkeys(ARMS, own), NULL_ARM: list(range(seed + n_seeds, seed + 2 * n_seeds))}


def train_arms(
    datasets: Mapping[str, LandslideDataset],
    model_config: PredictorConfig,
    train_config: TrainConfig,
    n_seeds: int,
    sites_per_batch: int = 16,
    clouds: float = 0.3,
    workers: int = 1,
) -> dict[str, list[TrainedSeed]]:
    """Every arm of :data:`ARMS` and the null arm, ``n_seeds`` seeds each (:func:`arm_seeds` from
    ``train_config.seed``), trained on site batches (:func:`lslib.training.forecast.train_seeds`), each
    arm's seeds fanned out over ``workers`` processes (the same weights with any number)."""
    seeds = arm_seeds(train_config.seed, n_seeds)
    configs = {**{arm: replace(model_config, **switches) for arm, switches in ARMS.items()}, NULL_ARM: model_config}
    return {
        arm: train_seeds(
            datasets, configs[arm], train_config, seeds[arm], sites_per_batch, clouds, name=arm, workers=workers
        )
        for arm in configs
    }


def arm_predictions(
    trained: Sequence[TrainedSeed],
    datasets: Mapping[str, LandslideDataset],
    test_sets: Mapping | None = None,
    temperatures: Sequence[float] | None = None,
) -> dict[str, np.ndarray]:
    """Each seed's temperature-scaled probabilities (one temperature per seed, fitted on the validation windows).

    Parameters
    ----------
    trained : sequence of TrainedSeed
        An arm's seeds.
    datasets : mapping
        ``val`` and the :data:`TEST_SETS`.
    test_sets : mapping, optional
        Replacements for the test sets (e.g. the same windows under unflagged haze, :func:`hazed`).
    temperatures : sequence of float, optional
        The seeds' temperatures, already fitted (e.g. on the clean windows): the validation windows are then not
        predicted again, and ``val`` is absent from the result.

    Returns
    -------
    dict
        ``val`` and ``test`` ``(seed, window)`` probabilities (test sets concatenated in :data:`TEST_SETS`
        order), ``temperature`` ``(seed,)``, ``cause_probs`` ``(seed, window, 7)``, ``attention``
        ``(seed, window, frame)`` and ``cloud`` ``(window, frame)``, the masked share of each frame.
    """
    tests = {name: (test_sets or {}).get(name, datasets[name]) for name in TEST_SETS}
    if temperatures is not None and len(temperatures) != len(trained):
        raise ValueError(f"temperatures must give one per seed ({len(trained)}), got {len(temperatures)}")
    out: dict[str, list] = {"test": [], "temperature": [], "cause_probs": [], "attention": []}
    if temperatures is None:
        out["val"] = []
    cloud = None
    for k, member in enumerate(trained):
        parts = [predict_windows(member.model, SiteBatches(tests[name], 64)) for name in TEST_SETS]
        test = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
        if temperatures is None:
            val = predict_windows(member.model, SiteBatches(datasets["val"], 64))
            temperature = evaluation.fit_temperature(val["logit"], val["label"])
            out["val"].append(evaluation.sigmoid(val["logit"] / temperature))
        else:
            temperature = float(temperatures[k])
        out["temperature"].append(temperature)
        out["test"].append(evaluation.sigmoid(test["logit"] / temperature))
        out["cause_probs"].append(test["cause_probs"])
        out["attention"].append(test["attention"])
        cloud = test["cloud"]
    result = {key: np.stack(values) for key, values in out.items()}
    result["cloud"] = cloud
    return result


def hazed(dataset: LandslideDataset, frame_share: float, seed: int) -> tuple[LandslideDataset, np.ndarray]:
    """The same windows with unflagged haze and cloud shadows on ``frame_share`` of the frames
    (:func:`lslib.data.augment.unflagged_haze`: the QA mask does not see them); returns the dataset and the
    ``(site, frame)`` contaminated share of the frames of its sites."""
    mean = np.asarray(dataset.stack.attrs["norm_reflectance_mean"], np.float32)
    std = np.asarray(dataset.stack.attrs["norm_reflectance_std"], np.float32)
    image, contaminated = unflagged_haze(dataset.encoded("image"), mean, std, frame_share, seed)
    return dataset.with_images(image), contaminated


def window_frame_values(datasets: Mapping[str, LandslideDataset], per_site: Mapping[str, np.ndarray]) -> np.ndarray:
    """Per-frame values of the sites (``per_site[name]``, ``(site, frame)`` for each of :data:`TEST_SETS`) cut into
    the test windows: ``(window, window frame)``, the test sets concatenated in order."""
    parts = []
    for name in TEST_SETS:
        position, frames, _ = datasets[name].window_frame_index()
        parts.append(np.asarray(per_site[name])[position[:, None], frames])
    return np.concatenate(parts)


# --------------------------------------------------------------------------------------------
# Evaluation: every number from the same seed-and-site resamples
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldOutScores:
    """Every score of the test windows that :func:`evaluate` reads, grouped by how it is resampled.

    Attributes
    ----------
    ensembles : mapping of str to array (seed, window)
        Models scored as the mean probability of their seeds (the attention ensemble, the matched and the
        hand-feature gradient boosting).
    singles : mapping of str to array (seed, window)
        The arms compared seed by seed: their value is the mean AUROC of their single seeds (ablations).
    fixed : mapping of str to array (window,)
        Scores without training randomness (climatology, LHASA, NDVI drop, the oracles).
    climatology : array (window,)
        The reference probabilities of the Brier skill score.
    cause_probs : array (seed, window, 7)
        The attention seeds' cause distributions.
    hazed_ensembles : mapping of str to array (seed, window)
        The same ensembles on the test windows under unflagged haze (attention and mean pooling).
    """

    ensembles: Mapping[str, np.ndarray]
    singles: Mapping[str, np.ndarray]
    fixed: Mapping[str, np.ndarray]
    climatology: np.ndarray
    cause_probs: np.ndarray
    hazed_ensembles: Mapping[str, np.ndarray]


def evaluate(
    table: pd.DataFrame, scores: HeldOutScores, train_causes: np.ndarray, n_boot: int, seed: int, n_bins: int = 10
) -> dict[str, tuple[float, float, float]]:
    """The chapter's numbers with their 95 % seed-and-site intervals, all from the same resamples.

    Each resample draws the training seeds (the same draw for every arm with seeds) and, independently, the
    test sites with all their windows (:func:`lslib.evaluation.seed_site_resamples`). The draws are re-centred
    on each estimate (``centre=True`` of :func:`lslib.evaluation.seed_site_intervals`): a resampled ensemble
    repeats some members and so scores lower than the ensemble itself.

    Parameters
    ----------
    table : pandas.DataFrame
        The test windows (:func:`held_out_windows`): ``label``, ``lead``, ``cause`` and ``group``.
    scores : HeldOutScores
        The models' scores of those windows.
    train_causes : array
        Causes of the training slides (for the majority baseline).
    n_boot, seed : int
        Resamples and their seed.
    n_bins : int
        Bins of the calibration error.

    Returns
    -------
    dict of str to (value, low, high)
        ``auroc_<model>``, ``auroc_lead<k>_<model>``, ``auroc_single_<arm>``, ``auroc_diff_<arm>`` (mean single-seed
        AUROC of the arm minus the attention arm's), ``auroc_diff_gbm`` (the primary difference),
        ``attainable_share_lead<k>``, ``brier_<model>``, ``bss_ensemble``, ``ece_plugin``, ``cloud_drop_<arm>``,
        ``cloud_drop_diff``, ``cause_macro_f1``, ``cause_majority_macro_f1`` and ``cause_recall_<cause>``;
        models are named by :data:`ARM_KEYS` and the keys of the mappings, with spaces as underscores.
    """
    scorer = _WindowScorer(table, scores, train_causes, n_bins)
    resamples = evaluation.seed_site_resamples(
        scorer.n_seeds, len(table), groups=table["group"].to_numpy(), n_boot=n_boot, seed=seed
    )
    results = evaluation.seed_site_intervals(
        scorer.statistics, scorer.n_seeds, len(table), resamples, progress="seed-and-site bootstrap", centre=True
    )

    def bounded(name: str) -> bool:  # AUROCs, recalls and F1s: centred draws may leave [0, 1], so clip them back
        return name.startswith(("auroc_", "cause_")) and not name.startswith("auroc_diff")

    return {
        name: (value, *(float(b) for b in np.clip([low, high], 0.0, 1.0))) if bounded(name) else (value, low, high)
        for name, (value, low, high) in results.items()
    }


def _key(name: str) -> str:
    """A model's name in :func:`evaluate`'s keys: :data:`ARM_KEYS`, spaces as underscores, no commas."""
    return ARM_KEYS.get(name, name).replace(" ", "_").replace(",", "")


class _WindowScorer:
    """The statistics of :func:`evaluate` for one resample of seeds and windows, family by family.

    Every order of scores is ranked once (:class:`lslib.evaluation.RankedScores`) and reused by every resample,
    which only changes the weights of the windows."""

    def __init__(self, table: pd.DataFrame, scores: HeldOutScores, train_causes: np.ndarray, n_bins: int) -> None:
        self.labels = table["label"].to_numpy().astype(int)
        leads = table["lead"].to_numpy()
        self.causes = table["cause"].to_numpy()
        present_leads = sorted(int(k) for k in np.unique(leads[self.labels == 1]))
        self.lead_masks = {k: (leads == k) | (self.labels == 0) for k in present_leads}
        self.ensembles, self.singles, self.fixed = scores.ensembles, scores.singles, scores.fixed
        self.hazed, self.climatology, self.cause_probs = scores.hazed_ensembles, scores.climatology, scores.cause_probs
        self.n_bins = n_bins
        self.n_seeds = min(len(v) for v in [*self.ensembles.values(), *self.singles.values()])
        self.majority = int(np.bincount(train_causes, minlength=_N_TRIGGERS).argmax())
        self._ranked: dict[tuple, evaluation.RankedScores] = {}

    def auroc(self, cache_key: tuple, scores: Callable[[], np.ndarray], weights: np.ndarray) -> float:
        """The weighted AUROC of the scores named ``cache_key`` (made by ``scores()`` the first time only)."""
        if cache_key not in self._ranked:
            self._ranked[cache_key] = evaluation.RankedScores(self.labels, scores())
        return self._ranked[cache_key].auroc(weights)

    def statistics(self, seeds: np.ndarray, cases: np.ndarray) -> dict[str, float]:
        """Every number of :func:`evaluate` on the drawn ``seeds`` and windows ``cases``."""
        weights = np.bincount(cases, minlength=len(self.labels)).astype(float)
        drawn = tuple(sorted(int(k) for k in seeds))
        members = {
            name: (lambda scores=scores: scores[list(drawn)].mean(axis=0)) for name, scores in self.ensembles.items()
        }
        out = self._skill(members, drawn, weights)
        out.update(self._ablations(seeds, weights, out))
        out.update(self._calibration(members, cases, out))
        out.update(self._haze(drawn, weights))
        out.update(self._cause(seeds, cases))
        return out

    def _skill(self, members: Mapping[str, Callable], drawn: tuple, weights: np.ndarray) -> dict[str, float]:
        """AUROC of every model, per lead for the models of the lead figure, and the attainable shares."""
        out: dict[str, float] = {}
        sources = {
            **{name: ((name, drawn), make) for name, make in members.items()},
            **{name: ((name,), (lambda scores=scores: scores)) for name, scores in self.fixed.items()},
        }
        for name, (cache_key, make) in sources.items():
            out[f"auroc_{_key(name)}"] = self.auroc(cache_key, make, weights)
        for k, mask in self.lead_masks.items():
            for name in (*self.ensembles, "fs oracle", ATTAINABLE, "LHASA-style", "climatology"):
                if name in sources:
                    cache_key, make = sources[name]
                    out[f"auroc_lead{k}_{_key(name)}"] = self.auroc(cache_key, make, weights * mask)
            model = out[f"auroc_lead{k}_{_key(PRIMARY[0])}"] - 0.5
            for share, ceiling_name in (("attainable_share", ATTAINABLE), ("attainable_share_fs", "fs oracle")):
                ceiling = out.get(f"auroc_lead{k}_{_key(ceiling_name)}", float("nan")) - 0.5
                out[f"{share}_lead{k}"] = model / ceiling if ceiling > 0.01 else float("nan")
        return out

    def _ablations(self, seeds: np.ndarray, weights: np.ndarray, skill: Mapping[str, float]) -> dict[str, float]:
        """Mean single-seed AUROC of every arm, each arm against attention, and the primary difference."""
        out: dict[str, float] = {}
        for name, scores in self.singles.items():
            values = [self.auroc((name, int(s)), lambda s=s, scores=scores: scores[s], weights) for s in seeds]
            out[f"auroc_single_{_key(name)}"] = float(np.mean(values))
        for name in self.singles:
            if name != "attention":
                out[f"auroc_diff_{_key(name)}"] = out[f"auroc_single_{_key(name)}"] - out["auroc_single_attention"]
        out["auroc_diff_gbm"] = skill[f"auroc_{_key(PRIMARY[0])}"] - skill[f"auroc_{_key(PRIMARY[1])}"]
        return out

    def _calibration(
        self, members: Mapping[str, Callable], cases: np.ndarray, skill: Mapping[str, float]
    ) -> dict[str, float]:
        """Brier scores, the Brier skill score of the ensemble against climatology and its plug-in ECE."""
        y = self.labels[cases]
        probs = {name: make()[cases] for name, make in members.items()}
        reference = evaluation.brier(y, self.climatology[cases])
        out = {f"brier_{_key(name)}": evaluation.brier(y, p) for name, p in probs.items()}
        out["brier_climatology"] = reference
        out["bss_ensemble"] = 1.0 - out[f"brier_{_key(PRIMARY[0])}"] / reference if reference > 0 else float("nan")
        out["ece_plugin"] = evaluation.expected_calibration_error(y, probs[PRIMARY[0]], self.n_bins)
        return out

    def _haze(self, drawn: tuple, weights: np.ndarray) -> dict[str, float]:
        """The AUROC each hazed ensemble loses, and the difference of the first two."""
        out: dict[str, float] = {}
        for name, scores in self.hazed.items():
            clean_scores = self.ensembles.get(name, self.singles.get(name))
            haze = self.auroc(("haze", name, drawn), lambda s=scores: s[list(drawn)].mean(axis=0), weights)
            clean = self.auroc(("clean", name, drawn), lambda s=clean_scores: s[list(drawn)].mean(axis=0), weights)
            out[f"cloud_drop_{_key(name)}"] = clean - haze
        if len(self.hazed) == 2:
            first, second = (_key(name) for name in self.hazed)
            out["cloud_drop_diff"] = out[f"cloud_drop_{first}"] - out[f"cloud_drop_{second}"]
        return out

    def _cause(self, seeds: np.ndarray, cases: np.ndarray) -> dict[str, float]:
        """Macro-F1 of the ensemble's cause on the drawn slides, the majority trigger's, and per-cause recall."""
        slid = cases[self.labels[cases] == 1]
        if not len(slid):
            return {}
        predicted = self.cause_probs[seeds][:, slid, :_N_TRIGGERS].mean(axis=0).argmax(axis=1)
        truth = self.causes[slid]
        present = sorted(int(c) for c in np.unique(truth))
        out = {
            "cause_macro_f1": evaluation.macro_f1(truth, predicted, _N_TRIGGERS, classes=present),
            "cause_majority_macro_f1": evaluation.macro_f1(
                truth, np.full(len(truth), self.majority), _N_TRIGGERS, classes=present
            ),
        }
        for cause in range(_N_TRIGGERS):
            chosen = truth == cause
            out[f"cause_recall_{Cause(cause).key}"] = (
                float((predicted[chosen] == cause).mean()) if chosen.any() else float("nan")
            )
        return out


#: How :func:`evaluate`'s model names read in the run report (``auroc_attention_ensemble`` -> ``auroc_ensemble``).
REPORT_NAMES = {
    "attention_ensemble": "ensemble",
    "gradient_boosting_matched": "gbm_matched",
    "gradient_boosting_hand_features": "gbm_hand",
    "LHASA-style": "lhasa",
    "NDVI_drop": "ndvi",
    "state-season_oracle": "state_season_oracle",
}


def report_name(result: str) -> str:
    """The run report's name of one of :func:`evaluate`'s results (:data:`REPORT_NAMES`).

    Examples
    --------
    >>> report_name("auroc_lead1_attention_ensemble"), report_name("auroc_diff_gbm")
    ('auroc_lead1_ensemble', 'auroc_diff_gbm')
    """
    for long, short in REPORT_NAMES.items():
        result = result.replace(long, short)
    return result


def debiased_calibration(
    results: Mapping[str, tuple[float, float, float]],
    probabilities: np.ndarray,
    groups: np.ndarray,
    seed: int,
    n_draws: int = 1000,
) -> dict[str, Any]:
    """The ensemble's ECE less its chance level, from :func:`evaluate`'s plug-in ECE and its interval.

    The noise is the ECE that perfect calibration with the same ``probabilities`` shows by chance, one label
    draw per site (``groups``; :func:`lslib.evaluation.ece_noise`); its mean is subtracted from the value and
    both bounds, and its 90th percentile is the noise floor. Returns ``ece_ensemble``, ``ece_ensemble_ci`` and
    ``ece_floor_p90``.
    """
    noise = evaluation.ece_noise(probabilities, n_draws=n_draws, seed=seed, groups=groups)
    value, low, high = (v - float(noise.mean()) for v in results["ece_plugin"])
    return {"ece_ensemble": value, "ece_ensemble_ci": [low, high], "ece_floor_p90": float(np.quantile(noise, 0.9))}


def score_table(results: Mapping[str, tuple[float, float, float]], kinds: Mapping[str, str]) -> pd.DataFrame:
    """AUROC of each model of ``kinds`` (model name -> ``network``, ``baseline``, ``oracle`` or ``null``) with its
    interval, in the order of ``kinds``, from :func:`evaluate`'s results."""
    rows = {}
    for name, kind in kinds.items():
        key = ARM_KEYS.get(name, name).replace(" ", "_").replace(",", "")
        found = results.get(f"auroc_{key}") or results.get(f"auroc_single_{key}")
        if found is not None:
            rows[name] = {"value": found[0], "low": found[1], "high": found[2], "kind": kind}
    return pd.DataFrame(rows).T.astype({"value": float, "low": float, "high": float})


def lead_table(results: Mapping[str, tuple[float, float, float]], models: Sequence[str]) -> pd.DataFrame:
    """AUROC per model and lead (positives at that lead against every negative) with its interval."""
    rows = []
    for name in models:
        key = _key(name)
        for result, (value, low, high) in results.items():
            prefix, _, rest = result.partition("_lead")
            if prefix == "auroc" and rest.split("_", 1)[1:] == [key]:
                rows.append(
                    {"model": name, "lead": int(rest.split("_", 1)[0]), "auroc": value, "low": low, "high": high}
                )
    return pd.DataFrame(rows, columns=["model", "lead", "auroc", "low", "high"]).sort_values(["model", "lead"])


def cause_table(results: Mapping[str, tuple[float, float, float]], test_causes: np.ndarray) -> pd.DataFrame:
    """Per trigger: the test slides and the attention ensemble's recall with its interval."""
    rows = {}
    for cause in range(_N_TRIGGERS):
        found = results.get(f"cause_recall_{Cause(cause).key}")
        rows[Cause(cause).label] = {
            "test positive windows": int((test_causes == cause).sum()),
            "recall": found[0] if found else math.nan,
            "low": found[1] if found else math.nan,
            "high": found[2] if found else math.nan,
        }
    return pd.DataFrame(rows).T


# --------------------------------------------------------------------------------------------
# Findings: sentences generated from the numbers the chapter recorded
# --------------------------------------------------------------------------------------------


@answers(
    "Primary: does the attention ensemble beat gradient boosting that sees the same information?",
    "simulated",
    "ΔAUROC, ensemble - matched GBM",
)
def _skill_finding(metrics: Mapping[str, Any]) -> Answer:
    ensemble, gbm = value_of(metrics, "auroc_ensemble"), value_of(metrics, "auroc_gbm_matched")
    low = value_of(metrics, "auroc_diff_gbm_ci_low")
    diff = ensemble - gbm
    reaches = (
        f"the attention ensemble reaches AUROC {ensemble:.3f} against {gbm:.3f} for gradient boosting on matched "
        "features"
    )
    if diff >= SKILL_MARGIN and low > 0:
        answer = (
            f"Yes: {reaches}, {diff:+.3f}, at least the {SKILL_MARGIN} asked, and the seed-and-site interval of "
            f"the difference lies above zero (from {low:+.3f})."
        )
    else:
        why = (
            f"the interval of the difference reaches {low:+.3f}"
            if low <= 0
            else f"the difference is below the {SKILL_MARGIN} asked"
        )
        answer = f"No (goal missed): {reaches} ({diff:+.3f}); {why}."
    return Answer(answer, diff, interval_of(metrics, "auroc_diff_gbm_ci"))


@answers("How much of the attainable skill does it reach?", "simulated", "attainable share, lead 1")
def _attainable_finding(metrics: Mapping[str, Any]) -> Answer:
    share = value_of(metrics, "attainable_share_lead1")
    oracle = value_of(metrics, "auroc_lead1_state_season_oracle")
    prefix = "attainable_share_lead"
    leads = sorted(int(k[len(prefix) :]) for k in metrics if k.startswith(prefix) and k[len(prefix) :].isdigit())
    others = ", ".join(f"lead {k}: {value_of(metrics, f'{prefix}{k}'):.2f}" for k in leads if k != 1)
    word = "Yes" if share >= ATTAINABLE_SHARE_MIN else "No (goal missed)"
    fs_oracle, climatology = value_of(metrics, "auroc_lead1_fs_oracle"), value_of(metrics, "auroc_lead1_climatology")
    answer = (
        f"{word}: one revisit ahead the ensemble reaches {share:.2f} of the skill attainable, against "
        f"{ATTAINABLE_SHARE_MIN} asked" + (f" ({others})" if others else "") + ". The ceiling is the state-and-season "
        f"oracle (AUROC {oracle:.3f} at lead 1): the hidden factor of safety up to the window's end with the day of "
        f"year and the region. Against the factor of safety alone (AUROC {fs_oracle:.3f}) the share would read "
        f"{value_of(metrics, 'attainable_share_fs_lead1'):.2f}"
    )
    if climatology > fs_oracle:
        answer += f"; climatology ({climatology:.3f}) beats that oracle, so it is a bar too low to fail."
    else:
        answer += "."
    above = [
        name
        for name, key in (
            ("matched gradient boosting", "auroc_lead1_gbm_matched"),
            ("climatology", "auroc_lead1_climatology"),
        )
        if value_of(metrics, key) > oracle
    ]
    if above:
        verb = "scores" if len(above) == 1 else "score"
        answer += f" Even this ceiling is not one here: {' and '.join(above)} {verb} above it."
    return Answer(answer, share, interval_of(metrics, "attainable_share_lead1_ci"))


@answers("Can the windows' timing alone give the label away?", "simulated", "AUROC, timing only")
@needs("shortcut_auroc_timing")
def _shortcut_finding(metrics: Mapping[str, Any]) -> Answer:
    value, bookkeeping = value_of(metrics, "shortcut_auroc_timing"), value_of(metrics, "shortcut_auroc_bookkeeping")
    without_season = (
        ""
        if math.isnan(bookkeeping)
        else f" Without the day of year (slides cluster in the wet season): {bookkeeping:.2f}."
    )
    if value > SHORTCUT_AUROC_MAX:
        verdict, reach = "Yes, a shortcut (goal missed): the windows' timing alone", "above"
    else:
        verdict = (
            "No: a classifier that sees only the windows' timing (frames, span, position in the series and the "
            "year, radar frames)"
        )
        reach = "within"
    return Answer(
        f"{verdict} reaches AUROC {value:.2f}, {reach} the {SHORTCUT_AUROC_MAX} allowed.{without_season}", value
    )


@answers("Is its probability skilful and calibrated?", "simulated", "Brier skill score")
def _calibration_finding(metrics: Mapping[str, Any]) -> Answer:
    bss, bss_ci = value_of(metrics, "bss_ensemble"), interval_of(metrics, "bss_ensemble_ci")
    ece, floor = value_of(metrics, "ece_ensemble"), value_of(metrics, "ece_floor_p90")
    plugin = value_of(metrics, "ece_plugin")
    skill_ok = bss > 0 and bss_ci is not None and bss_ci[0] > 0
    ece_ok = ece <= ECE_MAX or plugin <= floor
    word = "Yes" if skill_ok and ece_ok else "No (goal missed)" if not skill_ok else "Partly (goal missed)"
    interval = f" [{bss_ci[0]:+.3f}, {bss_ci[1]:+.3f}]" if bss_ci else ""
    answer = (
        f"{word}: the Brier skill score against climatology is {bss:+.3f}{interval}; the debiased calibration error "
        f"is {ece:.3f} (plug-in {plugin:.3f}, against a noise floor of {floor:.3f} and a bar of {ECE_MAX})."
    )
    return Answer(answer, bss, bss_ci)


@answers(
    "Does the attention lose less than mean pooling to haze the QA misses?",
    "simulated",
    "AUROC drop, attention - mean pooling",
)
@needs("cloud_drop_diff_ci")
def _haze_finding(metrics: Mapping[str, Any]) -> Answer:
    attention, pooling = value_of(metrics, "cloud_drop_attention"), value_of(metrics, "cloud_drop_meanpool")
    interval = interval_of(metrics, "cloud_drop_diff_ci")
    met = attention < pooling and interval[1] < 0
    drops = f"under unflagged haze and shadows the ensemble's AUROC drops by {attention:+.3f}"
    span = f"[{interval[0]:+.3f}, {interval[1]:+.3f}]"
    if met:
        answer = (
            f"Yes: {drops}, mean pooling's by {pooling:+.3f}; the interval of the difference, {span}, is below zero."
        )
    else:
        answer = (
            f"No (goal missed): {drops} and mean pooling's by {pooling:+.3f}; the interval of the difference is {span}."
        )
    return Answer(answer, value_of(metrics, "cloud_drop_diff"), interval)


@answers("Does it name the trigger of a slide?", "simulated", "cause macro-F1")
def _cause_finding(metrics: Mapping[str, Any]) -> Answer:
    f1, majority = value_of(metrics, "cause_macro_f1"), value_of(metrics, "cause_majority_macro_f1")
    interval = interval_of(metrics, "cause_macro_f1_ci")
    never = [
        cause.label
        for cause in Cause
        if cause is not Cause.THRIVING_FOREST and value_of(metrics, f"cause_recall_{cause.key}") < 0.05
    ]
    if interval and interval[0] > majority + 0.1:
        answer = (
            f"Yes: over the test windows that slid the macro-F1 of the six triggers is {f1:.2f} "
            f"[{interval[0]:.2f}, {interval[1]:.2f}], well above the {majority:.2f} of always answering the most "
            "common trigger."
        )
        if never:
            answer = answer[:-1] + f"; but it almost never names {', '.join(never)} (recall under 0.05)."
    else:
        answer = (
            f"Not well (goal missed): the macro-F1 of the six triggers is {f1:.2f} against {majority:.2f} for always "
            "answering the most common trigger."
        )
    return Answer(answer, f1, interval)


@answers("Which parts of the model matter, beside training noise?", "simulated", "ΔAUROC, null")
def _ablation_finding(metrics: Mapping[str, Any]) -> Answer:
    null = value_of(metrics, "auroc_diff_null")
    null_ci = interval_of(metrics, "auroc_diff_null_ci")
    parts = []
    for arm in ("mean pooling", "no clear prior"):
        key = ARM_KEYS[arm]
        value, ci = value_of(metrics, f"auroc_diff_{key}"), interval_of(metrics, f"auroc_diff_{key}_ci")
        text = f"{arm} {value:+.3f}" + (f" [{ci[0]:+.3f}, {ci[1]:+.3f}]" if ci else "")
        parts.append(text)
    null_text = f"{null:+.3f}" + (f" [{null_ci[0]:+.3f}, {null_ci[1]:+.3f}]" if null_ci else "")
    answer = (
        f"Exploratory: against the attention arm, {'; '.join(parts)}; the null ablation (the same model, other "
        f"seeds) gives {null_text}. A difference inside the null's spread is training noise."
    )
    if null_ci and (null_ci[0] > 0 or null_ci[1] < 0):
        answer += (
            " The null's own interval excludes zero: two sets of seeds of one model differ by more than the "
            "seed-and-site interval allows, so with this many seeds it understates training noise."
        )
    return Answer(answer, null, null_ci)


def summary(metrics: Mapping[str, Any]) -> list[Finding]:
    """Chapter 4's findings, generated from the numbers it recorded.

    Parameters
    ----------
    metrics : mapping
        The chapter's recorded metrics (:func:`lslib.book.report.recorded`); an interval not recorded leaves its
        finding without one.

    Returns
    -------
    list of Finding
        The primary comparison (ensemble against matched gradient boosting), the share of the attainable skill,
        the timing shortcut, calibration and skill against climatology, robustness to unflagged haze, the
        trigger of a slide and the ablations beside the null; all on simulated imagery.
    """
    return [
        _skill_finding(metrics),
        _attainable_finding(metrics),
        _shortcut_finding(metrics),
        _calibration_finding(metrics),
        _haze_finding(metrics),
        _cause_finding(metrics),
        _ablation_finding(metrics),
    ]
