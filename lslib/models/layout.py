"""Lay out, then render: chapter 5's futures in two steps, *where* the change goes and *what* it looks like.

A single image-to-image generator asked for "a mine somewhere on this slope" under an L1 loss paints no
mine at all: a pit whose centre may lie anywhere on most of the site costs less, on average, left out
than put in the wrong place. So the decision of *where* is taken first, by a model whose samples are
places, and the painting second, by a model told where to paint.

:class:`LayoutModel`
    A conditional VAE over change masks in the manner of the Probabilistic U-Net (Kohl et al. 2018),
    with a *spatial* latent: one Gaussian per cell of a coarse grid (8 x 8 pixels, 240 m at Landsat's
    30 m). A prior network reads the condition, a posterior network the condition and the true mask,
    and a U-Net decodes the condition and a latent grid into per-pixel change logits. A latent grid
    drawn from the prior gives one layout; another draw, another place. The condition is what an
    agency could observe: the source image, terrain channels (supplied by the data layer, e.g. DEM
    anomaly, slope, wetness), pixel coordinates, the scenario and, for landslide damage, the trigger.
:class:`PitModel`
    The mining layouts as objects: a heatmap for the centre of a mine's footprint, a log-normal radius
    and the probability that it grows (see the class for why a factorised latent cannot place one pit).
:class:`LayoutRenderer`
    A U-Net that paints the future given the source, the terrain, the layout (a mask) and the
    scenario, as a change of the present, under an L1 loss weighted up inside the layout and an
    LSGAN PatchGAN loss weighted towards the patches that touch the layout.
:func:`mining_evidence`
    The mining detector the proposal describes: sample a suite of mined layouts, render each, and
    score how much better the best of them explains an observed later image than the unchanged
    future does (a Gaussian log-likelihood ratio).

Shapes: ``source`` (B, bands, H, W) normalised bands; ``terrain`` (B, n_terrain, H, W); ``layout``
(B, H, W) in {0, 1}; ``scenario`` (B,) indices into :data:`lslib.models.cgan.SCENARIOS`; ``trigger``
(B,) :class:`~lslib.causes.Cause` values (:data:`lslib.models.cgan.NO_TRIGGER` but for damage).
H and W are multiples of 8.

Examples
--------
>>> model = LayoutModel(LayoutConfig(bands=6, n_terrain=3, size=16))
>>> source, terrain = torch.zeros(2, 6, 16, 16), torch.zeros(2, 3, 16, 16)
>>> model.sample(source, terrain, torch.tensor([1, 1]), k=3, seed=0).shape
torch.Size([3, 2, 16, 16])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from lslib.causes import N_CAUSES
from lslib.models.cgan import NO_TRIGGER, SCENARIOS, _down, _up  # _down, _up: the scenario cGAN's U-Net steps

__all__ = [
    "CELL_PIXELS",
    "LayoutConfig",
    "LayoutModel",
    "PitModel",
    "RenderConfig",
    "LayoutRenderer",
    "layout_centres",
    "fitted_discs",
    "disc_layouts",
    "mining_evidence",
]

#: Side of one latent cell in pixels: the U-Net's bottleneck is three stride-2 steps down.
CELL_PIXELS = 8


def _coordinates(n: int, height: int, width: int, device) -> Tensor:
    """(n, 2, H, W) row and column coordinates in [-1, 1]: where a pixel lies in the patch."""
    rows = torch.linspace(-1.0, 1.0, height, device=device)[:, None].expand(height, width)
    cols = torch.linspace(-1.0, 1.0, width, device=device)[None, :].expand(height, width)
    return torch.stack([rows, cols])[None].expand(n, -1, -1, -1)


def _one_hot_tiled(scenario: Tensor, trigger: Tensor, n_scenarios: int, n_triggers: int, shape) -> Tensor:
    code = torch.cat([F.one_hot(scenario, n_scenarios), F.one_hot(trigger, n_triggers)], dim=1).float()
    return code[:, :, None, None].expand(-1, -1, *shape)


def _check_size(size: int) -> None:
    if size % CELL_PIXELS or size < 16:
        raise ValueError(f"size must be a multiple of {CELL_PIXELS} and >= 16 pixels, got {size}")


def _check_inputs(source: Tensor, terrain: Tensor, scenario: Tensor, bands: int, n_terrain: int) -> None:
    if source.dim() != 4 or source.shape[1] != bands:
        raise ValueError(f"source must be (B, {bands}, H, W), got {tuple(source.shape)}")
    if terrain.shape != (source.shape[0], n_terrain, *source.shape[-2:]):
        raise ValueError(
            f"terrain must be (B, {n_terrain}, H, W) like source {tuple(source.shape)}, got {tuple(terrain.shape)}"
        )
    if source.shape[-1] % CELL_PIXELS or source.shape[-2] % CELL_PIXELS:
        raise ValueError(f"image sides must be multiples of {CELL_PIXELS} pixels, got {tuple(source.shape[-2:])}")
    if scenario.dim() != 1 or len(scenario) != len(source):
        raise ValueError(f"scenario must be (B,) indices, got {tuple(scenario.shape)}")
    if scenario.numel() and (int(scenario.min()) < 0 or int(scenario.max()) >= len(SCENARIOS)):
        raise ValueError(f"scenario indices must lie in [0, {len(SCENARIOS)}); see lslib.models.cgan.SCENARIOS")
    for name, tensor in (("source", source), ("terrain", terrain)):
        if not torch.isfinite(tensor).all():
            raise ValueError(f"{name!r} contains NaN or infinite values")


def _trigger_or_none(scenario: Tensor, trigger: Tensor | None) -> Tensor:
    if trigger is None:
        return torch.full_like(scenario, NO_TRIGGER)
    if trigger.shape != scenario.shape:
        raise ValueError(f"trigger must be (B,) like scenario {tuple(scenario.shape)}, got {tuple(trigger.shape)}")
    if trigger.numel() and (int(trigger.min()) < 0 or int(trigger.max()) >= N_CAUSES):
        raise ValueError(f"trigger values must lie in [0, {N_CAUSES}): lslib.causes.Cause")
    return trigger


# ------------------------------------------------------------------------------------------------
# The layout model
# ------------------------------------------------------------------------------------------------


@dataclass
class LayoutConfig:
    """Hyper-parameters of :class:`LayoutModel`.

    Attributes
    ----------
    bands, n_terrain : int
        Channels of the source image and of the terrain input.
    size : int
        Image side in pixels (a multiple of :data:`CELL_PIXELS`, >= 16).
    width : int
        Channels of the first convolution (doubling at each step down).
    latent_channels : int
        Gaussian latent variables per cell of the coarse grid.
    beta : float
        Weight of the KL term against the per-pixel cross-entropy (both summed over the image). At 1
        (the plain ELBO) the decoder learns to ignore small changes: a pit of 20 pixels costs too few
        nats of cross-entropy to pay for its KL, so the latent collapses to the prior and every layout
        is empty. 0.1 keeps the place in the latent (chosen on a toy of discs, see the tests).
    """

    bands: int = 6
    n_terrain: int = 3
    size: int = 32
    width: int = 16
    latent_channels: int = 4
    beta: float = 0.1

    def __post_init__(self) -> None:
        _check_size(self.size)
        if self.latent_channels < 1:
            raise ValueError(f"latent_channels must be >= 1, got {self.latent_channels}")
        if self.beta <= 0:
            raise ValueError(f"beta must be > 0, got {self.beta}")

    @property
    def condition_channels(self) -> int:
        """Channels of the condition: source, terrain, two coordinates, scenario and trigger one-hots."""
        return self.bands + self.n_terrain + 2 + len(SCENARIOS) + N_CAUSES


class _Downs(nn.Module):
    """Three stride-2 steps: features at 1/2, 1/4 and 1/8 of the image side."""

    def __init__(self, cin: int, width: int) -> None:
        super().__init__()
        self.d1, self.d2, self.d3 = _down(cin, width, norm=False), _down(width, 2 * width), _down(2 * width, 4 * width)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        h1 = self.d1(x)
        h2 = self.d2(h1)
        return h1, h2, self.d3(h2)


class LayoutModel(nn.Module):
    """Change layouts given what can be observed; see the module docstring.

    ``training_step`` returns ``loss`` (cross-entropy plus ``beta`` times KL, per pixel), ``BCE`` and
    ``KL``; :func:`lslib.training.loop.fit` trains it.
    """

    def __init__(self, config: LayoutConfig) -> None:
        super().__init__()
        self.config = config
        c, w, z = config.condition_channels, config.width, config.latent_channels
        self.condition_features = _Downs(c, w)
        self.prior = nn.Conv2d(4 * w, 2 * z, 1)
        self.posterior = nn.Sequential(_down(c + 1, w, norm=False), _down(w, 2 * w), _down(2 * w, 2 * w))
        self.posterior_head = nn.Conv2d(2 * w, 2 * z, 1)
        self.u3 = _up(4 * w + z, 2 * w)
        self.u2 = _up(4 * w, w)
        self.u1 = nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1)
        self.out = nn.Sequential(nn.ReLU(), nn.Conv2d(w + c, w, 3, padding=1), nn.ReLU(), nn.Conv2d(w, 1, 1))

    def condition(self, source: Tensor, terrain: Tensor, scenario: Tensor, trigger: Tensor | None = None) -> Tensor:
        """(B, condition_channels, H, W): everything the layout is conditioned on, checked."""
        _check_inputs(source, terrain, scenario, self.config.bands, self.config.n_terrain)
        trigger = _trigger_or_none(scenario, trigger)
        shape = source.shape[-2:]
        return torch.cat(
            [
                source,
                terrain,
                _coordinates(len(source), *shape, source.device),
                _one_hot_tiled(scenario, trigger, len(SCENARIOS), N_CAUSES, shape),
            ],
            dim=1,
        )

    @staticmethod
    def _gaussian(head: Tensor) -> tuple[Tensor, Tensor]:
        mu, logvar = head.chunk(2, dim=1)
        return mu, logvar.clamp(-8.0, 8.0)

    def _decode(self, condition: Tensor, features: tuple[Tensor, Tensor, Tensor], z: Tensor) -> Tensor:
        h1, h2, h3 = features
        x = self.u3(torch.cat([h3, z], dim=1))
        x = self.u2(torch.cat([x, h2], dim=1))
        x = self.u1(torch.cat([x, h1], dim=1))
        return self.out(torch.cat([x, condition], dim=1))[:, 0]

    def training_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Per-pixel losses of one batch with keys ``source``, ``terrain``, ``scenario``, ``layout``
        (and ``trigger``): ``BCE`` and ``KL``, the decoder rebuilding the true layout from a posterior
        sample."""
        condition = self.condition(batch["source"], batch["terrain"], batch["scenario"], batch.get("trigger"))
        layout = batch["layout"].float()
        if layout.shape != (len(condition), *condition.shape[-2:]):
            raise ValueError(f"layout must be (B, H, W) like the source, got {tuple(layout.shape)}")
        features = self.condition_features(condition)
        mu_p, logvar_p = self._gaussian(self.prior(features[2]))
        mu_q, logvar_q = self._gaussian(self.posterior_head(self.posterior(torch.cat([condition, layout[:, None]], 1))))
        z = mu_q + torch.randn_like(mu_q) * torch.exp(0.5 * logvar_q)
        logits = self._decode(condition, features, z)
        pixels = layout[0].numel()
        bce = F.binary_cross_entropy_with_logits(logits, layout, reduction="sum") / (len(layout) * pixels)
        kl = 0.5 * (logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p) ** 2) / logvar_p.exp() - 1.0)
        kl = kl.sum() / (len(layout) * pixels)
        return {"loss": bce + self.config.beta * kl, "BCE": bce, "KL": kl}

    @torch.no_grad()
    def logits(
        self,
        source: Tensor,
        terrain: Tensor,
        scenario: Tensor,
        k: int,
        seed: int = 0,
        trigger: Tensor | None = None,
    ) -> Tensor:
        """(k, B, H, W) change logits of ``k`` latent grids drawn from the prior, reproducible from
        ``seed`` on any device (the noise is drawn on the CPU)."""
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        self.eval()
        device = next(self.parameters()).device
        condition = self.condition(source.to(device), terrain.to(device), scenario.to(device), _maybe(trigger, device))
        features = self.condition_features(condition)
        mu, logvar = self._gaussian(self.prior(features[2]))
        generator = torch.Generator().manual_seed(seed)
        draws = []
        for _ in range(k):
            noise = torch.randn(mu.shape, generator=generator).to(device)
            draws.append(self._decode(condition, features, mu + noise * torch.exp(0.5 * logvar)))
        return torch.stack(draws)

    def sample(
        self,
        source: Tensor,
        terrain: Tensor,
        scenario: Tensor,
        k: int,
        seed: int = 0,
        trigger: Tensor | None = None,
        eligible: Tensor | None = None,
        threshold: float = 0.5,
    ) -> Tensor:
        """``k`` layouts per input, (k, B, H, W) bool: the pixels whose change probability under one
        latent draw exceeds ``threshold``, never outside ``eligible`` ((B, H, W) bool, optional: where
        a change may go, e.g. a mining concession)."""
        probability = torch.sigmoid(self.logits(source, terrain, scenario, k, seed, trigger))
        layouts = probability > threshold
        if eligible is not None:
            if eligible.shape != layouts.shape[1:]:
                raise ValueError(f"eligible must be (B, H, W) {tuple(layouts.shape[1:])}, got {tuple(eligible.shape)}")
            layouts &= eligible.to(layouts.device, torch.bool)[None]
        return layouts

    def config_dict(self) -> dict:
        return asdict(self.config)


class PitModel(nn.Module):
    """Where a mine grows and how large it is: the mining layouts as discs.

    Change masks with a factorised spatial latent cannot say "exactly one pit, somewhere": each cell
    decides alone, and a pit that may lie in any of many cells is, cell by cell, unlikely, so sampled
    layouts come out empty. A mine is one object, so it gets an object's parameters: a heatmap over
    pixels for the centre of its footprint (a categorical distribution, sampled, so the futures differ
    in place), a log-normal radius and a probability that the mine grows at all between the frames.
    Conditioned on the source image, the terrain and pixel coordinates (:class:`LayoutConfig`'s sizes;
    ``beta`` and ``latent_channels`` are not used). ``training_step`` takes mining pairs only (keys
    ``source``, ``terrain``, ``layout``) and returns the negative log-likelihood in nats per pair.
    """

    def __init__(self, config: LayoutConfig) -> None:
        super().__init__()
        self.config = config
        w, c = config.width, config.bands + config.n_terrain + 2
        self.features = _Downs(c, w)
        self.centre = nn.Sequential(
            nn.Conv2d(c + 4 * w, w, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(w, w, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(w, 1, 1),
        )
        self.extent = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * w, 3))

    def _heads(self, source: Tensor, terrain: Tensor) -> tuple[Tensor, Tensor]:
        """(B, H, W) centre logits and (B, 3) extent terms (mean and log-sd of the log radius, grow logit)."""
        scenario = torch.full((len(source),), SCENARIOS.index("mining"), device=source.device)
        _check_inputs(source, terrain, scenario, self.config.bands, self.config.n_terrain)
        condition = torch.cat([source, terrain, _coordinates(len(source), *source.shape[-2:], source.device)], 1)
        bottom = self.features(condition)[2]
        context = F.interpolate(bottom, size=condition.shape[-2:], mode="nearest")
        return self.centre(torch.cat([condition, context], dim=1))[:, 0], self.extent(bottom)

    def _nll(self, source: Tensor, terrain: Tensor, layout: Tensor) -> Tensor:
        """(B,) nats: -log p(grows), plus for a layout with change -log p(centre) - log p(log radius)."""
        centre_logits, extent = self._heads(source, terrain)
        grows = layout.flatten(1).any(dim=1)
        nll = F.binary_cross_entropy_with_logits(extent[:, 2], grows.float(), reduction="none")
        if grows.any():
            centre, radius = fitted_discs(layout[grows] > 0.5)
            width = layout.shape[-1]
            index = centre[:, 0].round().long() * width + centre[:, 1].round().long()
            place = F.cross_entropy(centre_logits[grows].flatten(1), index, reduction="none")
            mu, log_sd = extent[grows, 0], extent[grows, 1].clamp(-4.0, 2.0)
            size = 0.5 * ((torch.log(radius) - mu) / log_sd.exp()) ** 2 + log_sd
            nll = nll + torch.zeros_like(nll).masked_scatter(grows, place + size)
        return nll

    def training_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Mean negative log-likelihood (nats) of the batch's mining layouts: ``loss``."""
        layout = batch["layout"].float()
        if layout.shape != (len(batch["source"]), *batch["source"].shape[-2:]):
            raise ValueError(f"layout must be (B, H, W) like the source, got {tuple(layout.shape)}")
        return {"loss": self._nll(batch["source"], batch["terrain"], layout).mean()}

    @torch.no_grad()
    def sample(
        self,
        source: Tensor,
        terrain: Tensor,
        k: int,
        seed: int = 0,
        eligible: Tensor | None = None,
        always_grow: bool = False,
    ) -> Tensor:
        """``k`` mined layouts per input, (k, B, H, W) bool: discs whose centre is drawn from the
        heatmap (only on ``eligible`` pixels, (B, H, W) bool, when given) and whose radius from the
        log-normal; a layout is empty with the probability that the mine does not grow
        (``always_grow``: never empty, for a detector that asks "what if it grew?"). Reproducible from
        ``seed`` on any device (drawn on the CPU)."""
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        self.eval()
        device = next(self.parameters()).device
        centre_logits, extent = self._heads(source.to(device), terrain.to(device))
        centre_logits, extent = centre_logits.cpu(), extent.cpu()
        height, width = centre_logits.shape[-2:]
        if eligible is not None:
            if eligible.shape != centre_logits.shape:
                raise ValueError(
                    f"eligible must be (B, H, W) {tuple(centre_logits.shape)}, got {tuple(eligible.shape)}"
                )
            if not eligible.flatten(1).any(dim=1).all():
                raise ValueError("every image needs at least one eligible pixel")
            centre_logits = centre_logits.masked_fill(~eligible.cpu().bool(), float("-inf"))
        generator = torch.Generator().manual_seed(seed)
        probabilities = torch.softmax(centre_logits.flatten(1), dim=1)
        rows = torch.arange(height, dtype=torch.float32)[:, None]
        cols = torch.arange(width, dtype=torch.float32)[None, :]
        layouts = []
        for _ in range(k):
            index = torch.multinomial(probabilities, 1, generator=generator)[:, 0]
            spread = extent[:, 1].clamp(-4.0, 2.0).exp()
            log_radius = extent[:, 0] + spread * torch.randn(len(index), generator=generator)
            grows = torch.rand(len(index), generator=generator) < torch.sigmoid(extent[:, 2])
            centre_row, centre_col = (index // width).float(), (index % width).float()
            distance = torch.hypot(rows - centre_row[:, None, None], cols - centre_col[:, None, None])
            disc = distance <= log_radius.exp()[:, None, None]
            disc[torch.arange(len(index)), index // width, index % width] = True  # at least the centre
            layouts.append(disc & (grows | always_grow)[:, None, None])
        return torch.stack(layouts).to(device)

    def config_dict(self) -> dict:
        return asdict(self.config)


def fitted_discs(layouts: Tensor) -> tuple[Tensor, Tensor]:
    """The disc that stands for each non-empty (B, H, W) layout: its centroid (B, 2) (row, column,
    pixels) and the radius of a disc of the same area (B,), pixels.

    Examples
    --------
    >>> layout = torch.zeros(1, 9, 9, dtype=torch.bool); layout[0, 2:5, 3:6] = True
    >>> centre, radius = fitted_discs(layout)
    >>> centre.tolist(), round(float(radius[0]), 3)
    ([[3.0, 4.0]], 1.693)
    """
    area = layouts.flatten(1).sum(dim=1).float()
    if (area == 0).any():
        raise ValueError("fitted_discs needs non-empty layouts")
    return layout_centres(layouts), torch.sqrt(area / torch.pi)


def disc_layouts(layouts: Tensor) -> Tensor:
    """(B, H, W) bool: each layout replaced by :func:`fitted_discs`'s disc (empty layouts stay empty),
    the form in which :meth:`PitModel.sample` hands a mine to the renderer."""
    out = torch.zeros_like(layouts, dtype=torch.bool)
    keep = layouts.flatten(1).any(dim=1)
    if keep.any():
        centre, radius = fitted_discs(layouts[keep])
        rows = torch.arange(layouts.shape[-2], dtype=torch.float32, device=layouts.device)[:, None]
        cols = torch.arange(layouts.shape[-1], dtype=torch.float32, device=layouts.device)[None, :]
        distance = torch.hypot(rows - centre[:, 0, None, None], cols - centre[:, 1, None, None])
        disc = distance <= radius[:, None, None]
        nearest = centre.round().long()
        disc[torch.arange(len(disc)), nearest[:, 0], nearest[:, 1]] = True
        out[keep] = disc
    return out


def _maybe(tensor: Tensor | None, device) -> Tensor | None:
    return None if tensor is None else tensor.to(device)


def layout_centres(layouts: Tensor) -> Tensor:
    """(..., 2) row and column of the centroid of each (..., H, W) layout, in pixels; NaN for an
    empty one.

    Examples
    --------
    >>> layout = torch.zeros(1, 8, 8, dtype=torch.bool); layout[0, 2:5, 4:7] = True
    >>> layout_centres(layout).tolist()
    [[3.0, 5.0]]
    """
    weight = layouts.float()
    rows = torch.arange(layouts.shape[-2], dtype=torch.float32, device=layouts.device)[:, None]
    cols = torch.arange(layouts.shape[-1], dtype=torch.float32, device=layouts.device)[None, :]
    total = weight.sum(dim=(-2, -1))
    centre = torch.stack([(weight * rows).sum(dim=(-2, -1)), (weight * cols).sum(dim=(-2, -1))], dim=-1)
    return torch.where(total[..., None] > 0, centre / total.clamp(min=1.0)[..., None], torch.nan)


# ------------------------------------------------------------------------------------------------
# The renderer
# ------------------------------------------------------------------------------------------------


@dataclass
class RenderConfig:
    """Hyper-parameters of :class:`LayoutRenderer`.

    Attributes
    ----------
    bands, n_terrain, size, width : int
        As in :class:`LayoutConfig`.
    lambda_l1 : float
        Weight of the L1 loss against the adversarial one (pix2pix's 10).
    inside_weight : float
        Extra L1 weight of a pixel inside the layout (the change is a few percent of the image; without
        it the loss barely notices whether the change was painted).
    lambda_gan : float
        Weight of the adversarial loss; 0 trains an L1-only renderer without a discriminator.
    """

    bands: int = 6
    n_terrain: int = 3
    size: int = 32
    width: int = 24
    lambda_l1: float = 10.0
    inside_weight: float = 4.0
    lambda_gan: float = 1.0

    def __post_init__(self) -> None:
        _check_size(self.size)
        if self.inside_weight < 0 or self.lambda_l1 <= 0 or self.lambda_gan < 0:
            raise ValueError("lambda_l1 must be > 0, and inside_weight and lambda_gan >= 0")

    @property
    def input_channels(self) -> int:
        """Source, terrain, the layout, and the scenario and trigger one-hots."""
        return self.bands + self.n_terrain + 1 + len(SCENARIOS) + N_CAUSES


class LayoutRenderer(nn.Module):
    """Paints the future given the layout; ``generator_step`` / ``discriminator_step`` for
    :func:`lslib.training.loop.fit_gan`. Batches carry ``source``, ``target``, ``terrain``, ``layout``,
    ``scenario`` and ``trigger``."""

    loss_names = ("G_total", "G_L1", "G_GAN", "D_real", "D_fake")

    def __init__(self, config: RenderConfig) -> None:
        super().__init__()
        self.config = config
        c, w = config.input_channels, config.width
        self.features = _Downs(c, w)
        self.u3 = _up(4 * w, 2 * w)
        self.u2 = _up(4 * w, w)
        self.u1 = nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1)
        self.out = nn.Sequential(nn.ReLU(), nn.Conv2d(w + c, config.bands, 3, padding=1))
        self.discriminator = (
            nn.Sequential(
                _down(2 * config.bands + 1 + len(SCENARIOS), w, norm=False),
                _down(w, 2 * w),
                nn.Conv2d(2 * w, 1, 4, stride=1, padding=1),
            )
            if config.lambda_gan > 0
            else None
        )

    def _inputs(self, batch: dict[str, Tensor]) -> Tensor:
        source, terrain, scenario = batch["source"], batch["terrain"], batch["scenario"]
        _check_inputs(source, terrain, scenario, self.config.bands, self.config.n_terrain)
        layout = batch["layout"].float()
        if layout.shape != (len(source), *source.shape[-2:]):
            raise ValueError(f"layout must be (B, H, W) like the source, got {tuple(layout.shape)}")
        trigger = _trigger_or_none(scenario, batch.get("trigger"))
        code = _one_hot_tiled(scenario, trigger, len(SCENARIOS), N_CAUSES, source.shape[-2:])
        return torch.cat([source, terrain, layout[:, None], code], dim=1)

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        """(B, bands, H, W) futures: the source plus the painted change."""
        x0 = self._inputs(batch)
        h1, h2, h3 = self.features(x0)
        x = self.u3(h3)
        x = self.u2(torch.cat([x, h2], dim=1))
        x = self.u1(torch.cat([x, h1], dim=1))
        return batch["source"] + self.out(torch.cat([x, x0], dim=1))

    @torch.no_grad()
    def render(
        self,
        source: Tensor,
        terrain: Tensor,
        layout: Tensor,
        scenario: Tensor,
        trigger: Tensor | None = None,
    ) -> Tensor:
        """Futures for the given layouts, (B, bands, H, W) or, for ``layout`` (k, B, H, W), (k, B, bands, H, W).
        Inputs go to the model's device and the result stays there."""
        self.eval()
        device = next(self.parameters()).device
        many = layout.dim() == 4
        layouts = layout if many else layout[None]
        batch = {"source": source.to(device), "terrain": terrain.to(device), "scenario": scenario.to(device)}
        if trigger is not None:
            batch["trigger"] = trigger.to(device)
        futures = torch.stack([self({**batch, "layout": one.to(device)}) for one in layouts])
        return futures if many else futures[0]

    def _critic(self, batch: dict[str, Tensor], future: Tensor) -> Tensor:
        code = F.one_hot(batch["scenario"], len(SCENARIOS)).float()[:, :, None, None]
        code = code.expand(-1, -1, *future.shape[-2:])
        return self.discriminator(torch.cat([batch["source"], future, batch["layout"].float()[:, None], code], 1))

    def _near_layout(self, batch: dict[str, Tensor], cells: Tensor) -> Tensor:
        """Weights of the critic's cells: 1 where the cell's window touches the layout, 0.1 elsewhere."""
        near = F.adaptive_max_pool2d(batch["layout"].float()[:, None], cells.shape[-2:])
        return 0.1 + 0.9 * near

    def generator_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """L1 (weighted up inside the layout) and, with a discriminator, the LSGAN loss near the layout."""
        fake = self(batch)
        weight = 1.0 + self.config.inside_weight * batch["layout"].float()[:, None]
        l1 = (weight * (fake - batch["target"]).abs()).mean() / weight.mean()
        losses = {"G_L1": l1}
        total = self.config.lambda_l1 * l1
        if self.discriminator is not None:
            for parameter in self.discriminator.parameters():
                parameter.requires_grad_(False)
            try:
                cells = self._critic(batch, fake)
                near = self._near_layout(batch, cells)
                losses["G_GAN"] = (near * (cells - 1.0) ** 2).sum() / near.sum()
            finally:
                for parameter in self.discriminator.parameters():
                    parameter.requires_grad_(True)
            total = total + self.config.lambda_gan * losses["G_GAN"]
        self._fake = fake.detach()
        losses["G_total"] = total
        losses["loss"] = total
        return losses

    def discriminator_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """LSGAN losses of the critic on the true future and the last rendered one, near the layout."""
        if self.discriminator is None:
            return {}
        real_cells, fake_cells = self._critic(batch, batch["target"]), self._critic(batch, self._fake)
        near = self._near_layout(batch, real_cells)
        real = (near * (real_cells - 1.0) ** 2).sum() / near.sum()
        fake = (near * fake_cells**2).sum() / near.sum()
        return {"D_real": real, "D_fake": fake, "loss": 0.5 * (real + fake)}

    def training_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """The generator's losses (for :func:`lslib.training.loop.evaluate` and :func:`~lslib.training.loop.fit`)."""
        return self.generator_step(batch)

    def generator_parameters(self) -> list[nn.Parameter]:
        return [p for name, p in self.named_parameters() if not name.startswith("discriminator.")]

    def config_dict(self) -> dict:
        return asdict(self.config)


# ------------------------------------------------------------------------------------------------
# The mining detector
# ------------------------------------------------------------------------------------------------


def mining_evidence(
    pit_model: PitModel,
    renderer: LayoutRenderer,
    source: Tensor,
    terrain: Tensor,
    observed: Tensor,
    k: int,
    seed: int = 0,
    noise_sd: float = 1.0,
    eligible: Tensor | None = None,
) -> Tensor:
    """(B,) log-likelihood ratio of "mined" against "unchanged" for each observed later image.

    ``k`` mined layouts are drawn per source image (:meth:`PitModel.sample`, every one a growing
    pit: "unchanged" is the alternative that it did not grow) and rendered; the unchanged future is
    rendered with an empty layout (scenario *unchanged*). Under independent Gaussian pixel noise of
    standard deviation ``noise_sd`` (normalised units), the log ratio of the best-matching mined
    future's likelihood to the unchanged one's is
    ``(SSE_unchanged - min_k SSE_mined) / (2 noise_sd**2)``, the squared errors summed over bands and
    pixels. Positive: the image is better explained by a mine.
    """
    if noise_sd <= 0:
        raise ValueError(f"noise_sd must be > 0, got {noise_sd}")
    mining, unchanged = SCENARIOS.index("mining"), SCENARIOS.index("unchanged")
    n = len(source)
    layouts = pit_model.sample(source, terrain, k, seed, eligible=eligible, always_grow=True)
    mined = renderer.render(source, terrain, layouts, torch.full((n,), mining)).cpu()
    still = renderer.render(source, terrain, torch.zeros(n, *source.shape[-2:]), torch.full((n,), unchanged)).cpu()
    observed = observed.cpu()
    sse_mined = ((mined - observed[None]) ** 2).sum(dim=(2, 3, 4)).min(dim=0).values
    sse_still = ((still - observed) ** 2).sum(dim=(1, 2, 3))
    return (sse_still - sse_mined) / (2.0 * noise_sd**2)
