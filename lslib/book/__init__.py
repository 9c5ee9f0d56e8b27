"""The book machinery: the command line, the papermill pipeline, parameter checks, profiles, the
run report, the Jupyter Book build and the browser check. It runs notebooks and imports no
chapter."""
