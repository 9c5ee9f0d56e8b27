"""Several seeds of one forecaster trained at once, as one vectorised model (``torch.func``).

:func:`train_seeds_vectorised` stacks the parameters of one model per seed
(:func:`torch.func.stack_module_state`) and maps the forward and backward pass over them with
:func:`torch.func.vmap`, so every optimiser step trains all seeds in one call. Each seed keeps its own
initialisation, its own Adam state, its own gradient clipping and its own best validation epoch; the seeds
share the order of the training sites and the training clouds (one site batch feeds them all). Trained with
the same order (``order_seed``) and without dropout, the result equals :func:`lslib.training.forecast.train_seeds`
seed by seed, to float rounding (``tests/training/test_vectorised.py``).

On a GPU the stacked step fills the device that one small model leaves idle; on a few CPU cores the work is
the same number of convolutions, and torch has no batching rule for its fused LSTM, so it runs that part seed
by seed (``benchmarks/bench_forecast_training.py`` measures both).
"""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Sequence

import torch
from torch.func import functional_call, grad_and_value, stack_module_state, vmap

from lslib.data.batches import SiteBatches
from lslib.data.dataset import LandslideDataset
from lslib.models.predictor import PredictorConfig, SpatioTemporalPredictor
from lslib.training.forecast import TrainedSeed
from lslib.training.loop import History, TrainConfig, resolve_device, seed_everything

__all__ = ["train_seeds_vectorised"]


def _clip_per_seed(grads: Sequence[torch.Tensor], max_norm: float) -> None:
    """Clip each seed's gradient (the slices along the leading axis) to total norm ``max_norm``, as
    :func:`torch.nn.utils.clip_grad_norm_` does for one model."""
    norms = torch.sqrt(sum((g.reshape(len(g), -1) ** 2).sum(dim=1) for g in grads))
    scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(scale.view(-1, *([1] * (g.dim() - 1))))


def train_seeds_vectorised(
    datasets: dict[str, LandslideDataset],
    model_config: PredictorConfig,
    train_config: TrainConfig,
    seeds: Sequence[int],
    sites_per_batch: int = 16,
    clouds: float = 0.3,
    order_seed: int | None = None,
) -> list[TrainedSeed]:
    """Train one :class:`~lslib.models.predictor.SpatioTemporalPredictor` per seed, all at once.

    Parameters
    ----------
    datasets : dict of str to LandslideDataset
        ``train`` and ``val`` windows in horizon mode.
    model_config, train_config : PredictorConfig, TrainConfig
        The model and its training (epochs, learning rate, weight decay, gradient clipping, device).
    seeds : sequence of int
        One model per seed; the seed sets its initialisation.
    sites_per_batch : int
        Sites per optimisation step.
    clouds : float
        Share of training frames clouded afresh at every epoch.
    order_seed : int, optional
        Seed of the shared order of the sites and of the clouds (default: the first seed).

    Returns
    -------
    list of TrainedSeed
        In the order of ``seeds``, each with the weights of its own best validation epoch; ``seconds`` is the
        shared training time divided among the seeds.
    """
    if len(seeds) < 1 or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must name at least one seed, all different, got {list(seeds)}")
    started = time.perf_counter()
    device = resolve_device(train_config.device)
    models = []
    for seed in seeds:
        torch.manual_seed(seed)
        models.append(SpatioTemporalPredictor(model_config).to(device))
    params, buffers = stack_module_state(models)
    template = copy.deepcopy(models[0]).to("meta")
    optimiser = torch.optim.Adam(params.values(), lr=train_config.lr, weight_decay=train_config.weight_decay)
    order = seeds[0] if order_seed is None else order_seed
    seed_everything(order)
    train = SiteBatches(datasets["train"], sites_per_batch, shuffle=True, seed=order, clouds=clouds)
    val = SiteBatches(datasets["val"], sites_per_batch=64)

    def losses(p, b, batch):
        out = functional_call(template, (p, b), (batch,))
        return template.losses(out, batch)["loss"]

    gradients = vmap(grad_and_value(losses), in_dims=(0, 0, None), randomness="different")
    histories = [History() for _ in seeds]
    best = torch.full((len(seeds),), float("inf"))
    best_params = {name: value.detach().clone() for name, value in params.items()}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*batching rule.*")  # the fused LSTM runs seed by seed
        for epoch in range(train_config.epochs):
            template.train()
            total, count = torch.zeros(len(seeds)), 0
            for batch in train:
                batch = {key: value.to(device) for key, value in batch.items()}
                grads, loss = gradients({n: v.detach() for n, v in params.items()}, buffers, batch)
                for name, value in params.items():
                    value.grad = grads[name]
                if train_config.grad_clip:
                    _clip_per_seed([p.grad for p in params.values()], train_config.grad_clip)
                optimiser.step()
                total += loss.detach().cpu() * len(batch["label"])
                count += len(batch["label"])
            template.eval()
            with torch.no_grad():
                val_total, val_count = torch.zeros(len(seeds)), 0
                for batch in val:
                    batch = {key: value.to(device) for key, value in batch.items()}
                    seed_losses = [  # seed by seed: torch's LSTM has no batching rule outside grad
                        losses({n: v[k] for n, v in params.items()}, {n: v[k] for n, v in buffers.items()}, batch)
                        for k in range(len(seeds))
                    ]
                    val_total += torch.stack(seed_losses).cpu() * len(batch["label"])
                    val_count += len(batch["label"])
            val_loss = val_total / max(val_count, 1)
            for k, history in enumerate(histories):
                history.train.setdefault("loss", []).append(float(total[k] / max(count, 1)))
                history.val.setdefault("loss", []).append(float(val_loss[k]))
            improved = val_loss < best
            for k in torch.nonzero(improved).flatten().tolist():
                best[k] = val_loss[k]
                histories[k].best_epoch = epoch
                for name, value in params.items():
                    best_params[name][k] = value.detach()[k]
    seconds = (time.perf_counter() - started) / len(seeds)
    out = []
    for k, (seed, model) in enumerate(zip(seeds, models)):
        model.load_state_dict({**{n: v[k] for n, v in best_params.items()}, **{n: v[k] for n, v in buffers.items()}})
        out.append(TrainedSeed(int(seed), model.eval(), histories[k], seconds))
    return out
