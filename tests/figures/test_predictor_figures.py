"""The chapter 4 figures of skill against lead, reliability per lead, model intervals and attention against
haze: each returns a stamped Figure whose title says simulated, labels its axes and draws what it was given."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from lslib.figures.predictor import (
    attention_haze_figure,
    interval_figure,
    reliability_lead_figure,
    skill_lead_figure,
)

SOURCE = "simulated"


def _titles(fig: Figure) -> str:
    """Every axes title and the suptitle, joined."""
    texts = [ax.get_title(loc) for ax in fig.axes for loc in ("left", "center", "right")]
    if fig._suptitle is not None:
        texts.append(fig._suptitle.get_text())
    return " ".join(texts)


def _panels(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_visible()]


def _check_common(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    assert "simulated" in _titles(fig).lower()
    assert any("SIMULATED DATA" in t.get_text() for t in fig.texts), "no provenance stamp"
    panels = _panels(fig)
    assert panels
    assert panels[0].get_ylabel(), "the first panel carries the y label"
    assert panels[-1].get_xlabel(), "the last panel carries the x label"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _reliability_inputs(seed: int = 0, n: int = 400, leads_drawn: tuple[int, ...] = (1, 2)):
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.3).astype(int)
    leads = np.where(labels == 1, rng.choice(leads_drawn, n), 0)
    probabilities = np.clip(0.2 + 0.5 * labels / np.maximum(leads, 1) + rng.normal(0, 0.1, n), 0, 1)
    return labels, probabilities, leads


def _attention_inputs(seed: int = 0, windows: int = 60, frames: int = 10):
    rng = np.random.default_rng(seed)
    flagged = rng.beta(0.5, 2, (windows, frames))
    unflagged = rng.beta(0.4, 3, (windows, frames))
    logits = -3 * flagged - unflagged + rng.normal(0, 0.3, (windows, frames))
    attention = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return attention, flagged, unflagged


def test_skill_lead_figure():
    rng = np.random.default_rng(0)
    rows = [
        (model, lead, auroc, auroc - 0.05, auroc + 0.05)
        for model, base in (("attention", 0.75), ("random forest", 0.65))
        for lead in (1, 2, 3)
        for auroc in [base - 0.03 * lead + rng.normal(0, 0.01)]
    ]
    skill = pd.DataFrame(rows, columns=["model", "lead", "auroc", "low", "high"])
    oracle = pd.DataFrame({"lead": [1, 2, 3], "auroc": [0.9, 0.88, 0.86], "low": 0.85, "high": 0.93})
    fig = skill_lead_figure(skill, oracle, SOURCE, horizon_days=48)
    _check_common(fig)
    (ax,) = fig.axes
    assert "48 days" in ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["attention", "random forest", "attainable (FS oracle)", "chance"]
    with pytest.raises(ValueError, match="skill lacks columns"):
        skill_lead_figure(skill.drop(columns="high"), oracle, SOURCE, 48)


@pytest.mark.parametrize(("leads_drawn", "panels"), [((1, 2), 3), ((1, 2, 3), 4), ((1, 2, 3, 5), 5)])
def test_reliability_lead_figure(leads_drawn, panels):
    labels, probabilities, leads = _reliability_inputs(leads_drawn=leads_drawn)
    fig = reliability_lead_figure(labels, probabilities, leads, SOURCE, n_bins=5)
    _check_common(fig)
    shown = _panels(fig)
    assert len(shown) == panels
    assert shown[0].get_title().startswith(f"all leads (n = {len(labels):,})")
    negatives = int((labels == 0).sum())
    for ax, k in zip(shown[1:], leads_drawn):
        assert ax.get_title() == f"lead {k} (n = {negatives + int((leads == k).sum()):,})"
    # every panel's x axis is labelled, or the panel below it carries the label
    ncols = min(panels, 3)
    for i, ax in enumerate(shown):
        assert bool(ax.get_xlabel()) == (i + ncols >= panels)
        assert bool(ax.get_ylabel()) == (i % ncols == 0)


def test_reliability_lead_figure_rejects_mismatched_shapes():
    labels, probabilities, leads = _reliability_inputs()
    with pytest.raises(ValueError, match="1-D of one length"):
        reliability_lead_figure(labels, probabilities[:-1], leads, SOURCE)
    with pytest.raises(ValueError, match="1-D of one length"):
        reliability_lead_figure(labels, probabilities.reshape(20, -1), leads, SOURCE)
    with pytest.raises(ValueError, match="lead >= 1"):
        reliability_lead_figure(labels, probabilities, np.zeros_like(leads), SOURCE)


def test_interval_figure():
    names = ["attention", "LSTM", "random forest", "FS oracle", "shuffled"]
    values = np.array([0.78, 0.72, 0.68, 0.9, 0.5])
    table = pd.DataFrame(
        {
            "value": values,
            "low": values - 0.04,
            "high": values + 0.04,
            "kind": ["network", "network", "baseline", "oracle", "null"],
        },
        index=names,
    )
    fig = interval_figure(table, SOURCE, ceiling=0.9)
    _check_common(fig)
    (ax,) = fig.axes
    ticks = {round(tick, 6): label.get_text() for tick, label in zip(ax.get_yticks(), ax.get_yticklabels())}
    assert sorted(ticks.values()) == sorted(names)
    top_to_bottom = [ticks[t] for t in sorted(ticks, key=lambda t: -ax.transData.transform((0, t))[1])]
    assert top_to_bottom == names, "rows follow the table's order, top to bottom"
    assert ax.get_xlabel() == "AUROC (95 % seed-and-site interval)"
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["network", "baseline", "oracle", "null", "chance (0.5)", "attainable (0.900)"]

    fig = interval_figure(table[table["kind"] != "oracle"], SOURCE, metric="AUPRC", reference=None)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["network", "baseline", "null"]
    assert len(fig.axes[0].get_yticklabels()) == 4
    with pytest.raises(ValueError, match="unknown kinds"):
        interval_figure(table.assign(kind="ensemble"), SOURCE)


def test_attention_haze_figure():
    attention, flagged, unflagged = _attention_inputs()
    attention[0, -2:] = np.nan  # padding frames are left out
    fig = attention_haze_figure(attention, flagged, unflagged, SOURCE, n_bins=6)
    _check_common(fig)
    left, right = fig.axes
    assert left.get_xlabel() == "QA-flagged share of the frame"
    assert right.get_xlabel() == "unflagged haze/shadow share of the frame"
    assert left.get_ylabel() == "mean attention weight"
    assert f"({attention.size - 2:,} frames)" in left.get_title()
    uniform = [line for line in left.get_lines() if line.get_linestyle() == ":"]
    assert uniform and np.allclose(uniform[0].get_ydata(), 1 / attention.shape[1])


def test_attention_haze_figure_skips_empty_bins():
    attention, flagged, unflagged = _attention_inputs()
    flagged = np.where(flagged < 0.5, flagged * 0.2, 0.95)  # nothing between 0.1 and 0.95
    fig = attention_haze_figure(attention, flagged, unflagged, SOURCE, n_bins=10)
    means = fig.axes[0].get_lines()[0]
    assert len(means.get_xdata()) == 2 and np.all(np.isfinite(means.get_ydata()))


def test_attention_haze_figure_rejects_mismatched_shapes():
    attention, flagged, unflagged = _attention_inputs()
    with pytest.raises(ValueError, match="of one shape"):
        attention_haze_figure(attention, flagged[:, :-1], unflagged, SOURCE)
    with pytest.raises(ValueError, match="of one shape"):
        attention_haze_figure(attention.ravel(), flagged.ravel(), unflagged.ravel(), SOURCE)
