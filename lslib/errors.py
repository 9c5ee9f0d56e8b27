"""Exceptions raised by lslib, in one place so that callers can catch them by meaning."""

from __future__ import annotations


class LslibError(Exception):
    """Base class of every error lslib raises on purpose."""


class DataUnavailable(LslibError):
    """Real data could not be found in the cache or the mirror, nor downloaded."""


class ChecksumError(LslibError):
    """A file exists but its sha256 differs from the registry: it is never used silently."""


class ParameterError(LslibError, ValueError):
    """A chapter parameter (from a profile or the command line) is unknown or of the wrong type."""


class ChapterFailed(LslibError):
    """A chapter notebook raised, or ran past its timeout, while the pipeline executed it."""


class RunInterrupted(LslibError):
    """The run received SIGINT (Ctrl-C) or SIGTERM: its kernel and workers were stopped, and the
    interrupted chapter is marked ``interrupted`` in the run report."""

    def __init__(self, message: str, signal_number: int) -> None:
        super().__init__(message)
        self.signal_number = signal_number


class CorruptStore(LslibError):
    """A cached Zarr store exists but cannot be read back as it was written."""
