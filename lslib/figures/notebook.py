"""Notebook helpers: MyST admonitions and the interactive (hvplot) output mode."""

from __future__ import annotations

__all__ = ["enable_interactive", "admonition"]


def enable_interactive() -> None:
    """Set up hvplot/HoloViews so interactive figures render with no network.

    Loads Bokeh and Panel's JavaScript into the notebook itself (``inline=True``) and makes Panel
    inline its stylesheets instead of linking them from a CDN, so the executed notebook and the
    book page carry everything the figures need. Call it before ``import hvplot.pandas``.
    """
    import holoviews as hv
    import panel as pn

    pn.config.inline = True
    hv.extension("bokeh", inline=True, logo=False)


def admonition(text: str, kind: str = "warning"):
    """A visible notice (rendered like a MyST admonition) for a notebook output."""
    from html import escape

    from IPython.display import HTML

    title = {"warning": "Warning", "note": "Note"}.get(kind, kind.title())
    return HTML(f'<div class="admonition {kind}"><p class="admonition-title">{title}</p><p>{escape(text)}</p></div>')
