"""lslib: the helper library of the landslide study.

The chapters of the book (``notebooks/``) tell the story; everything worth testing lives here:
data access (:mod:`lslib.data`), the single enumeration of causes (:mod:`lslib.causes`), the
papermill pipeline and its profiles (:mod:`lslib.pipeline`, :mod:`lslib.profiles`), the run
report (:mod:`lslib.report`), figures (:mod:`lslib.plot`) and the book build (:mod:`lslib.book`).
"""

__version__ = "0.1.0"
