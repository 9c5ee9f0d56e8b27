"""One workflow module per notebook, named after the notebook's stem (``04_predictor`` ->
:mod:`lslib.chapters.predictor`). A chapter module never imports another: what two chapters
share lives a layer below."""
