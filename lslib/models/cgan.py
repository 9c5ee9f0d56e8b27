"""A conditional GAN of possible futures of a scene: a U-Net generator with an injected latent code,
conditioned on a scenario, in the manner of BicycleGAN (Zhu et al. 2017; pix2pix, Isola et al. 2017).

Three variants share the code, selected by :attr:`CGANConfig.mode`:

``"bicycle"``
    cVAE-GAN + cLR-GAN. An encoder maps the true future to a latent code z (KL to N(0, I)); the
    generator reproduces the future from (input, scenario, z) under an L1 and an adversarial loss; a
    z drawn from the prior must give a realistic future from which the encoder recovers z (latent
    regression). This is what makes the generator *use* z, so different z give different futures.
``"pix2pix"``
    L1 + adversarial, no z: the baseline that shows mode collapse (one future per input).
``"l1"``
    L1 only, no discriminator: a plain U-Net regression to the mean future.

Shapes: ``source`` and ``target`` (B, C, H, W) normalised bands; ``scenario`` (B,) int64 indices
into :data:`SCENARIOS`; ``trigger`` (B,) int64 :class:`~lslib.causes.Cause` values, the trigger of a
*landslide damage* future (:data:`NO_TRIGGER`, the stable class, for the other scenarios and the
default); ``z`` (B, latent_dim). The discriminator is a PatchGAN whose receptive field
(22 px with the default 3 layers) covers most of a 32 px patch without seeing all of it.

Examples
--------
>>> model = ScenarioGAN(CGANConfig(bands=6, size=32))
>>> source = torch.zeros(2, 6, 32, 32)
>>> model.generate(source, torch.tensor([0, 2]), torch.zeros(2, 8)).shape
torch.Size([2, 6, 32, 32])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from lslib.causes import N_CAUSES, Cause

__all__ = [
    "SCENARIOS",
    "NO_TRIGGER",
    "CGANConfig",
    "ScenarioGAN",
    "UNetGenerator",
    "PatchDiscriminator",
    "LatentEncoder",
    "scenario_index",
    "receptive_field",
    "condition_code",
]

#: The futures the generator can be asked for; ``unchanged`` (a stable site over the same months) is
#: the reference the mining detector compares with.
SCENARIOS: tuple[str, ...] = ("unchanged", "mining", "reforestation", "landslide_damage")
#: The trigger code of every future that is not a slide's damage: the stable class.
NO_TRIGGER: int = int(Cause.THRIVING_FOREST)


def scenario_index(name: str) -> int:
    """Index of a scenario name in :data:`SCENARIOS`, with a clear error for an unknown one."""
    if name not in SCENARIOS:
        raise ValueError(f"Unknown scenario {name!r}; the generator knows {SCENARIOS}")
    return SCENARIOS.index(name)


@dataclass
class CGANConfig:
    """Hyper-parameters of :class:`ScenarioGAN`; the loss weights follow BicycleGAN's defaults.

    Attributes
    ----------
    bands, size : int
        Bands per image and image side in pixels (a multiple of 8, >= 16).
    latent_dim, width : int
        Size of the latent code ``z`` and channels of the generator's first convolution.
    discriminator_layers : int
        4 x 4 convolutions of the PatchGAN discriminator, all stride 2 but the last (its receptive field
        is :func:`receptive_field`).
    n_scenarios, n_triggers : int
        Sizes of the one-hot scenario and trigger conditions.
    mode : {"bicycle", "pix2pix", "l1"}
        BicycleGAN (``z`` encoded and sampled), pix2pix (adversarial, no ``z``) or an L1-only U-Net.
    lambda_l1, lambda_gan, lambda_kl, lambda_latent : float
        Weights of the reconstruction, adversarial, KL and latent-regression losses.
    """

    bands: int = 6
    size: int = 32
    latent_dim: int = 8
    width: int = 32
    discriminator_layers: int = 3
    n_scenarios: int = len(SCENARIOS)
    n_triggers: int = N_CAUSES
    mode: Literal["bicycle", "pix2pix", "l1"] = "bicycle"
    lambda_l1: float = 10.0
    lambda_gan: float = 1.0
    lambda_kl: float = 0.01
    lambda_latent: float = 0.5

    def __post_init__(self) -> None:
        if self.mode not in ("bicycle", "pix2pix", "l1"):
            raise ValueError(f"mode must be 'bicycle', 'pix2pix' or 'l1', got {self.mode!r}")
        if self.size % 8 or self.size < 16:
            raise ValueError(f"size must be a multiple of 8 and >= 16 pixels, got {self.size}")

    @property
    def uses_z(self) -> bool:
        return self.mode == "bicycle"

    @property
    def n_conditions(self) -> int:
        """Channels of the (scenario, trigger) one-hot code tiled over the image."""
        return self.n_scenarios + self.n_triggers


def condition_code(scenario: Tensor, trigger: Tensor, config: CGANConfig) -> Tensor:
    """(B, n_scenarios + n_triggers) one-hot code of each input's scenario and trigger."""
    return torch.cat([F.one_hot(scenario, config.n_scenarios), F.one_hot(trigger, config.n_triggers)], dim=1).float()


def _down(cin: int, cout: int, norm: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 4, stride=2, padding=1)]
    if norm:
        layers.append(nn.InstanceNorm2d(cout, affine=True))
    layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def _up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1), nn.InstanceNorm2d(cout, affine=True), nn.ReLU()
    )


class UNetGenerator(nn.Module):
    """U-Net with three down and three up steps; the scenario and trigger (one-hot) and z are tiled
    over the image and concatenated to the input and to the bottleneck (BicycleGAN's "add to all"
    flavour)."""

    def __init__(self, config: CGANConfig) -> None:
        super().__init__()
        self.config = config
        w, extra = config.width, config.n_conditions + (config.latent_dim if config.uses_z else 0)
        self.d1 = _down(config.bands + extra, w, norm=False)
        self.d2 = _down(w, 2 * w)
        self.d3 = _down(2 * w, 4 * w)
        self.u3 = _up(4 * w + extra, 2 * w)
        self.u2 = _up(4 * w, w)
        self.u1 = nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1)
        self.out = nn.Sequential(nn.ReLU(), nn.Conv2d(w + config.bands, config.bands, 3, padding=1))

    def forward(self, source: Tensor, scenario: Tensor, z: Tensor | None, trigger: Tensor) -> Tensor:
        code = condition_code(scenario, trigger, self.config)
        if self.config.uses_z:
            code = torch.cat([code, z], dim=1)

        def tiled(size: int) -> Tensor:
            return code[:, :, None, None].expand(-1, -1, size, size)

        h1 = self.d1(torch.cat([source, tiled(source.shape[-1])], dim=1))
        h2 = self.d2(h1)
        h3 = self.d3(h2)
        bottom = torch.cat([h3, tiled(h3.shape[-1])], dim=1)
        x = self.u3(bottom)
        x = self.u2(torch.cat([x, h2], dim=1))
        x = self.u1(torch.cat([x, h1], dim=1))
        return source + self.out(torch.cat([x, source], dim=1))  # the future as a change of the present


class LatentEncoder(nn.Module):
    """Maps a (source, target) pair to the mean and log-variance of z."""

    def __init__(self, config: CGANConfig) -> None:
        super().__init__()
        w = config.width
        self.body = nn.Sequential(
            _down(2 * config.bands, w, norm=False),
            _down(w, 2 * w),
            _down(2 * w, 2 * w),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.mu = nn.Linear(2 * w, config.latent_dim)
        self.logvar = nn.Linear(2 * w, config.latent_dim)

    def forward(self, source: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        h = self.body(torch.cat([source, target], dim=1))
        return self.mu(h), self.logvar(h).clamp(-8, 8)


class PatchDiscriminator(nn.Module):
    """PatchGAN: one real/fake score per overlapping patch of (source, future, scenario, trigger)."""

    def __init__(self, config: CGANConfig) -> None:
        super().__init__()
        w = config.width
        cin = 2 * config.bands + config.n_conditions
        layers: list[nn.Module] = [_down(cin, w, norm=False)]
        channels = w
        for _ in range(config.discriminator_layers - 2):
            layers.append(_down(channels, 2 * channels))
            channels *= 2
        layers.append(nn.Conv2d(channels, 1, 4, stride=1, padding=1))
        self.net = nn.Sequential(*layers)
        self.config = config

    def forward(self, source: Tensor, future: Tensor, scenario: Tensor, trigger: Tensor) -> Tensor:
        code = condition_code(scenario, trigger, self.config)[:, :, None, None].expand(-1, -1, *source.shape[-2:])
        return self.net(torch.cat([source, future, code], dim=1))


def receptive_field(discriminator_layers: int) -> int:
    """Receptive field in pixels of :class:`PatchDiscriminator`'s output cells (4 x 4 kernels, all
    stride 2 except the last).

    Examples
    --------
    >>> receptive_field(3)
    22
    """
    field = 4
    for _ in range(discriminator_layers - 1):
        field = (field - 1) * 2 + 4
    return field


class ScenarioGAN(nn.Module):
    """Generator, latent encoder and discriminator of one variant (see the module docstring).

    ``generator_step`` and ``discriminator_step`` return dicts of named scalar losses (the
    ``loss_names`` convention of pix2pix); :func:`lslib.training.loop.fit_gan` alternates them.
    """

    loss_names = ("G_total", "G_L1", "G_GAN", "G_GAN_random", "KL", "latent", "D_real", "D_fake")

    def __init__(self, config: CGANConfig) -> None:
        super().__init__()
        self.config = config
        self.generator = UNetGenerator(config)
        self.encoder = LatentEncoder(config) if config.uses_z else None
        self.discriminator = PatchDiscriminator(config) if config.mode != "l1" else None

    # ------------------------------------------------------------------ checks
    def _trigger(self, scenario: Tensor, trigger: Tensor | None) -> Tensor:
        """``trigger`` checked against ``scenario``, or :data:`NO_TRIGGER` for every input when None."""
        if trigger is None:
            return torch.full_like(scenario, NO_TRIGGER)
        if trigger.shape != scenario.shape:
            raise ValueError(f"trigger must be (B,) like scenario {tuple(scenario.shape)}, got {tuple(trigger.shape)}")
        if trigger.numel() and (int(trigger.min()) < 0 or int(trigger.max()) >= self.config.n_triggers):
            raise ValueError(f"trigger values must lie in [0, {self.config.n_triggers}): lslib.causes.Cause")
        return trigger

    def _check(self, source: Tensor, scenario: Tensor, target: Tensor | None = None) -> None:
        c = self.config
        if source.dim() != 4 or source.shape[1] != c.bands:
            raise ValueError(f"source must be (B, {c.bands}, H, W) - {c.bands} bands - got {tuple(source.shape)}")
        if source.shape[-1] % 8 or source.shape[-2] % 8:
            raise ValueError(f"image sides must be multiples of 8 pixels, got {tuple(source.shape[-2:])}")
        if target is not None and target.shape != source.shape:
            raise ValueError(f"target {tuple(target.shape)} and source {tuple(source.shape)} differ")
        if scenario.dim() != 1 or len(scenario) != len(source):
            raise ValueError(f"scenario must be (B,) indices, got {tuple(scenario.shape)}")
        if scenario.numel() and (int(scenario.min()) < 0 or int(scenario.max()) >= c.n_scenarios):
            raise ValueError(f"scenario indices must lie in [0, {c.n_scenarios}); see SCENARIOS")
        for name, tensor in (("source", source), ("target", target)):
            if tensor is not None and not torch.isfinite(tensor).all():
                raise ValueError(f"{name!r} contains NaN or infinite values")

    # ------------------------------------------------------------------ sampling
    def sample_z(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor | None:
        if not self.config.uses_z:
            return None
        return torch.randn(n, self.config.latent_dim, generator=generator, device=device)

    def generate(
        self, source: Tensor, scenario: Tensor, z: Tensor | None = None, trigger: Tensor | None = None
    ) -> Tensor:
        """One future per input for the given z (ignored by the variants without z) and trigger
        (default :data:`NO_TRIGGER`)."""
        self._check(source, scenario)
        trigger = self._trigger(scenario, trigger)
        if self.config.uses_z and z is None:
            raise ValueError("this variant needs a latent code z (see sample_z)")
        return self.generator(source, scenario, z if self.config.uses_z else None, trigger)

    @torch.no_grad()
    def sample(self, source: Tensor, scenario: Tensor, k: int, seed: int = 0, trigger: Tensor | None = None) -> Tensor:
        """``k`` futures per input, (k, B, C, H, W), from z drawn with ``seed`` (reproducible on any
        device: z is drawn on the CPU). The inputs are moved to the model's device, and so is the result."""
        self.eval()
        device = next(self.parameters()).device
        source, scenario = source.to(device), scenario.to(device)
        trigger = None if trigger is None else trigger.to(device)
        generator = torch.Generator().manual_seed(seed)
        futures = []
        for _ in range(k):
            z = self.sample_z(len(source), generator)
            futures.append(self.generate(source, scenario, None if z is None else z.to(device), trigger))
        return torch.stack(futures)

    # ------------------------------------------------------------------ losses
    @staticmethod
    def _gan(prediction: Tensor, real: bool) -> Tensor:
        return F.mse_loss(prediction, torch.full_like(prediction, 1.0 if real else 0.0))  # LSGAN

    @staticmethod
    def _set_grad(module: nn.Module | None, flag: bool) -> None:
        if module is not None:
            for parameter in module.parameters():
                parameter.requires_grad_(flag)

    def generator_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Losses of the generator (and encoder); the key ``loss`` is what is minimised. The fakes
        are kept on the instance for :meth:`discriminator_step`.

        The discriminator's weights are frozen throughout, and the encoder's during the latent
        regression, which (as in BicycleGAN) trains the generator alone: otherwise generator and
        encoder could agree on a code the images do not show.
        """
        source, target, scenario = batch["source"], batch["target"], batch["scenario"]
        self._check(source, scenario, target)
        trigger = self._trigger(scenario, batch.get("trigger"))
        self._set_grad(self.discriminator, False)
        try:
            losses = self._generator_losses(source, target, scenario, trigger)
        finally:
            self._set_grad(self.discriminator, True)
            self._set_grad(self.encoder, True)
        return losses

    def _generator_losses(self, source: Tensor, target: Tensor, scenario: Tensor, trigger: Tensor) -> dict[str, Tensor]:
        c = self.config
        losses: dict[str, Tensor] = {}
        if c.uses_z:
            mu, logvar = self.encoder(source, target)
            z_encoded = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            fake_encoded = self.generator(source, scenario, z_encoded, trigger)
            z_random = torch.randn_like(mu)
            fake_random = self.generator(source, scenario, z_random, trigger)
            losses["KL"] = -0.5 * torch.mean(torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1))
            self._set_grad(self.encoder, False)
            mu_back, _ = self.encoder(source, fake_random)
            losses["latent"] = F.l1_loss(mu_back, z_random)
            losses["G_GAN"] = self._gan(self.discriminator(source, fake_encoded, scenario, trigger), True)
            losses["G_GAN_random"] = self._gan(self.discriminator(source, fake_random, scenario, trigger), True)
            self._fakes = (fake_encoded.detach(), fake_random.detach())
        else:
            fake_encoded = self.generator(source, scenario, None, trigger)
            if self.discriminator is not None:
                losses["G_GAN"] = self._gan(self.discriminator(source, fake_encoded, scenario, trigger), True)
            self._fakes = (fake_encoded.detach(),)
        losses["G_L1"] = F.l1_loss(fake_encoded, target)
        total = c.lambda_l1 * losses["G_L1"]
        if self.discriminator is not None:
            total = total + c.lambda_gan * (losses["G_GAN"] + losses.get("G_GAN_random", 0.0))
        if c.uses_z:
            total = total + c.lambda_kl * losses["KL"] + c.lambda_latent * losses["latent"]
        losses["G_total"] = total
        losses["loss"] = total
        return losses

    def discriminator_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """LSGAN losses of the discriminator on the real future and on the last generated fakes."""
        if self.discriminator is None:
            return {}
        source, target, scenario = batch["source"], batch["target"], batch["scenario"]
        trigger = self._trigger(scenario, batch.get("trigger"))
        real = self._gan(self.discriminator(source, target, scenario, trigger), True)
        fakes = [self._gan(self.discriminator(source, fake, scenario, trigger), False) for fake in self._fakes]
        fake = torch.stack(fakes).mean()
        return {"D_real": real, "D_fake": fake, "loss": 0.5 * (real + fake)}

    def training_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """The generator's losses (for :func:`lslib.training.loop.evaluate` on validation data)."""
        return self.generator_step(batch)

    def generator_parameters(self) -> list[nn.Parameter]:
        return list(self.generator.parameters()) + (list(self.encoder.parameters()) if self.encoder else [])

    def config_dict(self) -> dict:
        return asdict(self.config)
