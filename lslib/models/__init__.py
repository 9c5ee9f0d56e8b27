"""Models of the study. Models never import data-loading or plotting code."""
