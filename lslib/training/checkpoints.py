"""Model checkpoints: weights and extra fields saved together, and loaded back onto a device."""

from __future__ import annotations

from pathlib import Path
from typing import Any
import torch
from torch import nn

__all__ = ["save_checkpoint", "load_checkpoint"]


def save_checkpoint(model: nn.Module, path: Path | str, **extra: Any) -> Path:
    """Save the weights and the model's config (``model.config_dict()`` when it has one)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    config = model.config_dict() if hasattr(model, "config_dict") else {}
    temporary = path.with_suffix(path.suffix + ".tmp")
    torch.save({"state_dict": model.state_dict(), "config": config, **extra}, temporary)
    temporary.replace(path)
    return path


def load_checkpoint(model: nn.Module, path: Path | str, device: str | torch.device = "cpu") -> dict[str, Any]:
    """Load weights saved by :func:`save_checkpoint` into ``model``; return the whole checkpoint."""
    checkpoint = torch.load(Path(path), map_location=device, weights_only=False)
    model.load_state_dict(checkpoint["state_dict"])
    return checkpoint
