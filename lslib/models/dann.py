"""Domain-adversarial training (DANN, Ganin et al. 2016): a gradient-reversal layer and a predictor
wrapper whose domain classifier reads its hidden features.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["GradientReversal", "DomainAdversarialPredictor", "TARGET_PREFIX"]


class _Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor, weight: float) -> Tensor:
        ctx.weight = weight
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        return -ctx.weight * grad, None


class GradientReversal(nn.Module):
    """Identity forward; multiplies the gradient by ``-weight`` backward (Ganin et al. 2016)."""

    def __init__(self, weight: float = 1.0) -> None:
        super().__init__()
        self.weight = weight

    def forward(self, x: Tensor) -> Tensor:
        return _Reverse.apply(x, self.weight)


class DomainAdversarialPredictor(nn.Module):
    """A predictor trained with a domain classifier behind a gradient-reversal layer (DANN).

    The classifier reads the predictor's ``hidden`` features and learns to tell source windows
    (0) from target windows (1); the reversed gradient pushes the features to make that impossible.
    The reversal weight ramps from 0 to ``weight`` as ``2 / (1 + exp(-10 p)) - 1`` over
    ``ramp_steps`` optimisation steps (p the progress), as in Ganin et al. (2016).

    Batches without ``target_`` keys (validation) get the predictor's own loss only. Predict with
    :attr:`predictor`.
    """

    loss_names = ("loss", "landslide", "cause", "domain", "domain_accuracy")

    def __init__(self, predictor: nn.Module, weight: float = 0.5, ramp_steps: int = 100) -> None:
        super().__init__()
        if weight < 0:
            raise ValueError(f"weight must be >= 0, got {weight}")
        self.predictor = predictor
        self.config = predictor.config
        width = predictor.config.width
        self.reverse = GradientReversal(0.0)
        self.domain_head = nn.Sequential(nn.Linear(width, width), nn.GELU(), nn.Linear(width, 1))
        self.weight, self.ramp_steps = float(weight), max(1, int(ramp_steps))
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    def forward(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        return self.predictor(batch)

    def training_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Task losses on the source windows plus the domain loss; source and target windows go
        through the predictor in **one** forward pass, so BatchNorm normalises them together (as at
        test time, one set of statistics) and its running statistics are updated once per step."""
        source = {k: v for k, v in batch.items() if not k.startswith(TARGET_PREFIX)}
        target = {k[len(TARGET_PREFIX) :]: v for k, v in batch.items() if k.startswith(TARGET_PREFIX)}
        if not target:
            return self.predictor.training_step(source)
        shared = [k for k in target if k in source]
        n = len(source["label"])
        out = self.predictor({k: torch.cat([source[k], target[k]]) for k in shared})
        source_out = {k: v[:n] for k, v in out.items()}
        losses = self.predictor.losses(source_out, source)
        if self.training:
            self.reverse.weight = self.ramp(float(self.steps))
            self.steps += 1
        hidden = out["hidden"]
        domain = torch.cat([torch.zeros(n), torch.ones(len(hidden) - n)]).to(hidden)
        logits = self.domain_head(self.reverse(hidden)).squeeze(-1)
        domain_loss = nn.functional.binary_cross_entropy_with_logits(logits, domain)
        accuracy = ((logits > 0).float() == domain).float().mean().detach()
        return {**losses, "loss": losses["loss"] + domain_loss, "domain": domain_loss, "domain_accuracy": accuracy}

    def ramp(self, step: float) -> float:
        """The reversal weight after ``step`` optimisation steps: ``weight (2 / (1 + exp(-10 p)) - 1)``."""
        progress = min(1.0, step / self.ramp_steps)
        return self.weight * (2.0 / (1.0 + math.exp(-10.0 * progress)) - 1.0)

    def config_dict(self) -> dict:
        return {**self.predictor.config_dict(), "dann_weight": self.weight, "dann_ramp_steps": self.ramp_steps}


TARGET_PREFIX = "target_"
