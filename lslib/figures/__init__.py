"""One figure module per chapter (same stems as :mod:`lslib.chapters`), plus the provenance stamp
(:mod:`lslib.figures.provenance`), shared figure parts (:mod:`lslib.figures.common`) and notebook
helpers (:mod:`lslib.figures.notebook`)."""
