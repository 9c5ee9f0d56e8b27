"""Training and prediction of forecasters over site batches (:class:`lslib.data.batches.SiteBatches`).

Every seed of every arm of chapter 4 trains here: :func:`train_seeds` runs the study's one loop
(:func:`lslib.training.loop.fit`) once per seed, each seed with its own initialisation, its own order of
the sites and its own training clouds, and keeps the weights of its best validation epoch. With
``vectorised=True`` it trains the seeds at once instead (:mod:`lslib.training.vectorised`, ``torch.func``),
on one shared order of the sites; with ``workers=2`` (or more) it fans the seeds out over fresh processes,
each seed's weights identical to training it here.
:func:`predict_windows` scores a dataset's windows and returns them in the dataset's order.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import pickle
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from lslib.data.batches import DomainSiteBatches, SiteBatches
from lslib.data.dataset import LandslideDataset
from lslib.models.predictor import PredictorConfig, SpatioTemporalPredictor
from lslib.training.loop import History, TrainConfig, fit, resolve_device, seed_everything
from lslib.training.vectorised import train_together

__all__ = ["TrainedSeed", "train_seeds", "intra_op_threads", "predict_windows"]


@dataclass
class TrainedSeed:
    """One trained seed of an arm: the model (best validation epoch, in evaluation mode), its history and
    the seconds it took."""

    seed: int
    model: nn.Module
    history: History
    seconds: float


def train_seeds(
    datasets: dict[str, LandslideDataset],
    model_config: PredictorConfig,
    train_config: TrainConfig,
    seeds: Sequence[int],
    sites_per_batch: int = 16,
    clouds: float = 0.3,
    name: str = "attention",
    build: Callable[[PredictorConfig], nn.Module] = SpatioTemporalPredictor,
    order_seed: int | None = None,
    vectorised: bool = False,
    target: LandslideDataset | None = None,
    workers: int = 1,
) -> list[TrainedSeed]:
    """Train one model per seed on ``datasets["train"]``, validated on ``datasets["val"]`` (horizon mode).

    Parameters
    ----------
    datasets : dict of str to LandslideDataset
        ``train`` and ``val`` windows in horizon mode.
    model_config, train_config : PredictorConfig, TrainConfig
        The arm's model and its training; ``train_config.seed`` is replaced by each seed.
    seeds : sequence of int
        Training seeds: each sets the initialisation, the order of the sites and the training clouds.
    sites_per_batch : int
        Sites per optimisation step (each brings all its windows).
    clouds : float
        Share of training frames clouded afresh at every epoch (augmentation).
    name : str
        The arm's name, on the progress bar.
    build : callable
        Makes the model from ``model_config``.
    order_seed : int, optional
        One seed for the order of the sites and the clouds of every seed (default: each seed its own; with
        ``vectorised``, the first seed).
    vectorised : bool
        Train all seeds at once (:func:`lslib.training.vectorised.train_together`): one shared order of the
        sites and clouds; ``seconds`` is then the shared time divided among the seeds.
    target : LandslideDataset, optional
        Unlabelled windows of a target domain (horizon mode), served beside every training batch
        (:class:`lslib.data.batches.DomainSiteBatches`, with the same clouds) for a domain-adversarial model
        made by ``build`` (:class:`lslib.models.dann.DomainAdversarialPredictor`); not with ``vectorised``.
    workers : int
        Processes the seeds are fanned out over (1: one after another, here). Each worker is a fresh
        (``spawn``) interpreter with ``torch.get_num_threads() // workers`` intra-op threads that receives
        the datasets pickled and returns its trained seed: the same weights, bit for bit, as that seed
        trained here at that thread count (:func:`intra_op_threads`; a different thread count changes
        the order of float sums, not the model). ``build`` must be picklable (a class or a module-level
        function, not a closure). Meant for many-core CPUs: on one GPU keep 1.

    Returns
    -------
    list of TrainedSeed
        In the order of ``seeds``.
    """
    if not len(seeds):
        raise ValueError("seeds must name at least one training seed")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must all be different, got {list(seeds)}")
    if vectorised and target is not None:
        raise ValueError("target windows (domain-adversarial training) train seed by seed: not with vectorised=True")
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    if vectorised and workers > 1:
        raise ValueError("vectorised=True trains the seeds at once in this process: not with workers > 1")
    if vectorised:
        return _train_vectorised(
            datasets, model_config, train_config, seeds, sites_per_batch, clouds, build, order_seed
        )
    common = (datasets, model_config, train_config, sites_per_batch, clouds, name, build, order_seed, target)
    if workers == 1 or len(seeds) == 1:
        return [_train_one(int(seed), *common) for seed in seeds]
    try:
        pickle.dumps(build)
    except (pickle.PicklingError, AttributeError, TypeError) as error:
        raise ValueError(f"workers > 1 needs a picklable build (a class or module-level function): {error}") from None
    context = multiprocessing.get_context("spawn")  # fork after torch's thread pools have started can hang
    processes = min(workers, len(seeds))
    threads = max(1, torch.get_num_threads() // processes)  # share this process's threads, never oversubscribe
    with ProcessPoolExecutor(
        processes, mp_context=context, initializer=torch.set_num_threads, initargs=(threads,)
    ) as pool:
        return list(pool.map(_train_one, [int(seed) for seed in seeds], *[[part] * len(seeds) for part in common]))


@contextlib.contextmanager
def intra_op_threads(threads: int) -> Iterator[None]:
    """Run the block with torch's intra-op thread count set to ``threads``, then restore it.

    Examples
    --------
    >>> before = torch.get_num_threads()
    >>> with intra_op_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be an integer >= 1, got {threads!r}")
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _train_one(
    seed: int,
    datasets: dict[str, LandslideDataset],
    model_config: PredictorConfig,
    train_config: TrainConfig,
    sites_per_batch: int,
    clouds: float,
    name: str,
    build: Callable[[PredictorConfig], nn.Module],
    order_seed: int | None,
    target: LandslideDataset | None,
) -> TrainedSeed:
    """One seed of :func:`train_seeds` (here, or in a worker process)."""
    started = time.perf_counter()
    torch.manual_seed(seed)
    model = build(model_config)
    order = seed if order_seed is None else order_seed
    train = SiteBatches(datasets["train"], sites_per_batch, shuffle=True, seed=order, clouds=clouds)
    if target is not None:
        unlabelled = SiteBatches(target, sites_per_batch, shuffle=True, seed=order + 1, clouds=clouds)
        train = DomainSiteBatches(train, unlabelled)
    loaders = {"train": train, "val": SiteBatches(datasets["val"], sites_per_batch=64)}
    config = replace(train_config, seed=seed, name=f"{name} seed {seed}", restore_best=True)
    history = fit(model, loaders, config)
    return TrainedSeed(seed, model.eval(), history, time.perf_counter() - started)


def _train_vectorised(
    datasets: dict[str, LandslideDataset],
    model_config: PredictorConfig,
    train_config: TrainConfig,
    seeds: Sequence[int],
    sites_per_batch: int,
    clouds: float,
    build: Callable[[PredictorConfig], nn.Module],
    order_seed: int | None,
) -> list[TrainedSeed]:
    """:func:`train_seeds` with ``vectorised=True``."""
    started = time.perf_counter()
    device = resolve_device(train_config.device)
    models = []
    for seed in seeds:
        torch.manual_seed(seed)
        models.append(build(model_config).to(device))
    order = seeds[0] if order_seed is None else order_seed
    seed_everything(order)
    train = SiteBatches(datasets["train"], sites_per_batch, shuffle=True, seed=order, clouds=clouds)
    val = SiteBatches(datasets["val"], sites_per_batch=64)
    histories = train_together(models, train, val, train_config, device)
    seconds = (time.perf_counter() - started) / len(seeds)
    return [TrainedSeed(int(s), m.eval(), h, seconds) for s, m, h in zip(seeds, models, histories)]


@torch.no_grad()
def predict_windows(model: nn.Module, batches: SiteBatches, hidden: bool = False) -> dict[str, np.ndarray]:
    """Per window of ``batches.dataset``, in its order: ``logit``, ``cause_probs`` (7), ``attention`` and
    ``cloud`` (the masked share of each of the window's frames), ``label``, ``cause`` and ``lead``; with
    ``hidden``, also the trunk's features (``hidden``, ``(window, width)``, as a domain shift reads them).

    Windows of sites the batches skip are NaN (logit) and zero elsewhere."""
    device = next(model.parameters()).device
    model.eval()
    n = len(batches.dataset)
    out: dict[str, np.ndarray] = {}
    for batch in batches:
        batch = {key: value.to(device) for key, value in batch.items()}
        result = model(batch)
        cloud = batch["image"][:, :, -1].mean(dim=(-2, -1))[batch["position"][:, None], batch["frame"]]
        values = {
            "logit": result["logit"],
            "cause_probs": result["cause_probs"],
            "attention": result["attention"],
            "cloud": cloud,
            "label": batch["label"],
            "cause": batch["cause"],
            "lead": batch["lead"],
        }
        if hidden:
            values["hidden"] = result["hidden"]
        rows = batch["window"].cpu().numpy()
        for key, value in values.items():
            value = value.cpu().numpy()
            if key not in out:
                fill = np.nan if key == "logit" else 0
                out[key] = np.full((n, *value.shape[1:]), fill, dtype=value.dtype)
            out[key][rows] = value
    return out
