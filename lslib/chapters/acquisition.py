"""Chapter 1's workflow: the imagery behind the chapter, real from STAC when asked for and
available, else the simulated stack.
"""

from __future__ import annotations

from typing import Any, Sequence
import xarray as xr
from lslib.errors import DataUnavailable
from lslib.data.stac import acquire_events, showcase_events

__all__ = ["chapter_imagery"]


def chapter_imagery(source: str, simulated: xr.Dataset, glc, *, event_ids: Sequence[int] = (), output: str = "data/real_stack.zarr",
                    **acquisition: Any) -> tuple[xr.Dataset, list[str]]:
    """Chapter 1's imagery: the simulated sites, or (``source="stac"``) real imagery around catalogued
    events written to ``output``; when real imagery cannot be had, the simulated sites and a note why."""
    from lslib.data.store import write_atomic

    if source != "stac":
        return simulated, []
    try:
        real, notes = acquire_events(glc, list(event_ids) or showcase_events(glc), **acquisition)
    except DataUnavailable as error:
        return simulated, [f"Real imagery could not be acquired, so the simulated sites are shown instead: {error}"]
    write_atomic(real, output)
    return real, notes
