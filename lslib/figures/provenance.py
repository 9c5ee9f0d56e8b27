"""The provenance stamp. Every figure says whether it shows real or simulated data.

Data carry their origin in ``attrs["source"]``: ``"registry:<key>"`` and ``"stac:<collection>"``
are real, ``"simulated:<generator>"`` is simulated. :func:`titled` prefixes a title with
"REAL —" or "SIMULATED —" and :func:`stamp` adds a corner tag naming the source, so a figure cut
out of the book still tells the truth about itself.

Examples
--------
>>> provenance("registry:glc/nasa_glc_export_2018.csv")
'real'
>>> titled("simulated:lslib.data.sim", "NDVI before and after")
'SIMULATED — NDVI before and after'
"""

from __future__ import annotations

from matplotlib.figure import Figure

__all__ = ["provenance", "titled", "stamp", "stamp_comparison"]


def provenance(source: str) -> str:
    """``"real"`` or ``"simulated"`` for a data source string; raises on an unlabelled source."""
    kind = str(source).split(":", 1)[0]
    if kind in ("registry", "stac", "file"):
        return "real"
    if kind == "simulated":
        return "simulated"
    raise ValueError(f"Data source {source!r} says neither real (registry:, stac:, file:) nor simulated:")


def titled(source: str, title: str) -> str:
    """Prefix ``title`` with ``REAL —`` or ``SIMULATED —`` according to ``source``."""
    return f"{provenance(source).upper()} — {title}"


def _reserve_tag_space(fig: Figure) -> None:
    """Keep the bottom strip of a constrained-layout figure free for the provenance tag."""
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set") and type(engine).__name__ == "ConstrainedLayoutEngine":
        engine.set(rect=(0, 0.035, 1, 0.965))


def stamp(fig: Figure, source: str) -> Figure:
    """Write a corner tag (``REAL DATA · <source>`` or ``SIMULATED DATA · <source>``) on ``fig``."""
    kind = provenance(source)
    colour = "#1a4d1a" if kind == "real" else "#8b1a1a"
    _reserve_tag_space(fig)
    fig.text(
        0.995,
        0.005,
        f"{kind.upper()} DATA · {source}",
        ha="right",
        va="bottom",
        fontsize=7,
        color=colour,
        alpha=0.85,
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": colour, "lw": 0.6},
    )
    return fig


def stamp_comparison(fig: Figure, simulated: str, real: str) -> Figure:
    """Corner tag for a figure that sets simulated data against real data."""
    _reserve_tag_space(fig)
    fig.text(
        0.995,
        0.005,
        f"SIMULATED · {simulated}  vs  REAL · {real}",
        ha="right",
        va="bottom",
        fontsize=7,
        color="#333333",
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#333333", "lw": 0.6},
    )
    return fig
