"""Lay out, then render (lslib.models.layout) on a hand-made world whose answer is known.

The toy: 16 x 16 images of two bands; one terrain channel marks the eligible half of each image (left
or right, drawn per image). A *mining* pair gets a disc of radius 2.2 px centred anywhere on the
eligible half, where band 0 rises by 1.5 and band 1 falls by 1.0; an *unchanged* pair keeps its
image. The layout model must learn to put discs on the eligible half only, in varied places; the
renderer must paint the disc it is given; the detector must rank a pit above no change.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from lslib.models.cgan import SCENARIOS
from lslib.models.layout import (
    LayoutConfig,
    LayoutModel,
    LayoutRenderer,
    PitModel,
    RenderConfig,
    disc_layouts,
    fitted_discs,
    layout_centres,
    mining_evidence,
)
from lslib.training.loop import TrainConfig, fit, fit_gan

SIDE = 16
MINING, UNCHANGED = SCENARIOS.index("mining"), SCENARIOS.index("unchanged")
RISE = (1.5, -1.0)  # the disc's change in bands 0 and 1


def toy_world(n: int, seed: int, mined_share: float = 0.75) -> dict[str, torch.Tensor]:
    rng = np.random.default_rng(seed)
    source = rng.normal(0.0, 0.1, (n, 2, SIDE, SIDE)).astype(np.float32)
    right = rng.integers(0, 2, n).astype(bool)
    eligible = np.zeros((n, SIDE, SIDE), bool)
    eligible[right, :, SIDE // 2 :] = True
    eligible[~right, :, : SIDE // 2] = True
    mined = rng.random(n) < mined_share
    rows, cols = np.indices((SIDE, SIDE))
    layout = np.zeros((n, SIDE, SIDE), np.float32)
    for i in np.nonzero(mined)[0]:
        columns = np.arange(SIDE // 2 + 3, SIDE - 3) if right[i] else np.arange(3, SIDE // 2 - 3)
        row, col = rng.integers(3, SIDE - 3), rng.choice(columns)
        layout[i] = np.hypot(rows - row, cols - col) <= 2.2
    target = source.copy()
    for band, rise in enumerate(RISE):
        target[:, band] += rise * layout
    return {
        "source": torch.from_numpy(source),
        "terrain": torch.from_numpy(eligible[:, None].astype(np.float32)),
        "layout": torch.from_numpy(layout),
        "target": torch.from_numpy(target),
        "scenario": torch.from_numpy(np.where(mined, MINING, UNCHANGED)),
        "eligible": torch.from_numpy(eligible),
    }


def _rows(world: dict[str, torch.Tensor], keep: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    return {key: value if keep is None else value[keep] for key, value in world.items()}


def _loader(world: dict[str, torch.Tensor]) -> DataLoader:
    keys = ("source", "terrain", "layout", "target", "scenario")
    rows = [{key: world[key][i] for key in keys} for i in range(len(world["source"]))]
    return DataLoader(rows, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))


@pytest.fixture(scope="module")
def trained() -> tuple[LayoutModel, LayoutRenderer, PitModel]:
    torch.set_num_threads(2)
    world = toy_world(256, seed=0)
    torch.manual_seed(0)
    layout_model = LayoutModel(LayoutConfig(bands=2, n_terrain=1, size=SIDE, width=8, latent_channels=2))
    config = TrainConfig(epochs=80, lr=3e-3, progress=False, restore_best=True)  # the epoch best on validation
    fit(layout_model, {"train": _loader(world)}, TrainConfig(epochs=80, lr=3e-3, progress=False))
    mined = world["scenario"] == MINING
    torch.manual_seed(0)
    pit_model = PitModel(LayoutConfig(bands=2, n_terrain=1, size=SIDE, width=8))
    fit(
        pit_model,
        {"train": _loader(_rows(world, mined)), "val": _loader(_rows(toy_world(128, seed=9, mined_share=1.0)))},
        config,
    )
    torch.manual_seed(0)
    renderer = LayoutRenderer(RenderConfig(bands=2, n_terrain=1, size=SIDE, width=8, lambda_gan=0.0))
    fit(renderer, {"train": _loader(world)}, TrainConfig(epochs=30, lr=3e-3, progress=False))
    return layout_model, renderer, pit_model


def test_layouts_fall_on_eligible_pixels_and_differ_between_samples(trained) -> None:
    layout_model, _, _ = trained
    world = toy_world(12, seed=1, mined_share=1.0)
    mining = torch.full((12,), MINING)
    layouts = layout_model.sample(world["source"], world["terrain"], mining, k=8, seed=0)
    sizes = layouts.sum(dim=(2, 3)).float()
    assert sizes.mean() > 8, "the sampled layouts are (nearly) empty: the latent collapsed"
    outside = (layouts & ~world["eligible"][None]).sum() / layouts.sum()
    assert outside < 0.01, f"{float(outside):.1%} of the layout pixels lie outside the eligible half"
    centres = layout_centres(layouts)  # (k, n, 2)
    columns = centres[..., 1][~torch.isnan(centres[..., 1])]
    assert len(columns) >= 0.9 * centres[..., 1].numel()
    right = world["eligible"][:, 0, -1]
    for i in range(12):
        column = centres[:, i, 1][~torch.isnan(centres[:, i, 1])]
        assert ((column >= SIDE / 2 - 0.5) if right[i] else (column <= SIDE / 2 - 0.5)).all()
        distinct = {tuple(np.round(c, 1)) for c in centres[:, i].numpy() if not np.isnan(c).any()}
        assert len(distinct) >= 4, f"image {i}: only {len(distinct)} different places in 8 samples"


def test_an_eligible_mask_given_at_sampling_time_is_never_crossed() -> None:
    torch.manual_seed(0)
    model = LayoutModel(LayoutConfig(bands=2, n_terrain=1, size=SIDE, width=4, latent_channels=1))
    world = toy_world(3, seed=2)
    layouts = model.sample(
        world["source"], world["terrain"], world["scenario"], k=4, eligible=world["eligible"], threshold=0.0
    )
    assert layouts.any()
    assert not (layouts & ~world["eligible"][None]).any()
    assert torch.equal(layouts, model.sample(world["source"], world["terrain"], world["scenario"], k=4,
                                             eligible=world["eligible"], threshold=0.0))  # fmt: skip


def test_the_renderer_paints_the_disc_it_is_given(trained) -> None:
    _, renderer, _ = trained
    world = toy_world(16, seed=3, mined_share=1.0)
    future = renderer.render(world["source"], world["terrain"], world["layout"], world["scenario"])
    change = (future - world["source"]).numpy()
    inside = world["layout"].numpy().astype(bool)
    for band, rise in enumerate(RISE):
        assert change[:, band][inside].mean() == pytest.approx(rise, abs=0.25)
        assert np.abs(change[:, band][~inside]).mean() < 0.1
    several = renderer.render(world["source"], world["terrain"], world["layout"][None].repeat(2, 1, 1, 1),
                              world["scenario"])  # fmt: skip
    assert several.shape == (2, 16, 2, SIDE, SIDE)


def test_the_detector_ranks_a_planted_pit_above_an_unchanged_scene(trained) -> None:
    _, renderer, pit_model = trained
    world = toy_world(16, seed=4, mined_share=1.0)
    with_pit = mining_evidence(pit_model, renderer, world["source"], world["terrain"], world["target"], k=16)
    without = mining_evidence(pit_model, renderer, world["source"], world["terrain"], world["source"], k=16)
    assert (with_pit > without).all()
    with pytest.raises(ValueError, match="noise_sd"):
        mining_evidence(pit_model, renderer, world["source"], world["terrain"], world["source"], k=2, noise_sd=0)


def test_the_adversarial_renderer_trains_and_its_critic_weighs_the_layout() -> None:
    world = toy_world(64, seed=5)
    torch.manual_seed(0)
    renderer = LayoutRenderer(RenderConfig(bands=2, n_terrain=1, size=SIDE, width=4))
    history = fit_gan(renderer, {"train": _loader(world)}, TrainConfig(epochs=2, lr=1e-3, progress=False))
    assert {"G_L1", "G_GAN", "D_real", "D_fake"} <= set(history.train)
    assert all(np.isfinite(history.train["G_L1"]))
    critic = {id(p) for p in renderer.discriminator.parameters()}
    generator = {id(p) for p in renderer.generator_parameters()}
    assert critic and generator and not critic & generator
    assert len(critic) + len(generator) == len(list(renderer.parameters()))


def test_bad_inputs_are_refused_with_the_name_of_the_problem() -> None:
    model = LayoutModel(LayoutConfig(bands=2, n_terrain=1, size=SIDE, width=4))
    source, terrain = torch.zeros(2, 2, SIDE, SIDE), torch.zeros(2, 1, SIDE, SIDE)
    with pytest.raises(ValueError, match="terrain"):
        model.sample(source, torch.zeros(2, 3, SIDE, SIDE), torch.ones(2, dtype=torch.long), k=1)
    with pytest.raises(ValueError, match="scenario"):
        model.sample(source, terrain, torch.tensor([0, 9]), k=1)
    with pytest.raises(ValueError, match="k must be"):
        model.sample(source, terrain, torch.ones(2, dtype=torch.long), k=0)
    with pytest.raises(ValueError, match="size"):
        LayoutConfig(size=20)
    with pytest.raises(ValueError, match="beta"):
        LayoutConfig(beta=0)


def test_pit_centres_are_drawn_on_eligible_pixels_in_varied_places(trained) -> None:
    _, _, pit_model = trained
    world = toy_world(12, seed=6, mined_share=1.0)
    pits = pit_model.sample(world["source"], world["terrain"], k=8, seed=0, always_grow=True)
    assert pits.flatten(2).any(dim=2).all()  # always_grow: every layout holds a pit
    centres = layout_centres(pits)
    right = world["eligible"][:, 0, -1]
    learned = [(centres[:, i, 1] >= SIDE / 2 - 0.5) if right[i] else (centres[:, i, 1] <= SIDE / 2 - 0.5)
               for i in range(12)]  # fmt: skip
    assert torch.stack(learned).float().mean() > 0.9, "the heatmap did not learn the eligible half"
    for i in range(12):
        assert len({tuple(np.round(c, 1)) for c in centres[:, i].numpy()}) >= 4
    radius = fitted_discs(pits.flatten(0, 1))[1]
    assert 1.2 < float(radius.median()) < 3.5  # the toy's discs have a radius of 2.2 px
    corner = torch.zeros(12, SIDE, SIDE, dtype=torch.bool)
    corner[:, :4, :4] = True  # an eligible mask given at sampling time: the centres stay inside it
    centres = layout_centres(pit_model.sample(world["source"], world["terrain"], k=8, eligible=corner))
    placed = centres[~torch.isnan(centres[..., 0])]
    assert len(placed) and (placed <= 3.0 + 1e-6).all()
    with pytest.raises(ValueError, match="at least one eligible"):
        pit_model.sample(world["source"], world["terrain"], k=1, eligible=torch.zeros_like(corner))


def test_a_disc_stands_for_a_layout_with_its_centroid_and_area() -> None:
    layouts = torch.zeros(3, 12, 12, dtype=torch.bool)
    rows, cols = torch.meshgrid(torch.arange(12.0), torch.arange(12.0), indexing="ij")
    layouts[0] = torch.hypot(rows - 5, cols - 6) <= 3
    layouts[1, 1:3, 1:9] = True  # a strip: the disc keeps its centroid and area
    discs = disc_layouts(layouts)
    assert torch.equal(discs[0], layouts[0])
    assert not discs[2].any()
    assert abs(int(discs[1].sum()) - 16) <= 4
    assert torch.allclose(layout_centres(discs[1:2]), torch.tensor([[1.5, 4.5]]), atol=0.6)
    with pytest.raises(ValueError, match="non-empty"):
        fitted_discs(layouts)
