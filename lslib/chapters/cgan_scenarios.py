"""Chapter 5's workflow around the scenario cGAN: training the three variants, sampling futures,
scoring them (L1, PSNR, SSIM, diversity and Fréchet distance in the chapter-3 VAE's latent space), and
the three applications (mining detection, damage extent, reforestation planning) with their baselines.

Kept here so the notebook only tells the story.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from lslib import evaluation
from lslib.book.report import Answer, Finding, answers, interval_of, value_of
from lslib.data.indices import ndvi
from lslib.models.cgan import CGANConfig, ScenarioGAN, scenario_index
from lslib.models.layout import (
    LayoutConfig,
    LayoutModel,
    LayoutRenderer,
    PitModel,
    RenderConfig,
    disc_layouts,
    mining_evidence,
)
from lslib.models.pair_classifier import PairClassifierConfig
from lslib.models.vae import ConvVAE
from lslib.training.loop import History, TrainConfig, fit, fit_gan, flushed_denormals
from lslib.training.pair_classifier import pair_scores, train_pair_classifier

__all__ = [
    "VARIANTS",
    "VARIANT_KEYS",
    "NDVI_FOREST",
    "DIVERSE_SHARE",
    "PairDataset",
    "train_variants",
    "sample",
    "reconstruction_scores",
    "latent_scores",
    "frechet_gain_verdict",
    "variance_matched",
    "mining_futures",
    "mining_scores",
    "change_profile",
    "change_detection_scores",
    "damage_score",
    "damage_split",
    "best_threshold_iou",
    "reforestation_rankings",
    "plan_reforestation",
    "paired_site_difference",
    "mean_iou",
    "training_summary",
    "history_of",
    "auroc_pair",
    "mining_verdict",
    "damage_verdict",
    "planting_ratio",
    "verdicts",
    "summary",
    "STEEP_QUANTILE",
    "COVERAGE_IOU",
    "layout_rows",
    "train_layout_models",
    "steep_pixels",
    "best_of_k_coverage",
    "random_placements",
    "change_magnitude_ks",
    "laid_out_mines",
    "mining_evidence_scores",
    "subset_pairs",
    "few_shot_mines",
    "generated_mine_pairs",
    "classifier_scores",
    "few_shot_sets",
    "join_pairs",
    "seeded_auroc_table",
    "train_scar_model",
    "scar_probability",
    "scar_layouts",
    "damage_baselines",
    "per_slide_iou",
    "DAMAGE_CANDIDATES",
    "compare_damage_maps",
    "laid_out_damage",
    "seeded_mean_table",
]

#: Pixels steeper than this quantile of their site's slopes are where a random pit may go (the
#: random-placement baseline of the layout coverage; it is the simulator's own rule for pit centres,
#: so the baseline knows as much about *where* as the simulator allows).
#: Epochs the pit model trains past its lowest validation loss before it stops (quick, seeds 0-2: the lowest
#: came at epochs 3-4 of 40, and the validation loss only rose after it, to 2.5-4 times its lowest).
PIT_PATIENCE = 10
STEEP_QUANTILE = 0.4
#: The IoU at which a sampled layout counts as covering the true change.
COVERAGE_IOU = 0.3

VARIANTS = {"BicycleGAN (z)": "bicycle", "pix2pix (no z)": "pix2pix", "U-Net, L1 only": "l1"}
#: The suffix of each variant's metrics in the run report (``cgan_fd``, ``cgan_fd_pix2pix``, ``cgan_fd_l1only``).
VARIANT_KEYS = {"BicycleGAN (z)": "", "pix2pix (no z)": "_pix2pix", "U-Net, L1 only": "_l1only"}
NDVI_FOREST = 0.6  # NDVI above which a simulated pixel reads as forest canopy
#: Share of the distance between the true futures of two random sites from which futures of one input read as varied.
DIVERSE_SHARE = 0.25


class PairDataset(Dataset):
    """Before/after pairs (:func:`lslib.data.pairs.scenario_pairs`) as dict samples: ``source``,
    ``target`` (C, H, W), ``scenario`` and ``trigger`` ()."""

    def __init__(self, pairs: dict[str, np.ndarray], keep: np.ndarray) -> None:
        self.source = torch.from_numpy(pairs["source"][keep])
        self.target = torch.from_numpy(pairs["target"][keep])
        self.scenario = torch.from_numpy(pairs["scenario"][keep])
        self.trigger = torch.from_numpy(pairs["trigger"][keep])

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {
            "source": self.source[index],
            "target": self.target[index],
            "scenario": self.scenario[index],
            "trigger": self.trigger[index],
        }


def train_variants(
    pairs: dict[str, np.ndarray], model_config: CGANConfig, train_config: TrainConfig, batch_size: int = 32
) -> dict[str, dict[str, Any]]:
    """Train each of :data:`VARIANTS` on the training pairs with the same seed and data order.

    Returns name -> ``{"model", "history", "seconds"}``.
    """
    train = pairs["split"] == "train"
    out = {}
    for name, mode in VARIANTS.items():
        started = time.perf_counter()
        torch.manual_seed(train_config.seed)
        model = ScenarioGAN(CGANConfig(**{**model_config.__dict__, "mode": mode}))
        loader = DataLoader(
            PairDataset(pairs, train),
            batch_size=batch_size,
            shuffle=True,
            generator=torch.Generator().manual_seed(train_config.seed),
        )
        history = fit_gan(model, {"train": loader}, TrainConfig(**{**train_config.__dict__, "name": name}))
        out[name] = {"model": model.eval(), "history": history, "seconds": time.perf_counter() - started}
    return out


def sample(
    model: ScenarioGAN,
    source: np.ndarray,
    scenario: np.ndarray | str,
    k: int,
    seed: int,
    trigger: np.ndarray | None = None,
) -> np.ndarray:
    """``k`` futures ``(k, n, C, H, W)`` of each source image for its scenario (an index per image or
    one scenario name for all) and, for landslide damage, its trigger (a :class:`~lslib.causes.Cause`
    value per image; default: none), reproducible from ``seed``."""
    if isinstance(scenario, str):
        scenario = np.full(len(source), scenario_index(scenario))
    trigger = None if trigger is None else torch.from_numpy(np.asarray(trigger, np.int64))
    with torch.no_grad():  # ScenarioGAN.sample moves the inputs to the model's device; the result comes back here
        return (
            model.sample(torch.from_numpy(source), torch.from_numpy(np.asarray(scenario)), k, seed, trigger)
            .cpu()
            .numpy()
        )


def reconstruction_scores(samples: np.ndarray, target: np.ndarray, data_range: float) -> dict[str, float]:
    """L1, PSNR (dB) and SSIM of ``k`` samples ``(k, n, C, H, W)`` against the held-out ``target``
    (n, C, H, W): the mean over samples, and the best of the k samples per input (by L1)."""
    k, n = samples.shape[:2]
    l1 = np.abs(samples - target[None]).mean(axis=(2, 3, 4))  # (k, n)
    best = l1.argmin(axis=0)
    psnr = np.array([[evaluation.psnr(samples[j, i], target[i], data_range) for i in range(n)] for j in range(k)])
    ssim = np.array([[evaluation.ssim(samples[j, i], target[i], data_range) for i in range(n)] for j in range(k)])
    pick = (best, np.arange(n))
    return {
        "L1": float(l1.mean()),
        "L1 best-of-k": float(l1[pick].mean()),
        "PSNR": float(psnr.mean()),
        "PSNR best-of-k": float(psnr[pick].mean()),
        "SSIM": float(ssim.mean()),
        "SSIM best-of-k": float(ssim[pick].mean()),
    }


def latent_scores(vae: ConvVAE, samples: np.ndarray, real: np.ndarray) -> dict[str, float]:
    """Diversity (mean pairwise distance between the k samples of one input) and realism (Fréchet
    distance between all samples and the real futures), both in the VAE's latent space (means), and
    for scale the mean distance between the true futures of two random inputs."""
    from lslib.training.vae_encoder import encode

    k, n = samples.shape[:2]
    codes = encode(vae, samples.reshape(k * n, *samples.shape[2:]).astype(np.float32)).reshape(k, n, -1)
    real_codes = encode(vae, real.astype(np.float32))
    shuffled = real_codes[np.random.default_rng(0).permutation(len(real_codes))]
    others = np.roll(shuffled, 1, axis=0)  # a derangement: no future is paired with itself
    return {
        "diversity": evaluation.mean_pairwise_distance(codes),
        "frechet": evaluation.frechet_distance(codes.reshape(k * n, -1), real_codes),
        "true futures apart": float(np.linalg.norm(shuffled - others, axis=1).mean()),
    }


def variance_matched(samples: np.ndarray, reference: np.ndarray, seed: int) -> np.ndarray:
    """``samples`` ``(k, n, C, H, W)`` with Gaussian pixel noise added so that, band by band, their
    spread across the k samples of an input matches that of ``reference`` (same shape): the fair
    baseline of a Fréchet distance, since any added variance lowers the distance of an under-dispersed
    model (an L1-only U-Net draws one future per input).

    Examples
    --------
    >>> flat = np.zeros((4, 50, 2, 8, 8)); spread = np.random.default_rng(0).normal(0, 2.0, flat.shape)
    >>> noisy = variance_matched(flat, spread, seed=0)
    >>> np.round(noisy.var(axis=0).mean(axis=(0, 2, 3)) / spread.var(axis=0).mean(axis=(0, 2, 3)), 1).tolist()
    [1.0, 1.0]
    """
    own = samples.var(axis=0, ddof=1).mean(axis=(0, 2, 3))  # (C,) unbiased spread across the k samples
    wanted = reference.var(axis=0, ddof=1).mean(axis=(0, 2, 3))
    sd = np.sqrt(np.maximum(wanted - own, 0.0)).astype(np.float32)
    noise = np.random.default_rng([seed, 6]).standard_normal(samples.shape).astype(np.float32)
    return samples + noise * sd[None, None, :, None, None]


def frechet_gain_verdict(frechet: dict[str, float]) -> str:
    """In words, how much of BicycleGAN's Fréchet-distance gain over the L1-only U-Net the adversarial
    loss alone (pix2pix, no z) already brings, from the Fréchet distance of each of :data:`VARIANTS`.

    Examples
    --------
    >>> frechet_gain_verdict({"BicycleGAN (z)": 0.4, "pix2pix (no z)": 0.5, "U-Net, L1 only": 0.6})
    'the adversarial loss alone brings 50% of that gain, z the rest'
    """
    bicycle, pix2pix, l1_only = (frechet[name] for name in VARIANTS)
    gain = l1_only - bicycle
    if gain <= 0:
        return "so neither z nor the adversarial loss brings a gain here"
    if pix2pix <= bicycle:
        return "the adversarial loss alone brings all of that gain, z none"
    return f"the adversarial loss alone brings {max(0.0, l1_only - pix2pix) / gain:.0%} of that gain, z the rest"


def mining_futures(model: ScenarioGAN, source: np.ndarray, k: int, seed: int) -> dict[str, np.ndarray]:
    """The futures the mining detector compares an observation with: ``k`` *mining* (drawn with
    ``seed``) and ``k`` *unchanged* (``seed + 1``) futures ``(k, n, C, H, W)`` of each source image."""
    return {
        "mining": sample(model, source, "mining", k, seed),
        "unchanged": sample(model, source, "unchanged", k, seed + 1),
    }


def mining_scores(
    source: np.ndarray, observed: np.ndarray, generated: dict[str, np.ndarray], compare: str = "pixels"
) -> np.ndarray:
    """How much more an observed later image looks like a *mined* future of its earlier image than
    like an *unchanged* one (higher: more like mining), from :func:`mining_futures`.

    ``compare="pixels"``
        Pixel by pixel, where the two scenarios disagree (pixels weighted by the gap between their
        mean futures, summed over bands), so the season's change, common to both, does not drown the
        pit: the weighted L1 distance to the nearest unchanged future minus that to the nearest mined one.
    ``compare="profiles"``
        Location-free: the mean absolute difference between :func:`change_profile` of the observation
        and of each future (the 1-Wasserstein distance between their per-pixel changes), as the log of
        the distance to the nearest unchanged future over that to the nearest mined one. A ratio, not
        a difference: an image that changed far more than either future (a clearing) lies almost as far
        from both, ratio near 1, where a difference would credit it with the whole gap between them.

    Raises
    ------
    ValueError
        ``compare`` is neither ``"pixels"`` nor ``"profiles"``.
    """
    mined, unchanged = generated["mining"], generated["unchanged"]
    if compare == "profiles":
        seen = change_profile(source, observed)

        def farness(futures_: np.ndarray) -> np.ndarray:
            return np.abs(change_profile(source, futures_) - seen[None]).mean(axis=-1).min(axis=0)

        return np.log(farness(unchanged) + 1e-6) - np.log(farness(mined) + 1e-6)
    if compare != "pixels":
        raise ValueError(f"compare must be 'pixels' or 'profiles', got {compare!r}")
    weight = np.abs(mined.mean(axis=0) - unchanged.mean(axis=0)).sum(axis=1, keepdims=True)  # (n, 1, H, W)
    weight = weight / np.maximum(weight.sum(axis=(2, 3), keepdims=True), 1e-9)

    def nearest(futures_: np.ndarray) -> np.ndarray:
        return (
            (np.abs(futures_ - observed[None]).mean(axis=2, keepdims=True) * weight[None])
            .sum(axis=(2, 3, 4))
            .min(axis=0)
        )

    return nearest(unchanged) - nearest(mined)


def change_profile(source: np.ndarray, images: np.ndarray) -> np.ndarray:
    """How much each pixel changed from ``source`` (n, C, H, W) to ``images`` (n, C, H, W) or
    (k, n, C, H, W), sorted from the largest change down: ``(..., H * W)``, the L1 distance over the
    bands in normalised units.

    The profile forgets *where* the change is: a pit of a given size and depth gives the same
    profile wherever it lies, so it compares a generated mine with an observed one even when the
    generator put the pit elsewhere. A compact pit shows as a few very large values; a clearing as
    many moderate ones; seasons as a low, flat profile.
    """
    change = np.abs(np.asarray(images, np.float32) - np.asarray(source, np.float32)).sum(axis=-3)
    flat = change.reshape(*change.shape[:-2], -1)
    return -np.sort(-flat, axis=-1)


def change_detection_scores(
    before: np.ndarray, after: np.ndarray, ndvi_drop: float = 0.15, swir_rise: float = 0.02
) -> np.ndarray:
    """NDVI/SWIR change-detection baseline on reflectance ``(n, 6, H, W)`` (blue, green, red, nir08,
    swir16, swir22): the share of pixels whose NDVI fell by more than ``ndvi_drop`` while SWIR 2.2 µm
    rose by more than ``swir_rise`` (vegetation replaced by bare soil or rock)."""
    d_ndvi = ndvi(after[:, 2], after[:, 3]) - ndvi(before[:, 2], before[:, 3])
    d_swir = after[:, 5] - before[:, 5]
    return ((d_ndvi < -ndvi_drop) & (d_swir > swir_rise)).mean(axis=(1, 2))


def damage_score(futures_reflectance: np.ndarray, before_reflectance: np.ndarray) -> np.ndarray:
    """Per pixel, the NDVI lost from the pre-event image to the generated futures ``(k, n, 6, H, W)``,
    averaged over the k futures (a scar strips the vegetation); threshold it to map the extent."""
    before = ndvi(before_reflectance[:, 2], before_reflectance[:, 3])
    after = ndvi(futures_reflectance[:, :, 2], futures_reflectance[:, :, 3])
    return (before[None] - after).mean(axis=0)


def damage_split(
    model: ScenarioGAN, pairs: dict[str, np.ndarray], split: str, to_reflectance, k: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`damage_score` of the *landslide damage* pairs of one split, the futures drawn from each
    pre-event image and its slide's trigger, with their slope (degrees), true scar and the boolean
    selection of those pairs among all pairs.

    Raises
    ------
    ValueError
        The split holds no slide.
    """
    keep = (pairs["split"] == split) & (pairs["scenario"] == scenario_index("landslide_damage"))
    if not keep.any():
        raise ValueError(f"No landslide-damage pair in the {split!r} split: simulate more sites")
    futures_ = sample(model, pairs["source"][keep], "landslide_damage", k, seed, trigger=pairs["trigger"][keep])
    score = damage_score(to_reflectance(futures_), to_reflectance(pairs["source"][keep]))
    return score, pairs["slope"][keep], pairs["scar"][keep], keep


def best_threshold_iou(score: np.ndarray, masks: np.ndarray, candidates: np.ndarray) -> float:
    """The threshold on a per-pixel ``score`` ``(n, H, W)`` that maximises the mean IoU with ``masks``
    (one parameter, fitted on training pairs, for the cGAN and for the slope baseline alike)."""
    return float(max(candidates, key=lambda t: mean_iou(score > t, masks)))


def reforestation_rankings(
    model: ScenarioGAN,
    source: np.ndarray,
    slope: np.ndarray,
    to_reflectance,
    k: int,
    seed: int,
    soil=None,
    min_candidates: int = 10,
) -> list[dict[str, np.ndarray] | None]:
    """The planner of the reforestation application: from what an agency can observe, the per-cell
    rankings of every site's open cells, or ``None`` for a site with fewer than ``min_candidates``.

    It reads the earlier images ``source`` (normalised) and the slope (degrees), nothing else: the
    generator draws ``k`` reforested futures, and an open cell (NDVI < 0.5 now) *becomes forest* where
    their mean NDVI exceeds :data:`NDVI_FOREST`. **cGAN + physics** ranks by
    :func:`lslib.analysis.planting.stability_gain` where the generated future is forest (0 elsewhere);
    **physics only** ranks every open cell by its gain as if any would grow; **steepest first** ranks by
    slope. Both physics rankings assume ``soil``'s mid-range values
    (:class:`lslib.analysis.planting.SoilParameters`), never the site's own.

    Returns
    -------
    list
        Per site ``{"candidates": bool (H, W), "becomes_forest": bool (H, W), "rankings": {name: (H, W)}}``.
    """
    from lslib.analysis.planting import SoilParameters, stability_gain

    soil = soil or SoilParameters()
    generated = to_reflectance(sample(model, source, "reforestation", k, seed))
    futures_ndvi = ndvi(generated[:, :, 2], generated[:, :, 3]).mean(axis=0)
    now = to_reflectance(source)
    now_ndvi = ndvi(now[:, 2], now[:, 3])
    plans: list[dict[str, np.ndarray] | None] = []
    for i in range(len(source)):
        candidates = now_ndvi[i] < 0.5
        if candidates.sum() < min_candidates:
            plans.append(None)
            continue
        becomes_forest = candidates & (futures_ndvi[i] > NDVI_FOREST)
        rankings = {
            "cGAN + physics": stability_gain(slope[i], becomes_forest, soil),
            "physics only": stability_gain(slope[i], candidates, soil),
            "steepest first": slope[i],
        }
        plans.append({"candidates": candidates, "becomes_forest": becomes_forest, "rankings": rankings})
    return plans


def plan_reforestation(
    model: ScenarioGAN,
    pairs: dict[str, np.ndarray],
    keep: np.ndarray,
    stack,
    to_reflectance,
    k: int,
    seed: int,
    share: float = 0.1,
    n_storms: int = 32,
) -> list[dict[str, object]]:
    """Reforestation planning on the selected pairs, judged on each site's hidden ground.

    :func:`reforestation_rankings` plans from the pairs' earlier images and slopes alone. Each of its
    three rankings and a **random** draw plant the same number of open cells (the top ``share``). The
    judge (:func:`lslib.analysis.planting.planting_trial` on
    :func:`lslib.analysis.planting.hidden_ground`) gives forest roots only to planted cells where the
    *true* future is forest (trees do not take everywhere), and computes the slide rate with the site's
    true soil depth, cohesion, friction angle and root strength over the water tables of its ``n_storms``
    wettest days: oracle variables of ``stack`` the planner never reads.

    Parameters
    ----------
    pairs, keep : dict, numpy.ndarray of bool
        :func:`lslib.data.pairs.scenario_pairs` of ``stack`` and the reforestation pairs to plan.
    stack : xarray.Dataset
        The simulated stack the pairs come from (the judge's hidden truth).
    to_reflectance : callable
        Maps normalised images to reflectance (:func:`lslib.data.pairs.denormalise` bound to the stack).
    """
    from lslib.analysis.planting import hidden_ground, planting_trial

    rng = np.random.default_rng(seed)
    plans = reforestation_rankings(model, pairs["source"][keep], pairs["slope"][keep], to_reflectance, k, seed)
    truth = to_reflectance(pairs["target"][keep])
    true_ndvi = ndvi(truth[:, 2], truth[:, 3])
    dates = stack["date"].values
    results = []
    for i, (plan, site, before) in enumerate(zip(plans, pairs["site"][keep], pairs["before"][keep])):
        if plan is None:
            continue
        frame = int(np.nonzero(dates[site] == before)[0][0])
        candidates = plan["candidates"]
        trial = planting_trial(
            pairs["slope"][keep][i],
            ~candidates,
            candidates,
            plan["rankings"],
            int(round(share * candidates.sum())),
            hidden_ground(stack, int(site), frame, n_storms),
            rng,
            grows=true_ndvi[i] > NDVI_FOREST,
        )
        results.append(
            {
                **trial,
                "site": int(site),
                "candidates": int(candidates.sum()),
                "becomes_forest": int(plan["becomes_forest"].sum()),
                "truly_forest": int((candidates & (true_ndvi[i] > NDVI_FOREST)).sum()),
            }
        )
    return results


def paired_site_difference(a: np.ndarray, b: np.ndarray, n_boot: int, seed: int) -> dict[str, float]:
    """Mean of ``a - b`` over sites (one value each) with a 95% bootstrap interval over sites."""
    return dict(zip(("diff", "low", "high"), evaluation.paired_difference(a, b, n_boot=n_boot, seed=seed)))


def mean_iou(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Mean over images of the IoU of ``(n, H, W)`` boolean masks."""
    return float(np.mean([evaluation.iou(p, t) for p, t in zip(predicted, truth)]))


def training_summary(variants: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Seconds spent training each variant."""
    return {name: round(v["seconds"], 1) for name, v in variants.items()}


def history_of(variants: dict[str, dict[str, Any]]) -> dict[str, History]:
    return {name: v["history"] for name, v in variants.items()}


def auroc_pair(
    labels: np.ndarray, scores: dict[str, np.ndarray], reference: str, sites: np.ndarray, n_boot: int, seed: int
) -> dict[str, dict[str, float]]:
    """AUROC of each score with its interval and its paired difference to ``reference`` (site bootstrap)."""
    return evaluation.paired_bootstrap(
        evaluation.auroc,
        labels,
        scores,
        evaluation.bootstrap_resamples(len(labels), sites, n_boot, seed),
        reference=reference,
    )


# --------------------------------------------------------------------------------------------
# Version 2: lay out, then render (mining)
# --------------------------------------------------------------------------------------------


def layout_rows(pairs: dict[str, np.ndarray], keep: np.ndarray, discs_for_mines: bool = False) -> list[dict]:
    """The selected pairs as dict samples for :mod:`lslib.models.layout` (``source``, ``target``,
    ``terrain``, ``layout``, ``scenario``, ``trigger``); with ``discs_for_mines``, each mining layout
    replaced by its disc (:func:`lslib.models.layout.disc_layouts`), the form the pit model samples."""
    layout = torch.from_numpy(pairs["layout"])
    if discs_for_mines:
        mines = torch.from_numpy(pairs["scenario"] == scenario_index("mining"))
        layout = layout.clone()
        layout[mines] = disc_layouts(layout[mines])
    keys = ("source", "target", "terrain", "scenario", "trigger")
    return [
        {**{key: torch.as_tensor(pairs[key][i]) for key in keys}, "layout": layout[i].float()}
        for i in np.nonzero(keep)[0]
    ]


def train_layout_models(
    pairs: dict[str, np.ndarray],
    size: int,
    width: int,
    pit_epochs: int,
    render_epochs: int,
    learning_rate: float,
    seed: int,
    batch_size: int = 32,
) -> dict[str, Any]:
    """Train the pit model on the training mines (the epoch with the lowest validation loss kept, training
    stopped :data:`PIT_PATIENCE` epochs after it; with no validation mine, the lowest training loss) and
    the renderer on every training pair (mines laid out as discs).

    Returns ``{"pit", "renderer", "pit_history", "render_history", "seconds"}``.
    """
    started = time.perf_counter()
    mines = pairs["scenario"] == scenario_index("mining")

    def loader(rows: list[dict]) -> DataLoader:
        return DataLoader(rows, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))

    torch.manual_seed(seed)
    pit = PitModel(LayoutConfig(bands=pairs["source"].shape[1], n_terrain=pairs["terrain"].shape[1], size=size))
    rows = {split: layout_rows(pairs, mines & (pairs["split"] == split)) for split in ("train", "val")}
    if not rows["train"]:
        raise ValueError("train_layout_models needs at least one training mine")
    loaders = {split: loader(chosen) for split, chosen in rows.items() if chosen}  # no val mine: kept by training loss
    with flushed_denormals():  # the pixel softmax's gradients go subnormal: twice the speed, the same metrics
        config = TrainConfig(
            epochs=pit_epochs, lr=2e-3, seed=seed, restore_best=True, name="pits", patience=PIT_PATIENCE
        )
        pit_history = fit(pit, loaders, config)
    torch.manual_seed(seed)
    config = RenderConfig(bands=pairs["source"].shape[1], n_terrain=pairs["terrain"].shape[1], size=size, width=width)
    renderer = LayoutRenderer(config)
    train = layout_rows(pairs, pairs["split"] == "train", discs_for_mines=True)
    render_history = fit_gan(
        renderer,
        {"train": loader(train)},
        TrainConfig(epochs=render_epochs, lr=learning_rate, seed=seed, name="renderer"),
    )
    return {
        "pit": pit.eval(),
        "renderer": renderer.eval(),
        "pit_history": pit_history,
        "render_history": render_history,
        "seconds": time.perf_counter() - started,
    }


def steep_pixels(slope: np.ndarray, quantile: float = STEEP_QUANTILE) -> np.ndarray:
    """(n, H, W) bool: the pixels steeper than the ``quantile`` of their site's slopes (degrees)."""
    slope = np.asarray(slope, np.float32)
    return slope > np.quantile(slope.reshape(len(slope), -1), quantile, axis=1)[:, None, None]


def best_of_k_coverage(layouts: np.ndarray, truth: np.ndarray, threshold: float = COVERAGE_IOU) -> np.ndarray:
    """(n,) bool: whether one of the ``k`` layouts ``(k, n, H, W)`` of a site overlaps its true
    change ``(n, H, W)`` with an IoU of at least ``threshold``.

    Examples
    --------
    >>> truth = np.zeros((1, 4, 4), bool); truth[0, :2, :2] = True
    >>> miss, hit = np.zeros((1, 4, 4), bool), truth.copy()
    >>> best_of_k_coverage(np.stack([miss, hit]), truth).tolist(), best_of_k_coverage(miss[None], truth).tolist()
    ([True], [False])
    """
    k, n = layouts.shape[:2]
    best = np.array([max(evaluation.iou(layouts[j, i], truth[i]) for j in range(k)) for i in range(n)])
    return best >= threshold


def random_placements(layouts: np.ndarray, eligible: np.ndarray, seed: int) -> np.ndarray:
    """The same shapes ``(k, n, H, W)`` moved so that each one's centre (its rounded centroid) lands on
    a random ``eligible`` pixel of its site ``(n, H, W)``; what leaves the patch is cut off. Empty
    layouts stay empty. The baseline of :func:`best_of_k_coverage`: the sizes of the model's layouts
    without its sense of place.

    Raises
    ------
    ValueError
        A site has no eligible pixel.
    """
    if not eligible.reshape(len(eligible), -1).any(axis=1).all():
        raise ValueError("every site needs at least one eligible pixel")
    rng = np.random.default_rng([seed, 11])
    height, width = layouts.shape[-2:]
    out = np.zeros_like(layouts, dtype=bool)
    for j in range(layouts.shape[0]):
        for i in range(layouts.shape[1]):
            rows, cols = np.nonzero(layouts[j, i])
            if not len(rows):
                continue
            target_rows, target_cols = np.nonzero(eligible[i])
            pick = rng.integers(len(target_rows))
            shift_r = target_rows[pick] - int(round(rows.mean()))
            shift_c = target_cols[pick] - int(round(cols.mean()))
            r, c = rows + shift_r, cols + shift_c
            inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
            out[j, i, r[inside], c[inside]] = True
    return out


def change_magnitude_ks(
    source: np.ndarray, generated: np.ndarray, layouts: np.ndarray, target: np.ndarray, truth: np.ndarray
) -> dict[str, float]:
    """How strong generated changes are against real ones: the per-pixel change (L1 over the bands,
    normalised units) inside the generated layouts of ``k`` futures ``(k, n, C, H, W)`` against that
    inside the true changes of the observed targets ``(n, C, H, W)``; the two-sample KS distance and
    both medians.

    Raises
    ------
    ValueError
        No pixel lies inside a generated or a true layout.
    """
    from scipy.stats import ks_2samp

    generated_change = np.abs(generated - source[None]).sum(axis=2)[layouts]
    real_change = np.abs(target - source).sum(axis=1)[truth]
    if not len(generated_change) or not len(real_change):
        raise ValueError("change_magnitude_ks needs pixels inside both the generated and the true layouts")
    return {
        "ks": float(ks_2samp(generated_change, real_change).statistic),
        "median_generated": float(np.median(generated_change)),
        "median_real": float(np.median(real_change)),
    }


def laid_out_mines(
    pit: PitModel, renderer: LayoutRenderer, pairs: dict[str, np.ndarray], keep: np.ndarray, k: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``k`` growing-pit layouts ``(k, n, H, W)`` of the selected pairs' earlier images (drawn with
    ``seed``), and the futures ``(k, n, C, H, W)`` the renderer paints from them, as numpy."""
    source, terrain = (torch.from_numpy(pairs[key][keep]) for key in ("source", "terrain"))
    layouts = pit.sample(source, terrain, k, seed, always_grow=True)
    mining = torch.full((len(source),), scenario_index("mining"))
    return layouts.cpu().numpy(), renderer.render(source, terrain, layouts, mining).cpu().numpy()


def growing_test_mines(pairs: dict[str, np.ndarray]) -> np.ndarray:
    """(n,) bool: the test mining pairs whose footprint grew between the two frames (coverage's cases)."""
    return (
        (pairs["scenario"] == scenario_index("mining")) & pairs["layout"].any(axis=(1, 2)) & (pairs["split"] == "test")
    )


def laid_out_mining(
    pairs: dict[str, np.ndarray],
    detection: dict[str, np.ndarray],
    seeds: Sequence[int],
    layout_settings: Mapping[str, Any],
    k: int,
) -> dict[str, Any]:
    """Version 2's mining half over training seeds: per seed, a pit model and a renderer
    (:func:`train_layout_models` with ``layout_settings``), ``k`` sampled layouts and futures of every
    growing test mine (:func:`growing_test_mines`) and the detector's evidence on the test detection pairs.

    Returns
    -------
    dict
        ``covered`` and ``covered_random`` ``(n_seeds, n_mines)`` float (1: one of the k layouts, or of the
        same shapes placed at random on steep pixels, overlaps the true footprint; :func:`best_of_k_coverage`);
        ``magnitude``, one :func:`change_magnitude_ks` per seed; ``evidence`` ``(n_seeds, n_test)``
        (:func:`mining_evidence_scores`); ``grew``; the first seed's ``layouts``, ``futures``, ``pit`` and
        ``renderer`` (for the figure); ``best_epochs`` of the pit models; ``seconds`` of all training.
    """
    seeds = [int(seed) for seed in seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must name at least one training seed, all different, got {seeds}")
    grew = growing_test_mines(pairs)
    if not grew.any():
        raise ValueError("No test mine grew between the frames: simulate more mining sites")
    truth, eligible = pairs["layout"][grew], steep_pixels(pairs["slope"][grew])
    test = detection["split"] == "test"
    runs = []
    for seed in seeds:
        models = train_layout_models(pairs, seed=seed, **layout_settings)
        layouts, futures = laid_out_mines(models["pit"], models["renderer"], pairs, grew, k, seed)
        runs.append(
            {
                **models,
                "layouts": layouts,
                "futures": futures,
                "covered": best_of_k_coverage(layouts, truth),
                "covered_random": best_of_k_coverage(random_placements(layouts, eligible, seed), truth),
                "magnitude": change_magnitude_ks(pairs["source"][grew], futures, layouts, pairs["target"][grew], truth),
                "evidence": mining_evidence_scores(models["pit"], models["renderer"], detection, test, k, seed),
            }
        )
    first = runs[0]
    return {
        **{
            key: np.stack([run[key] for run in runs]).astype(float) for key in ("covered", "covered_random", "evidence")
        },
        "magnitude": [run["magnitude"] for run in runs],
        "grew": grew,
        **{key: first[key] for key in ("layouts", "futures", "pit", "renderer")},
        "best_epochs": [int(run["pit_history"].best_epoch) + 1 for run in runs],
        "seconds": float(sum(run["seconds"] for run in runs)),
    }


def mining_evidence_scores(
    pit: PitModel, renderer: LayoutRenderer, detection: dict[str, np.ndarray], keep: np.ndarray, k: int, seed: int
) -> np.ndarray:
    """:func:`lslib.models.layout.mining_evidence` of the selected detection pairs, as numpy."""
    source, terrain, observed = (torch.from_numpy(detection[key][keep]) for key in ("source", "terrain", "target"))
    return mining_evidence(pit, renderer, source, terrain, observed, k, seed).numpy()


def subset_pairs(pairs: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    """The selected rows of every array of a pairs dict (:func:`lslib.data.pairs.scenario_pairs`)."""
    return {key: value[keep] for key, value in pairs.items()}


def few_shot_mines(detection: dict[str, np.ndarray], n_mines: int, seed: int) -> np.ndarray:
    """(n,) bool: ``n_mines`` training mines of the detection pairs, drawn with ``seed``: the few real
    mines a scarce-label study would have.

    Raises
    ------
    ValueError
        Fewer than ``n_mines`` training mines.
    """
    mines = np.nonzero(detection["mining"] & (detection["split"] == "train"))[0]
    if len(mines) < n_mines:
        raise ValueError(f"{n_mines} few-shot mines asked, but the training split holds {len(mines)}")
    chosen = np.zeros(len(detection["mining"]), bool)
    chosen[np.random.default_rng([seed, 18]).choice(mines, size=n_mines, replace=False)] = True
    return chosen


def generated_mine_pairs(
    pit: PitModel, renderer: LayoutRenderer, pairs: dict[str, np.ndarray], keep: np.ndarray, k: int, seed: int
) -> dict[str, np.ndarray]:
    """``k`` generated mined futures of each selected pair's earlier image, as labelled pairs
    (``source``, ``target``, ``terrain``, ``mining`` all True): the augmentation of a few-shot set."""
    _, futures = laid_out_mines(pit, renderer, pairs, keep, k, seed)
    source, terrain = pairs["source"][keep], pairs["terrain"][keep]
    return {
        "source": np.tile(source, (k, 1, 1, 1)),
        "target": futures.reshape(-1, *futures.shape[2:]),
        "terrain": np.tile(terrain, (k, 1, 1, 1)),
        "mining": np.ones(k * len(source), bool),
    }


def classifier_scores(
    train: dict[str, np.ndarray], test: dict[str, np.ndarray], width: int, epochs: int, seeds: list[int] | range
) -> np.ndarray:
    """``(n_seeds, n_test)`` logits of :class:`lslib.models.pair_classifier.PairClassifier` (first layer
    ``width`` channels) trained on the ``train`` pairs (``source``, ``target``, ``terrain``, ``mining``)
    once per seed, on the ``test`` pairs."""
    bands, n_terrain, size = train["source"].shape[1], train["terrain"].shape[1], train["source"].shape[-1]
    config = PairClassifierConfig(bands=bands, n_terrain=n_terrain, size=size, width=width)
    scores = []
    for seed in seeds:
        model = train_pair_classifier(
            train["source"], train["target"], train["terrain"], train["mining"], config, epochs, seed
        )
        scores.append(pair_scores(model, test["source"], test["target"], test["terrain"]))
    return np.stack(scores)


def few_shot_sets(
    pairs: dict[str, np.ndarray],
    detection: dict[str, np.ndarray],
    n_mines: int,
    futures_per_mine: int,
    layout_settings: Mapping[str, Any],
    seed: int,
) -> dict[str, Any]:
    """The training sets of the few-shot test: what a study with only ``n_mines`` labelled mines has.

    ``real`` holds every training detection pair without a mine and ``n_mines`` training mines
    (:func:`few_shot_mines`). ``generated`` holds ``futures_per_mine`` mined futures of each of those
    mines' earlier images, from a pit model and a renderer trained (:func:`train_layout_models` with
    ``layout_settings``) on the training pairs with every other mine left out, so the generator
    knows no more mines than the classifier does. Also ``mines`` (the chosen rows of ``detection``)
    and ``seconds`` (the generator's training time).
    """
    chosen = few_shot_mines(detection, n_mines, seed)
    real = subset_pairs(detection, (detection["split"] == "train") & ~detection["mining"] | chosen)
    mining = pairs["scenario"] == scenario_index("mining")
    scarce = subset_pairs(pairs, ~mining | np.isin(pairs["site"], detection["site"][chosen]))
    models = train_layout_models(scarce, seed=seed, **layout_settings)
    few_mines = (scarce["scenario"] == scenario_index("mining")) & (scarce["split"] == "train")
    generated = generated_mine_pairs(models["pit"], models["renderer"], scarce, few_mines, futures_per_mine, seed)
    return {"real": real, "generated": generated, "mines": chosen, "seconds": models["seconds"]}


def join_pairs(*sets: dict[str, np.ndarray], keys=("source", "target", "terrain", "mining")) -> dict[str, np.ndarray]:
    """The ``keys`` arrays of several labelled pair sets, concatenated."""
    return {key: np.concatenate([s[key] for s in sets]) for key in keys}


def seeded_auroc_table(
    labels: np.ndarray, scores: dict[str, np.ndarray], sites: np.ndarray, n_boot: int, seed: int
) -> dict[str, tuple[float, float, float]]:
    """Each model's mean AUROC over its training seeds, with a seed-and-site bootstrap interval
    (:func:`lslib.evaluation.seed_site_resamples`), and ``"<a> - <b>"`` for the paired difference of
    every later name against the first. ``scores``: name -> ``(n_seeds, n)`` (the same seeds for all)."""
    names = list(scores)
    n_seeds = next(iter(scores.values())).shape[0]
    resamples = evaluation.seed_site_resamples(n_seeds, len(labels), groups=sites, n_boot=n_boot, seed=seed)

    def statistics(seed_picks: np.ndarray, cases: np.ndarray) -> dict[str, float]:
        if labels[cases].all() or not labels[cases].any():
            return {}
        means = {
            name: float(np.mean([evaluation.auroc(labels[cases], scores[name][s, cases]) for s in seed_picks]))
            for name in names
        }
        return {**means, **{f"{name} - {names[0]}": means[name] - means[names[0]] for name in names[1:]}}

    return evaluation.seed_site_intervals(statistics, n_seeds, len(labels), resamples)


# --------------------------------------------------------------------------------------------
# Version 2: the extent of a slide, laid out
# --------------------------------------------------------------------------------------------


def train_scar_model(
    pairs: dict[str, np.ndarray], size: int, width: int, epochs: int, seed: int, batch_size: int = 32
) -> dict[str, Any]:
    """Train a :class:`lslib.models.layout.LayoutModel` on the training slides' scars (the earlier image,
    the terrain and the trigger as its condition), keeping the epoch with the lowest loss on the
    validation slides. Returns ``{"model", "history", "seconds"}``.

    Raises
    ------
    ValueError
        No training slide.
    """
    started = time.perf_counter()
    damage = pairs["scenario"] == scenario_index("landslide_damage")
    rows = {split: layout_rows(pairs, damage & (pairs["split"] == split)) for split in ("train", "val")}
    if not rows["train"]:
        raise ValueError("train_scar_model needs at least one training slide")
    loaders = {
        split: DataLoader(chosen, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))
        for split, chosen in rows.items()
        if chosen
    }
    torch.manual_seed(seed)
    config = LayoutConfig(bands=pairs["source"].shape[1], n_terrain=pairs["terrain"].shape[1], size=size, width=width)
    model = LayoutModel(config)
    history = fit(model, loaders, TrainConfig(epochs=epochs, lr=2e-3, seed=seed, restore_best=True, name="scars"))
    return {"model": model.eval(), "history": history, "seconds": time.perf_counter() - started}


def scar_probability(
    model: LayoutModel, pairs: dict[str, np.ndarray], keep: np.ndarray, k: int, seed: int
) -> np.ndarray:
    """(n, H, W): the probability that each pixel of the selected slides is scar, the mean of the
    layout model's per-pixel probabilities over ``k`` latent draws from its prior."""
    source, terrain, trigger = (torch.from_numpy(pairs[key][keep]) for key in ("source", "terrain", "trigger"))
    damage = torch.full((len(source),), scenario_index("landslide_damage"))
    return torch.sigmoid(model.logits(source, terrain, damage, k, seed, trigger)).mean(dim=0).cpu().numpy()


def scar_layouts(
    model: LayoutModel, pairs: dict[str, np.ndarray], keep: np.ndarray, k: int, seed: int, threshold: float = 0.5
) -> np.ndarray:
    """``k`` sampled scars ``(k, n, H, W)`` bool of the selected slides: the pixels whose scar probability
    under one latent draw exceeds ``threshold``."""
    source, terrain, trigger = (torch.from_numpy(pairs[key][keep]) for key in ("source", "terrain", "trigger"))
    damage = torch.full((len(source),), scenario_index("landslide_damage"))
    return model.sample(source, terrain, damage, k, seed, trigger, threshold=threshold).cpu().numpy()


def damage_baselines(pairs: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    """The per-pixel scores of the damage baselines on the selected pairs: ``slope`` (degrees) and
    ``wetness`` (the DEM's topographic wetness, 0.3 on ridges to 1 in hollows); each is thresholded
    like the model's probability."""
    from lslib.data.sim.terrain import topographic_wetness

    return {
        "slope": pairs["slope"][keep],
        "wetness": np.stack([topographic_wetness(dem) for dem in pairs["dem"][keep]]).astype(np.float32),
    }


def per_slide_iou(predicted: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(n,): the IoU of each ``(n, H, W)`` predicted mask with its true scar."""
    return np.array([evaluation.iou(p, t) for p, t in zip(predicted, truth)])


#: Thresholds tried on the validation slides, per damage score.
DAMAGE_CANDIDATES = {
    "layout model": np.linspace(0.02, 0.9, 45),
    "slope": np.arange(10.0, 50.0, 1.0),
    "wetness": np.linspace(0.3, 1.0, 36),
}


def compare_damage_maps(
    scores: Mapping[str, Mapping[str, np.ndarray]],
    scars: Mapping[str, np.ndarray],
    candidates: Mapping[str, np.ndarray] = DAMAGE_CANDIDATES,
    baselines: tuple[str, ...] = ("slope", "wetness"),
) -> dict[str, Any]:
    """Threshold every per-pixel damage score on the validation slides and score it on the test slides.

    Parameters
    ----------
    scores : mapping
        ``{"val": {name: (n, H, W)}, "test": {name: (n, H, W)}}``.
    scars : mapping
        ``{"val": (n, H, W) bool, "test": (n, H, W) bool}``, the true scars.
    candidates : mapping
        Name -> thresholds to try (:func:`best_threshold_iou`).
    baselines : tuple of str
        The names among which the better baseline is chosen, by validation IoU.

    Returns
    -------
    dict
        ``thresholds``, ``val_iou`` (mean per name), ``test_iou`` (per-slide arrays) and ``better``
        (the baseline with the higher validation IoU; the test slides never choose it).
    """
    thresholds = {name: best_threshold_iou(scores["val"][name], scars["val"], candidates[name]) for name in candidates}
    val_iou = {name: mean_iou(scores["val"][name] > thresholds[name], scars["val"]) for name in candidates}
    test_iou = {name: per_slide_iou(scores["test"][name] > thresholds[name], scars["test"]) for name in candidates}
    return {
        "thresholds": thresholds,
        "val_iou": val_iou,
        "test_iou": test_iou,
        "better": max(baselines, key=val_iou.get),
    }


def laid_out_damage(
    pairs: dict[str, np.ndarray],
    size: int,
    width: int,
    epochs: int,
    seeds: list[int] | range,
    k: int,
    batch_size: int = 32,
) -> dict[str, Any]:
    """Version 2 of the damage extent, once per training seed: :func:`train_scar_model`, the scar
    probability of the validation and test slides (``k`` latent draws), and :func:`compare_damage_maps`
    against the slope and wetness baselines (each seed's own threshold chosen on validation).

    Returns
    -------
    dict
        ``test_iou``: name -> ``(n_seeds, n_test)`` per-slide IoU (the baselines repeated per seed);
        ``thresholds`` and ``val_iou``: name -> one value per seed; ``better``: the baseline with the
        higher validation IoU; ``model`` and ``probability`` (test slides) of the first seed;
        ``best_epochs`` and ``seconds``.
    """
    damage = pairs["scenario"] == scenario_index("landslide_damage")
    keep = {split: damage & (pairs["split"] == split) for split in ("val", "test")}
    scars = {split: pairs["scar"][chosen] for split, chosen in keep.items()}
    baselines = {split: damage_baselines(pairs, chosen) for split, chosen in keep.items()}
    runs = []
    for seed in seeds:
        fitted = train_scar_model(pairs, size, width, epochs, seed, batch_size)
        scores = {
            split: {"layout model": scar_probability(fitted["model"], pairs, chosen, k, seed), **baselines[split]}
            for split, chosen in keep.items()
        }
        runs.append({**fitted, "scores": scores, "maps": compare_damage_maps(scores, scars)})
    names = list(DAMAGE_CANDIDATES)
    return {
        "test_iou": {name: np.stack([run["maps"]["test_iou"][name] for run in runs]) for name in names},
        "thresholds": {name: [run["maps"]["thresholds"][name] for run in runs] for name in names},
        "val_iou": {name: [run["maps"]["val_iou"][name] for run in runs] for name in names},
        "better": runs[0]["maps"]["better"],  # the baselines do not depend on the seed
        "model": runs[0]["model"],
        "probability": runs[0]["scores"]["test"]["layout model"],
        "best_epochs": [int(run["history"].best_epoch) + 1 for run in runs],
        "seconds": float(sum(run["seconds"] for run in runs)),
    }


def seeded_mean_table(
    values: dict[str, np.ndarray], sites: np.ndarray, n_boot: int, seed: int
) -> dict[str, tuple[float, float, float]]:
    """Each name's mean over training seeds and test cases of ``(n_seeds, n)`` values (a per-slide
    IoU), with a seed-and-site bootstrap interval, and ``"<a> - <b>"`` for every later name against
    the first (paired: the same seeds and cases in every draw)."""
    names = list(values)
    n_seeds, n_cases = next(iter(values.values())).shape
    resamples = evaluation.seed_site_resamples(n_seeds, n_cases, groups=sites, n_boot=n_boot, seed=seed)

    def statistics(seed_picks: np.ndarray, cases: np.ndarray) -> dict[str, float]:
        means = {name: float(values[name][np.ix_(seed_picks, cases)].mean()) for name in names}
        return {**means, **{f"{name} - {names[0]}": means[name] - means[names[0]] for name in names[1:]}}

    return evaluation.seed_site_intervals(statistics, n_seeds, n_cases, resamples)


# --------------------------------------------------------------------------------------------
# Verdicts and findings: sentences generated from the numbers the chapter recorded
# --------------------------------------------------------------------------------------------


def mining_verdict(auroc: float, baseline: float, diff_low: float) -> str:
    """How the cGAN mining detector compares with NDVI/SWIR change detection: ``"beats"`` when the
    paired interval of their AUROC difference lies above zero (lower end ``diff_low``), ``"falls
    below"`` when its AUROC is lower, else ``"does not clearly beat"``.

    Examples
    --------
    >>> mining_verdict(0.8, 0.6, 0.05), mining_verdict(0.5, 0.6, -0.3), mining_verdict(0.66, 0.6, -0.2)
    ('beats', 'falls below', 'does not clearly beat')
    """
    return "beats" if diff_low > 0 else "falls below" if auroc < baseline else "does not clearly beat"


def damage_verdict(iou: float, baseline: float) -> str:
    """``"above"`` when the generated damage extent's mean IoU exceeds the slope threshold's, else ``"not above"``."""
    return "above" if iou > baseline else "not above"


def planting_ratio(ranked: float, random: float) -> float:
    """How many times as much the cGAN + physics plan lowers the slide rate as random planting."""
    return ranked / max(random, 1e-9)


def verdicts(metrics: Mapping[str, Any]) -> dict[str, str]:
    """The verdict words the chapter's prose quotes, from its recorded metrics: ``mining_verdict``
    and ``damage_verdict`` (see the functions of the same names)."""
    mining = (value_of(metrics, name) for name in ("mining_auroc", "mining_auroc_baseline", "mining_auroc_diff_ci_low"))
    return {
        "mining_verdict": mining_verdict(*mining),
        "damage_verdict": damage_verdict(
            value_of(metrics, "damage_iou_bicycle"), value_of(metrics, "damage_iou_slope")
        ),
    }


@answers("Does the latent code z make the generator draw different futures?", "simulated", "diversity, VAE latent")
def _diversity_finding(metrics: Mapping[str, Any]) -> Answer:
    diversity, no_z = value_of(metrics, "cgan_diversity"), value_of(metrics, "cgan_diversity_no_z")
    apart = value_of(metrics, "cgan_true_futures_apart")
    said = f"futures of one input drawn with different z lie {diversity:.3f} apart in the VAE's latent space"
    if not diversity > no_z:
        answer = f"No: {said}, no more than pix2pix's without z ({no_z:.3f})."
    elif diversity < DIVERSE_SHARE * apart:
        answer = (
            f"Only a little: {said}, where the true futures of two random sites lie {apart:.2f} apart "
            f"(pix2pix without z: {no_z:.3f})."
        )
    else:
        answer = f"Yes: {said}, against {no_z:.3f} without z (the true futures of two random sites: {apart:.2f})."
    return Answer(answer, diversity)


@answers(
    "Are BicycleGAN's futures closer to the real ones than an L1-only U-Net's?",
    "simulated",
    "Fréchet distance, VAE latent",
)
def _realism_finding(metrics: Mapping[str, Any]) -> Answer:
    frechet = {name: value_of(metrics, f"cgan_fd{key}") for name, key in VARIANT_KEYS.items()}
    bicycle, l1_only = frechet["BicycleGAN (z)"], frechet["U-Net, L1 only"]
    distance = f"their Fréchet distance to the true futures is {bicycle:.3f}"
    noisy = value_of(metrics, "cgan_fd_l1noise")
    if not math.isnan(noisy):  # the fair baseline: the U-Net's futures given BicycleGAN's spread as noise
        fair = (
            f"{distance}, against {l1_only:.3f} for the L1-only U-Net and {noisy:.3f} for that U-Net with pixel "
            f"noise matching BicycleGAN's spread (any added variance lowers the distance of a model with none)"
        )
        if bicycle < min(l1_only, noisy):
            return Answer(f"Yes: {fair}; {frechet_gain_verdict(frechet)}.", bicycle)
        if bicycle < l1_only:
            return Answer(f"Only against the noiseless U-Net: {fair}.", bicycle)
        return Answer(f"No: {fair}.", bicycle)
    if bicycle < l1_only:
        return Answer(
            f"Yes: {distance}, against {l1_only:.3f} for the L1-only U-Net; {frechet_gain_verdict(frechet)}.", bicycle
        )
    return Answer(f"No: {distance}, not below the L1-only U-Net's {l1_only:.3f}.", bicycle)


@answers("Can generated futures detect mines better than NDVI/SWIR change detection?", "simulated", "AUROC")
def _mining_finding(metrics: Mapping[str, Any]) -> Answer:
    auroc, baseline = value_of(metrics, "mining_auroc"), value_of(metrics, "mining_auroc_baseline")
    word = verdicts(metrics)["mining_verdict"]
    lead = {"beats": "Yes", "falls below": "No, worse", "does not clearly beat": "Not clearly"}[word]
    answer = (
        f"{lead}: comparing an observed frame with generated mined and unchanged futures gives AUROC {auroc:.2f} "
        f"on held-out sites, against {baseline:.2f} for NDVI/SWIR change detection; it {word} the baseline "
        f"(lower end of the paired 95 % interval of the difference: "
        f"{value_of(metrics, 'mining_auroc_diff_ci_low'):+.2f})."
    )
    return Answer(answer, auroc, interval_of(metrics, "mining_auroc_ci"))


@answers("Can generated damage futures map a slide's extent better than a slope threshold?", "simulated", "mean IoU")
def _damage_finding(metrics: Mapping[str, Any]) -> Answer:
    iou, baseline = value_of(metrics, "damage_iou_bicycle"), value_of(metrics, "damage_iou_slope")
    floor = value_of(metrics, "damage_iou_all_pixels")
    word = verdicts(metrics)["damage_verdict"]
    answer = (
        f"{'Yes' if word == 'above' else 'No'}: the extent mapped from generated damage futures reaches a mean "
        f"IoU of {iou:.3f} with the true scars, {word} the slope threshold's {baseline:.3f}; calling every pixel "
        f"a scar scores {floor:.3f}."
    )
    return Answer(answer, iou)


#: How many times as much slide rate the plan must remove as random planting (issue 18's goal).
PLANTING_GOAL = 1.5


@answers(
    "Judged on each site's hidden soil, does the plan hold more slopes than planting at random?",
    "simulated",
    "times random planting's reduction",
)
def _planting_primary_finding(metrics: Mapping[str, Any]) -> Answer:
    ranked, random = (100 * value_of(metrics, f"reforest_reduction_{arm}") for arm in ("ranked", "random"))
    before = 100 * value_of(metrics, "reforest_rate_before")
    ratio = planting_ratio(ranked, random)
    said = (
        f"on the sites' hidden ground, where {before:.1f} % of the cells fail before planting, the cGAN + physics "
        f"plan lowers that by {ranked:.2f} points and random planting of the same area by {random:.2f}"
    )
    if ranked <= 0:
        return Answer(f"No (goal missed): {said}.", ratio)
    if random <= 0:
        return Answer(f"Yes: {said}; random planting holds nothing.", ratio)
    lead = "Yes" if ratio >= PLANTING_GOAL else "Not enough (goal missed)" if ratio > 1 else "No (goal missed)"
    return Answer(f"{lead}: {said}, {ratio:.1f} times as much (the goal was {PLANTING_GOAL}).", ratio)


@answers(
    "Do the generated futures improve a reforestation plan over physics alone?", "simulated", "slide-rate points added"
)
def _planting_finding(metrics: Mapping[str, Any]) -> Answer:
    ranked = 100 * value_of(metrics, "reforest_reduction_ranked")
    physics = 100 * value_of(metrics, "reforest_reduction_physics_only")
    interval = interval_of(metrics, "reforest_cgan_added_ci", scale=100)
    said = (
        f"planting by physics on the generated futures lowers the slide rate on the hidden ground by {ranked:.2f} "
        f"points, ranking every open cell by physics alone by {physics:.2f} (exploratory)"
    )
    if interval and interval[0] > 0:
        answer = f"Yes: {said}; the futures add {interval[0]:+.1f} to {interval[1]:+.1f} points (95 % interval)."
    elif interval and interval[1] < 0:
        answer = f"No, they cost: {said}; the futures change it by {interval[0]:+.1f} to {interval[1]:+.1f} points."
    else:
        answer = f"Cannot tell: {said}; the 95 % interval of what the futures add includes zero or was not measured."
    return Answer(answer, 100 * value_of(metrics, "reforest_cgan_added"), interval)


@answers(
    "Laid out first, do generated pits land where real ones grow?",
    "simulated",
    "best-of-k coverage, IoU >= 0.3",
)
def _layout_finding(metrics: Mapping[str, Any]) -> Answer:
    at_k, random = value_of(metrics, "layout_coverage_at_k"), value_of(metrics, "layout_coverage_random")
    ks = value_of(metrics, "change_magnitude_ks")
    said = (
        f"one of the sampled layouts overlaps a held-out growing mine in {at_k:.0%} of the sites (mean over the "
        f"pit model's training seeds), against "
        f"{random:.0%} for the same shapes placed at random on steep pixels"
    )
    strength = f"inside the pits, generated and real change magnitudes lie {ks:.2f} apart (KS distance)"
    lead = "Yes" if at_k >= 2 * random else "Not twice as often" if at_k > random else "No"
    return Answer(f"{lead}: {said}; {strength}.", at_k)


@answers(
    "Do laid-out futures detect a growing pit better than NDVI/SWIR change detection?",
    "simulated",
    "AUROC",
)
def _laid_out_detection_finding(metrics: Mapping[str, Any]) -> Answer:
    auroc, change = value_of(metrics, "mining_auroc_cgan"), value_of(metrics, "mining_auroc_change")
    low = value_of(metrics, "mining_auroc_cgan_diff_ci_low")
    goal = auroc >= change + 0.05 and low > 0
    lead = "Yes" if goal else "No, worse" if auroc < change else "Not clearly"
    answer = (
        f"{lead}: the likelihood ratio of the best of the rendered mined futures against the unchanged one gives "
        f"AUROC {auroc:.2f} on the test sites (mean over the generator's training seeds), against {change:.2f} for "
        f"NDVI/SWIR change detection (lower end of the paired 95 % interval of the difference, seeds and sites "
        f"resampled: {low:+.2f}; the goal was +0.05 with that end above 0)."
    )
    return Answer(answer, auroc, interval_of(metrics, "mining_auroc_cgan_ci"))


@answers(
    "How far are the detectors from a classifier trained on every label?",
    "simulated",
    "AUROC (seeds and sites resampled)",
)
def _ceiling_finding(metrics: Mapping[str, Any]) -> Answer:
    ceiling = value_of(metrics, "mining_auroc_supervised")
    laid_out, change = value_of(metrics, "mining_auroc_cgan"), value_of(metrics, "mining_auroc_change")
    share = (laid_out - 0.5) / (ceiling - 0.5) if ceiling > 0.5 else float("nan")
    said = (
        f"a supervised classifier of (before, after, terrain) reaches AUROC {ceiling:.2f} on the same test sites, "
        f"against {laid_out:.2f} for the laid-out detector and {change:.2f} for NDVI/SWIR change detection"
    )
    if not share > 0:
        return Answer(
            f"Far: {said}; the detector has none of the skill above chance the labels allow.",
            ceiling,
            interval_of(metrics, "mining_auroc_supervised_ci"),
        )
    return Answer(
        f"{'Close' if share >= 0.8 else 'Far'}: {said}; the detector has {share:.0%} of the skill above chance "
        f"the labels allow.",
        ceiling,
        interval_of(metrics, "mining_auroc_supervised_ci"),
    )


@answers(
    "With only a few real examples, do generated mined futures help a supervised mine detector?",
    "simulated",
    "AUROC gain",
)
def _fewshot_finding(metrics: Mapping[str, Any]) -> Answer:
    gain, low = value_of(metrics, "fewshot_gain_generated"), value_of(metrics, "fewshot_gain_generated_ci_low")
    few = value_of(metrics, "fewshot_pairs", "real_mines")
    alone, helped = (value_of(metrics, f"mining_auroc_fewshot_{arm}") for arm in ("real", "generated"))
    said = (
        f"trained on {few:.0f} real mines the classifier reaches AUROC {alone:.2f}, and {helped:.2f} with generated "
        f"mined futures of them beside (gain {gain:+.3f}, lower end of the seed-and-site interval {low:+.3f})"
    )
    lead = "Yes" if gain > 0 and low > 0 else "Not clearly (goal missed)" if gain > 0 else "No (goal missed)"
    return Answer(f"{lead}: {said}.", gain, interval_of(metrics, "fewshot_gain_generated_ci"))


@answers(
    "Laid out, does the scar map a slide better than the better terrain baseline?",
    "simulated",
    "mean IoU per slide",
)
def _laid_out_damage_finding(metrics: Mapping[str, Any]) -> Answer:
    iou, low = value_of(metrics, "damage_iou"), value_of(metrics, "damage_iou_diff_ci_low")
    better = str(metrics.get("damage_baseline_v2", "slope"))
    baseline = value_of(metrics, f"damage_iou_{better}")
    said = (
        f"the layout model's scar probability reaches a mean IoU of {iou:.3f} with the true test scars, against "
        f"{baseline:.3f} for a {better} threshold, the better baseline on the validation slides (lower end of the "
        f"seed-and-slide paired interval of the difference: {low:+.3f})"
    )
    lead = (
        "Yes" if iou > baseline and low > 0 else "Not clearly (goal missed)" if iou > baseline else "No (goal missed)"
    )
    return Answer(f"{lead}: {said}.", iou, interval_of(metrics, "damage_iou_diff_ci"))


def summary(metrics: Mapping[str, Any]) -> list[Finding]:
    """Chapter 5's findings, generated from the numbers it recorded.

    Parameters
    ----------
    metrics : mapping
        The chapter's recorded metrics (:func:`lslib.book.report.recorded`): the diversity and realism
        of the futures, and each application's score beside its baseline's.

    Returns
    -------
    list of Finding
        Whether z matters, how realistic the futures are, the three applications (mining
        detection, damage extent, reforestation planning, the last judged on hidden ground) against
        their baselines, and version 2: laid-out mining futures (coverage, detection), the supervised
        ceiling, the few-shot test with generated mines, and the laid-out scar; all simulated.
    """
    return [
        _diversity_finding(metrics),
        _realism_finding(metrics),
        _mining_finding(metrics),
        _damage_finding(metrics),
        _planting_primary_finding(metrics),
        _planting_finding(metrics),
        _layout_finding(metrics),
        _laid_out_detection_finding(metrics),
        _ceiling_finding(metrics),
        _fewshot_finding(metrics),
        _laid_out_damage_finding(metrics),
    ]
