"""Figures of chapter 4: calibration, attention against clouds, cause confusion, skill against lead
time and the side-by-side comparison of models.

Every figure says whether it shows real or simulated data (see :mod:`lslib.figures.provenance`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lslib import evaluation
from lslib.causes import Cause
from lslib.figures.provenance import stamp, titled

__all__ = [
    "reliability_figure",
    "attention_cloud_figure",
    "confusion_figure",
    "lead_figure",
    "comparison_figure",
    "training_figure",
    "skill_lead_figure",
    "reliability_lead_figure",
    "interval_figure",
    "attention_haze_figure",
]

# Okabe & Ito (2008) colour-blind-safe palette, in the order lines are drawn.
_OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
# Model kinds of :func:`interval_figure`: a colour and a marker each, so the kinds differ in grey scale too.
_KIND_STYLES: dict[str, tuple[str, str]] = {
    "network": ("#0072B2", "o"),
    "baseline": ("#E69F00", "s"),
    "oracle": ("#009E73", "D"),
    "null": ("#7f7f7f", "X"),
}


def reliability_figure(
    labels: np.ndarray, curves: dict[str, np.ndarray], floor: float, source: str, n_bins: int = 10
) -> Figure:
    """Reliability diagram (observed frequency against predicted probability, per bin) of each set of
    probabilities in ``curves``, with the ECE in the legend and a histogram of the predictions."""
    fig, (ax, hist) = plt.subplots(2, 1, figsize=(5.6, 6.2), height_ratios=(3, 1), sharex=True, layout="constrained")
    ax.plot([0, 1], [0, 1], ":", color="grey", lw=1, label="perfect calibration")
    for (name, probabilities), colour in zip(curves.items(), ("#999999", "#2166ac", "#d6604d")):
        table = evaluation.reliability(labels, probabilities, n_bins)
        used = table["count"] > 0
        ece = evaluation.expected_calibration_error(labels, probabilities, n_bins)
        ax.plot(
            table["predicted"][used],
            table["observed"][used],
            "o-",
            color=colour,
            lw=1.6,
            ms=4,
            label=f"{name} (ECE {ece:.3f})",
        )
        hist.hist(probabilities, bins=table["edges"], histtype="step", color=colour, lw=1.4)
    ax.set(
        ylabel="observed landslide frequency",
        xlim=(0, 1),
        ylim=(0, 1),
        title=titled(source, "Reliability of the forecast probability (test windows)"),
    )
    ax.legend(fontsize=8, loc="upper left", title=f"ECE noise floor (p90): {floor:.3f}", title_fontsize=8)
    hist.set(xlabel="predicted probability of a landslide", ylabel="windows", yscale="log")
    return stamp(fig, source)


def attention_cloud_figure(
    attention: np.ndarray, cloud: np.ndarray, valid: np.ndarray, spearman: float, clear_weight: float, source: str
) -> Figure:
    """Attention against the masked share of each frame: relative weight (weight x valid frames, so 1
    is an even share) per cloud-fraction bin, over every valid frame of the test windows."""
    relative = (attention * valid.sum(axis=1, keepdims=True))[valid]
    masked = cloud[valid]
    edges = np.array([0.0, 0.02, 0.2, 0.4, 0.6, 0.8, 1.0001])
    groups = [relative[(masked >= lo) & (masked < hi)] for lo, hi in zip(edges[:-1], edges[1:])]
    labels = [f"{lo:.0%}–{min(hi, 1):.0%}\n(n={len(g)})" for lo, hi, g in zip(edges[:-1], edges[1:], groups)]
    fig, ax = plt.subplots(figsize=(7.2, 4.2), layout="constrained")
    keep = [i for i, g in enumerate(groups) if len(g)]
    ax.boxplot([groups[i] for i in keep], tick_labels=[labels[i] for i in keep], showfliers=False, widths=0.6)
    ax.axhline(1.0, ls=":", color="grey", lw=1)
    ax.set(
        xlabel="masked share of the frame (cloud, shadow, cirrus from QA_PIXEL)",
        ylabel="relative attention weight (1 = even share)",
        title=titled(
            source,
            f"Attention against clouds (mean Spearman ρ = {spearman:.2f}, learned clear weight {clear_weight:.2f})",
        ),
    )
    return stamp(fig, source)


def confusion_figure(matrix: np.ndarray, accuracy: float, majority: float, source: str) -> Figure:
    """Row-normalised confusion matrix of the six triggers on the test windows that slid, with counts."""
    names = [Cause(i).label for i in range(matrix.shape[0])]
    rows = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.6, 5.6), layout="constrained")
    image = ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center", fontsize=8, color="white" if rows[i, j] > 0.55 else "black")
    ax.set_xticks(range(len(names)), names, rotation=35, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set(
        xlabel="predicted cause",
        ylabel="true cause (counterfactual attribution)",
        title=titled(source, f"Causes of the test slides: accuracy {accuracy:.2f} (majority {majority:.2f})"),
    )
    fig.colorbar(image, ax=ax, shrink=0.8, label="share of the true cause's windows")
    return stamp(fig, source)


def lead_figure(
    leads: pd.DataFrame,
    revisit_days: float,
    source: str,
    bands: tuple[str, ...] = ("attention ensemble", "random forest"),
) -> Figure:
    """AUROC against lead time (revisits before the event) per model; shaded 95% intervals for the
    models named in ``bands`` (the others would hide each other)."""
    fig, ax = plt.subplots(figsize=(7.0, 4.3), layout="constrained")
    for name, rows in leads.groupby("model", sort=False):
        (line,) = ax.plot(
            rows["lead"],
            rows["AUROC"],
            "o-",
            lw=2.2 if name in bands else 1.2,
            ms=4,
            label=name + (" (95% interval)" if name in bands else ""),
        )
        if name in bands:
            ax.fill_between(rows["lead"], rows["low"], rows["high"], color=line.get_color(), alpha=0.15)
    ax.axhline(0.5, ls=":", color="grey", lw=1)
    lead_values = sorted(leads["lead"].unique())
    ax.set_xticks(lead_values, [f"{int(v)}\n~{int(v * revisit_days)} d" for v in lead_values])
    ax.set(
        xlabel="lead: the window ends this many Landsat revisits (about days) before the event",
        ylabel="AUROC (test windows)",
        title=titled(source, "Forecast skill against lead time"),
    )
    ax.legend(fontsize=8, ncol=2, loc="upper right")
    return stamp(fig, source)


def comparison_figure(table: pd.DataFrame, drops: dict[str, float], source: str) -> Figure:
    """AUROC of every model with its 95% interval (left) and the AUROC lost when clouds cover half the
    test frames (right)."""
    names = list(table.index)[::-1]
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(10.4, 0.45 * len(names) + 1.8), sharey=True, width_ratios=(2, 1), layout="constrained"
    )
    y = np.arange(len(names))
    values = table.loc[names, "AUROC"].to_numpy(float)
    errors = np.abs(table.loc[names, ["AUROC low", "AUROC high"]].to_numpy(float).T - values)
    left.errorbar(values, y, xerr=errors, fmt="o", color="#2166ac", capsize=3)
    left.axvline(0.5, ls=":", color="grey", lw=1)
    left.set_yticks(y, names)
    left.set(
        xlabel="AUROC on the test windows (95% site-bootstrap interval)", title=titled(source, "Models side by side")
    )
    drop = [drops.get(n, np.nan) for n in names]
    interval = None
    if {"drop low", "drop high"} <= set(table.columns):
        bounds = table.loc[names, ["drop low", "drop high"]].to_numpy(float).T
        interval = np.nan_to_num(np.abs(bounds - np.nan_to_num(drop)))
    right.barh(
        y,
        np.nan_to_num(drop),
        xerr=interval,
        capsize=3,
        ecolor="black",
        color=["#d6604d" if d > 0 else "#4393c3" for d in np.nan_to_num(drop)],
    )
    for yi, d in zip(y, drop):
        if not np.isfinite(d):
            right.text(0, yi, "not re-run", va="center", fontsize=7, color="grey")
    right.axvline(0, color="black", lw=0.8)
    right.set(xlabel="AUROC lost (clouds on 50% of frames)", title="Cloud robustness (95% interval)")
    return stamp(fig, source)


def training_figure(histories: dict, source: str) -> Figure:
    """Training and validation loss per epoch of every trained model."""
    fig, ax = plt.subplots(figsize=(7.0, 3.8), layout="constrained")
    for name, history in histories.items():
        epochs = np.arange(1, len(history.train["loss"]) + 1)
        (line,) = ax.plot(epochs, history.val["loss"], lw=1.5, label=f"{name} (validation)")
        ax.plot(epochs, history.train["loss"], ls="--", lw=1, color=line.get_color())
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set(
        xlabel="epoch",
        ylabel="loss (BCE + 0.5 × cause CE)",
        title=titled(source, "Training (dashed) and validation (solid) loss"),
    )
    ax.legend(fontsize=7, ncol=2)
    return stamp(fig, source)


def _whiskers(values: np.ndarray, lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
    """Error-bar lengths (2, n) from interval bounds; clipped at 0 (a percentile interval may miss the
    estimate) and 0 where a bound is missing."""
    values, lows, highs = (np.asarray(v, float) for v in (values, lows, highs))
    return np.nan_to_num(np.clip(np.vstack([values - lows, highs - values]), 0, None))


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    """Raise ``ValueError`` naming the columns of ``frame`` that are missing and those it has."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks columns {missing}; it has {list(frame.columns)}")


def skill_lead_figure(
    skill: pd.DataFrame, oracle: pd.DataFrame, source: str, horizon_days: float, oracle_name: str = "FS oracle"
) -> Figure:
    """AUROC against lead of every model, with the attainable ceiling and chance.

    Parameters
    ----------
    skill : pandas.DataFrame
        One row per model and lead, with columns ``model`` (str), ``lead`` (int: revisits from the
        window's last frame to the slide, 1..K), ``auroc`` and its 95 % interval ``low``, ``high``.
        AUROC at lead k scores the positives at that lead against all negatives.
    oracle : pandas.DataFrame
        The attainable ceiling per lead: columns ``lead``, ``auroc``, ``low``, ``high``.
    source : str
        Data source (``"simulated:..."``, ``"registry:..."``, ...); the title and the corner tag say
        real or simulated.
    horizon_days : float
        Forecast horizon in days, named in the title.
    oracle_name : str
        The ceiling's name in the legend.

    Returns
    -------
    matplotlib.figure.Figure
        One line with 95 % error bars per model (dodged in x so the bars do not overlap), the oracle as a
        dashed black line in a grey band, and a dotted line at 0.5.

    Raises
    ------
    ValueError
        If a column is missing from ``skill`` or ``oracle``.
    """
    _require_columns(skill, ("model", "lead", "auroc", "low", "high"), "skill")
    _require_columns(oracle, ("lead", "auroc", "low", "high"), "oracle")
    models = list(dict.fromkeys(skill["model"]))
    fig, ax = plt.subplots(figsize=(7.0, 4.6), layout="constrained")
    ceiling = oracle.sort_values("lead")
    band = ax.fill_between(ceiling["lead"], ceiling["low"], ceiling["high"], color="#bdbdbd", alpha=0.45, lw=0)
    (line,) = ax.plot(ceiling["lead"], ceiling["auroc"], "--", color="black", lw=1.6)
    chance = ax.axhline(0.5, ls=":", color="grey", lw=1.2)
    step = min(0.12, 0.6 / max(len(models), 1))
    handles, names = [], []
    for i, name in enumerate(models):
        rows = skill[skill["model"] == name].sort_values("lead")
        offset = (i - (len(models) - 1) / 2) * step
        colour, marker = _OKABE_ITO[i % len(_OKABE_ITO)], "osD^vP*X"[i % 8]
        handle = ax.errorbar(
            rows["lead"].to_numpy(float) + offset,
            rows["auroc"],
            yerr=_whiskers(rows["auroc"], rows["low"], rows["high"]),
            fmt=f"{marker}-",
            color=colour,
            ms=5,
            lw=1.5,
            capsize=2.5,
        )
        handles.append(handle)
        names.append(str(name))
    handles += [(band, line), chance]
    names += [f"attainable ({oracle_name})", "chance"]
    leads = sorted({int(v) for v in skill["lead"]} | {int(v) for v in oracle["lead"]})
    ax.set_xticks(leads, [str(v) for v in leads])
    ax.set(
        xlabel="lead: revisits from the window's last frame to the slide (16 days each)",
        ylabel="AUROC (positives at this lead vs all negatives)",
        title=titled(source, f"Skill against lead, horizon {horizon_days:g} days"),
    )
    # Beside the axes, not below: the provenance tag holds the bottom right corner.
    fig.legend(handles, names, loc="outside right upper", fontsize=8, frameon=False)
    return stamp(fig, source)


def reliability_lead_figure(
    labels: np.ndarray, probabilities: np.ndarray, leads: np.ndarray, source: str, n_bins: int = 10
) -> Figure:
    """Reliability diagrams of all test windows and of the negatives with the positives at each lead.

    Parameters
    ----------
    labels : numpy.ndarray
        ``(N,)`` 0/1 label of each test window (1: a slide follows within the horizon).
    probabilities : numpy.ndarray
        ``(N,)`` predicted probability of each window, in [0, 1].
    leads : numpy.ndarray
        ``(N,)`` int: 0 for a negative, k >= 1 for a positive whose slide comes k revisits after the
        window's last frame.
    source : str
        Data source; the title and the corner tag say real or simulated.
    n_bins : int, default 10
        Equal-width probability bins (:func:`lslib.evaluation.reliability`).

    Returns
    -------
    matplotlib.figure.Figure
        A first panel "all leads" with every window, then one panel per lead present among the positives
        with every negative and the positives at that lead. Marker area grows with the windows in the bin;
        each panel's title gives its number of windows.

    Raises
    ------
    ValueError
        If the three arrays are not 1-D of one length, or a positive has a lead below 1.
    """
    labels, probabilities, leads = (np.asarray(a) for a in (labels, probabilities, leads))
    if not (labels.ndim == probabilities.ndim == leads.ndim == 1) or not (
        len(labels) == len(probabilities) == len(leads)
    ):
        raise ValueError(
            "labels, probabilities and leads must be 1-D of one length; got shapes "
            f"{labels.shape}, {probabilities.shape} and {leads.shape}"
        )
    positive = labels == 1
    if np.any(leads[positive] < 1):
        raise ValueError(f"every positive needs a lead >= 1; got leads {sorted(set(leads[positive].tolist()))}")
    present = sorted({int(k) for k in leads[positive]})
    subsets = [("all leads", np.ones(len(labels), bool))]
    subsets += [(f"lead {k}", ~positive | (leads == k)) for k in present]
    tables = [evaluation.reliability(labels[keep], probabilities[keep], n_bins) for _, keep in subsets]
    largest = max([int(t["count"].max()) for t in tables] + [1])

    ncols = min(len(subsets), 3)
    nrows = -(-len(subsets) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(7.2, 2.45 * nrows + 0.8), squeeze=False, layout="constrained")
    for i, (ax, (name, keep), table) in enumerate(zip(axes.flat, subsets, tables)):
        used = table["count"] > 0
        (diagonal,) = ax.plot([0, 1], [0, 1], ":", color="grey", lw=1)
        ax.plot(table["predicted"][used], table["observed"][used], "-", color=_OKABE_ITO[0], lw=1, alpha=0.7)
        ax.scatter(
            table["predicted"][used],
            table["observed"][used],
            s=8 + 160 * table["count"][used] / largest,
            color=_OKABE_ITO[0],
            edgecolor="white",
            lw=0.5,
            zorder=3,
        )
        ax.set(
            xlim=(-0.03, 1.03),
            ylim=(-0.03, 1.03),
            aspect="equal",
            title=f"{name} (n = {int(keep.sum()):,})",
            xlabel="predicted probability",
            ylabel="observed slide frequency",
        )
        ax.title.set_fontsize(9)
        if i + ncols < len(subsets):  # a panel below carries the x axis
            ax.set_xlabel("")
            ax.tick_params(labelbottom=False)
        if i % ncols:  # the panel on the left carries the y axis
            ax.set_ylabel("")
            ax.tick_params(labelleft=False)
    for ax in axes.flat[len(subsets) :]:
        ax.set_visible(False)
    key = sorted({max(1, round(largest / 10)), max(1, round(largest / 3)), largest})
    sizes = [ax.scatter([], [], s=8 + 160 * c / largest, color=_OKABE_ITO[0], edgecolor="white") for c in key]
    fig.legend(
        [diagonal, *sizes],
        ["perfect calibration", *[f"{c:,} windows/bin" if i == 0 else f"{c:,}" for i, c in enumerate(key)]],
        loc="outside lower left",  # the provenance tag holds the bottom right corner
        ncol=len(key) + 1,
        fontsize=8,
        frameon=False,
        columnspacing=1.2,
    )
    fig.suptitle(titled(source, "Reliability by lead (every negative with the positives at each lead)"), fontsize=11)
    return stamp(fig, source)


def interval_figure(
    table: pd.DataFrame,
    source: str,
    metric: str = "AUROC",
    reference: float | None = 0.5,
    ceiling: float | None = None,
) -> Figure:
    """Dot-and-whisker plot of one metric per model, coloured by the model's kind.

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by model name, with columns ``value``, ``low``, ``high`` (95 % seed-and-site interval)
        and ``kind``: one of ``"network"``, ``"baseline"``, ``"oracle"``, ``"null"``. Rows are drawn top
        to bottom in the table's order.
    source : str
        Data source; the title and the corner tag say real or simulated.
    metric : str, default "AUROC"
        Name of the metric, used in the x label and the title.
    reference : float or None, default 0.5
        Chance level, drawn as a vertical dotted line; ``None`` draws none.
    ceiling : float or None, default None
        Attainable level, drawn as a vertical dashed line labelled "attainable"; ``None`` draws none.

    Returns
    -------
    matplotlib.figure.Figure
        One row (and one y tick label) per model.

    Raises
    ------
    ValueError
        If a column is missing or a kind is not one of the four.
    """
    _require_columns(table, ("value", "low", "high", "kind"), "table")
    unknown = sorted(set(table["kind"]) - set(_KIND_STYLES))
    if unknown:
        raise ValueError(f"unknown kinds {unknown} in table; valid kinds are {list(_KIND_STYLES)}")
    names = [str(n) for n in table.index]
    y = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(7.0, 0.36 * len(names) + 1.9), layout="constrained")
    handles, labels = [], []
    for kind, (colour, marker) in _KIND_STYLES.items():
        rows = (table["kind"] == kind).to_numpy()
        if not rows.any():
            continue
        part = table[rows]
        handle = ax.errorbar(
            part["value"],
            y[rows],
            xerr=_whiskers(part["value"], part["low"], part["high"]),
            fmt=marker,
            color=colour,
            ms=6,
            capsize=3,
            lw=1.5,
        )
        handles.append(handle)
        labels.append(kind)
    if reference is not None:
        handles.append(ax.axvline(reference, ls=":", color="grey", lw=1.2))
        labels.append(f"chance ({reference:.3g})")
    if ceiling is not None:
        handles.append(ax.axvline(ceiling, ls="--", color="black", lw=1.2))
        labels.append(f"attainable ({ceiling:.3f})")
    ax.set_yticks(y, names)
    ax.set_ylim(len(names) - 0.5, -0.5)  # first row of the table on top
    ax.grid(axis="x", color="#e5e5e5", lw=0.6)
    ax.set_axisbelow(True)
    ax.set(
        xlabel=f"{metric} (95 % seed-and-site interval)",
        ylabel="model",
        title=titled(source, f"{metric} of each model"),
    )
    fig.legend(handles, labels, loc="outside right upper", fontsize=8, frameon=False)
    return stamp(fig, source)


def _binned_mean(values: np.ndarray, shares: np.ndarray, n_bins: int) -> tuple[np.ndarray, ...]:
    """Per non-empty equal-width bin of ``shares`` on [0, 1]: mean share, mean value, 95 % half-width of
    the mean (normal approximation; 0 for a bin of one) and count."""
    edges = np.linspace(0, 1, n_bins + 1)
    index = np.clip(np.digitize(shares, edges[1:-1]), 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        group = values[index == b]
        if len(group) == 0:
            continue
        half = 1.96 * group.std(ddof=1) / np.sqrt(len(group)) if len(group) > 1 else 0.0
        rows.append((shares[index == b].mean(), group.mean(), half, len(group)))
    return tuple(np.array(column, float) for column in zip(*rows)) if rows else (np.empty(0),) * 4


def attention_haze_figure(
    attention: np.ndarray, flagged: np.ndarray, unflagged: np.ndarray, source: str, *, n_bins: int = 8
) -> Figure:
    """Mean attention weight against the QA-flagged share and the unflagged haze/shadow share of a frame.

    Parameters
    ----------
    attention : numpy.ndarray
        ``(windows, frames)`` attention weight each frame got (each window's weights sum to 1).
    flagged : numpy.ndarray
        ``(windows, frames)`` share of each frame the QA mask flags (masked), in [0, 1].
    unflagged : numpy.ndarray
        ``(windows, frames)`` share of each frame under haze or shadow that the QA mask missed, in [0, 1].
    source : str
        Data source; the title and the corner tag say real or simulated.
    n_bins : int, default 8
        Equal-width bins of the share on [0, 1]; empty bins are skipped.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels side by side, sharing the y axis: the mean weight with its 95 % normal-approximation
        interval per bin of the flagged share (left) and of the unflagged share (right), the point at the
        mean share of its bin, and a dotted line at the uniform weight 1/frames. A panel leaves out the frames
        where the attention or its share is not finite (padding, or a frame the caller keeps out of one panel).

    Raises
    ------
    ValueError
        If the arrays are not 2-D of one shape.
    """
    attention, flagged, unflagged = (np.asarray(a, float) for a in (attention, flagged, unflagged))
    if attention.ndim != 2 or attention.shape != flagged.shape or attention.shape != unflagged.shape:
        raise ValueError(
            "attention, flagged and unflagged must be 2-D (windows, frames) of one shape; got shapes "
            f"{attention.shape}, {flagged.shape} and {unflagged.shape}"
        )
    uniform = 1 / attention.shape[1]
    fig, axes = plt.subplots(1, 2, figsize=(7.2, 3.9), sharey=True, layout="constrained")
    panels = (
        (flagged, "QA-flagged share of the frame", "masked by QA", _OKABE_ITO[0], "o"),
        (unflagged, "unflagged haze/shadow share of the frame", "missed by QA", _OKABE_ITO[5], "s"),
    )
    for ax, (share, xlabel, name, colour, marker) in zip(axes, panels):
        finite = np.isfinite(attention) & np.isfinite(share)  # each panel its own frames (NaN: left out there)
        centre, mean, half, count = _binned_mean(attention[finite], share[finite], n_bins)
        ax.errorbar(centre, mean, yerr=half, fmt=f"{marker}-", color=colour, ms=5, lw=1.4, capsize=3)
        uniform_line = ax.axhline(uniform, ls=":", color="grey", lw=1.2)
        ax.set(
            xlim=(0, 1), xlabel=xlabel, ylabel="mean attention weight", title=f"{name} ({int(count.sum()):,} frames)"
        )
        ax.title.set_fontsize(9)
    axes[1].set_ylabel("")  # shared y axis, labelled on the left
    axes[0].legend([uniform_line], [f"uniform weight 1/{attention.shape[1]} = {uniform:.3g}"], fontsize=8, loc="best")
    fig.suptitle(titled(source, "Attention against masked and unmasked contamination (95 % intervals)"), fontsize=11)
    return stamp(fig, source)
