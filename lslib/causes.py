"""The one enumeration of landslide causes used by every data source, model and figure.

Six causes of slope failure plus the negative class, a stable thriving forest. Integer values
are the class indices models predict; :attr:`Cause.key` is the identifier stored in datasets
and JSON; :attr:`Cause.label` is what figures print.

Examples
--------
>>> Cause.HEAVY_RAINFALL.key
'heavy_rainfall'
>>> Cause.from_key("mining") is Cause.MINING
True
>>> [c.label for c in Cause][:2]
['volcanic eruption', 'earthquake']
"""

from __future__ import annotations

import enum

__all__ = ["Cause", "CAUSE_KEYS", "OTHER_UNKNOWN", "N_CAUSES"]


class Cause(enum.IntEnum):
    """A landslide cause; ``THRIVING_FOREST`` is the negative (stable) class."""

    VOLCANIC_ERUPTION = 0
    EARTHQUAKE = 1
    DEFORESTATION = 2
    HEAVY_RAINFALL = 3
    MINING = 4
    CONSTRUCTION = 5
    THRIVING_FOREST = 6

    @property
    def key(self) -> str:
        """Identifier used in datasets, JSON and file names, e.g. ``"heavy_rainfall"``."""
        return self.name.lower()

    @property
    def label(self) -> str:
        """Human-readable name used in figures and prose, e.g. ``"heavy rainfall"``."""
        return self.name.lower().replace("_", " ")

    @property
    def is_landslide(self) -> bool:
        """True for the six causes of failure, False for the stable negative class."""
        return self is not Cause.THRIVING_FOREST

    @classmethod
    def from_key(cls, key: str) -> Cause:
        """Look a cause up by its key or label; raises ``ValueError`` naming the valid keys."""
        normalised = key.strip().lower().replace(" ", "_")
        for cause in cls:
            if cause.key == normalised:
                return cause
        raise ValueError(f"Unknown cause {key!r}; valid causes are {', '.join(CAUSE_KEYS)}")


CAUSE_KEYS: tuple[str, ...] = tuple(c.key for c in Cause)
N_CAUSES: int = len(Cause)

#: Catalog records whose trigger maps to none of the causes (snowmelt, unknown, ...).
OTHER_UNKNOWN = "other_unknown"
